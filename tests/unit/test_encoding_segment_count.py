"""The quick segment count agrees with the full analysis on any text."""
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.text.encoding import GSM_BASIC, GSM_EXTENSION, analyze, segment_count

GSM = "".join(sorted(GSM_BASIC | GSM_EXTENSION))


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(alphabet=GSM, max_size=400), st.text(max_size=200),
                 st.text(alphabet=GSM + "€😀é’", max_size=400)))
def test_segment_count_is_the_analysis(text):
    assert segment_count(text) == analyze(text).segments
