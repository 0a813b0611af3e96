"""The keyword rule: the whole message is a keyword, whatever its case, accents, spaces and final punctuation."""
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.configuration import Configuration
from connector.inbound.keywords import OptOutKeyword, is_keyword, normalized, opt_out_keyword

CONFIG = Configuration()


def test_the_usual_ways_of_saying_stop():
    for text in ("STOP", "Stop", "stop", " arrêt ", "ARRET", "Arrêt.", "STOP SMS", "stop  sms !", "Désinscrire",
                 "unsubscribe", "STOP\n"):
        assert opt_out_keyword(text, CONFIG) == OptOutKeyword.STOP, text


def test_start_and_other_texts():
    assert opt_out_keyword("Start", CONFIG) == OptOutKeyword.START
    assert opt_out_keyword(" reprise ! ", CONFIG) == OptOutKeyword.START
    for text in ("Stop les relances svp", "STOPPER", "oui", "", "   ", "!!!", None, "non stop"):
        assert opt_out_keyword(text, CONFIG) is None, text


def test_the_configured_lists_are_the_ones_used():
    config = Configuration(stop_keywords=("BASTA",), start_keywords=("ENCORE",))
    assert opt_out_keyword("basta", config) == OptOutKeyword.STOP
    assert opt_out_keyword("STOP", config) is None
    assert opt_out_keyword("Encore !", config) == OptOutKeyword.START


def test_stop_wins_when_a_word_is_in_both_lists():
    config = Configuration(stop_keywords=("FIN",), start_keywords=("FIN",))
    assert opt_out_keyword("fin", config) == OptOutKeyword.STOP


def test_workflow_keywords_use_the_same_comparison():
    assert is_keyword(" Oui ! ", ["OUI"]) and is_keyword("ÉTÉ", ["ete"])
    assert not is_keyword("oui mais non", ["OUI"]) and not is_keyword("", [""])


def accented(word: str) -> st.SearchStrategy[str]:
    """`word` with any letter's case changed and accents added (combining marks)."""
    marks = st.sampled_from(["", "\u0301", "\u0300", "\u0302", "\u0308"])
    letters = [st.tuples(st.sampled_from([c.lower(), c.upper()]), marks).map("".join) if c.isalpha() else st.just(c)
               for c in word]
    return st.tuples(*letters).map(lambda parts: unicodedata.normalize("NFC", "".join(parts)))


# No deadline nor speed check: the machine running the suite may be busy; the examples are what counts.
QUIET = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@QUIET
@given(st.sampled_from(CONFIG.stop_keywords).flatmap(accented), st.text(" \t\n", max_size=3),
       st.text(" \t", max_size=3), st.text(".!?;… ", max_size=3))
def test_any_case_accents_spaces_and_final_punctuation_still_say_stop(word, before, after, punctuation):
    assert opt_out_keyword(before + word + after + punctuation, CONFIG) == OptOutKeyword.STOP


@QUIET
@given(st.text(max_size=30))
def test_normalizing_twice_changes_nothing_and_a_longer_text_is_no_keyword(text):
    assert normalized(normalized(text)) == normalized(text)
    assert opt_out_keyword(f"merci de ne plus {text} m'écrire", CONFIG) is None
