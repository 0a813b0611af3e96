"""Cheaper text: characters outside GSM-7 replaced when that helps (seeds 000 and 004)."""
from hypothesis import given
from hypothesis import strategies as st

from connector.text.cheaper import cheaper
from connector.text.encoding import analyze, is_gsm7


def test_the_issues_example_becomes_gsm7():
    found = cheaper("Votre commande n° 123 est prête ! Merci ’")
    assert found.text == "Votre commande no 123 est prete ! Merci '"
    assert is_gsm7(found.text) and dict(found.replaced) == {"°": "o", "ê": "e", "’": "'"}


def test_a_long_text_saves_segments():
    text = "Bonjour, votre commande n° 4711 est prête ; elle vous attend à l’accueil du magasin. " * 2
    before, found = analyze(text), cheaper(text)
    assert (before.encoding, before.segments) == ("UCS-2", 3)
    assert (analyze(found.text).encoding, analyze(found.text).segments, found.segments_saved) == ("GSM-7", 2, 1)


def test_gsm7_accents_are_kept_and_others_lose_theirs():
    found = cheaper("Été à Noël, ça côute 5 — voilà « promo » ")
    assert found.text == 'Été à Noel, ca coute 5 - voilà " promo " '


def test_a_text_that_cannot_become_gsm7_and_saves_nothing_is_left_alone():
    text = "Rendez-vous confirmé 😀 à l’heure"
    found = cheaper(text)
    assert (found.text, found.replaced, found.segments_saved) == (text, (), 0)


def test_the_euro_sign_becomes_e_only_when_it_saves_a_segment():
    short = "Promo -20 € ce week-end"
    assert cheaper(short).text == short
    long = "x" * 159 + "€"          # 161 septets: two SMS with €, one with E
    assert (cheaper(long).text, cheaper(long).segments_saved) == ("x" * 159 + "E", 1)


@given(st.text(max_size=400))
def test_never_more_segments_and_gsm7_text_is_only_changed_for_the_euro_sign(text):
    found = cheaper(text)
    assert analyze(found.text).segments <= analyze(text).segments
    if is_gsm7(text):
        assert found.text == text or found.replaced == (("€", "E"),)
