"""Prepare's staging parts end on a release window's end (1,000 staged SMS), so validate releases
100,000 recipients in 100 windows, not in a few more made of each part's remainder."""
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.campaigns.reports import NoteParts
from tests.fakes.report_notes import FakeReportNotes

ROW = b"<sms>" + b"x" * 95 + b"</sms>\n"          # 107 bytes


def staged(rows: int, *, window: int, upload_limit: int, boundaries: bool = True) -> list[int]:
    """How many rows each part holds, `rows` added with a boundary after every `window`."""
    notes = FakeReportNotes(upload_limit)
    parts = NoteParts(notes, "camp-1", subject="Résumé", filename="resume.xml", mimetype="application/xml",
                      upload_limit=upload_limit, header=lambda part: b"<t>\n", footer=lambda part, final: b"</t>\n")
    for n in range(1, rows + 1):
        parts.add(ROW)
        if boundaries and n % window == 0:
            parts.boundary()
    return [notes.content(note_id).count(b"<sms>") for note_id in parts.close()]


def test_parts_hold_whole_windows_but_the_last():
    counts = staged(2_000, window=100, upload_limit=50_000)       # ~35,000 bytes a part: 3.4 windows
    assert sum(counts) == 2_000
    assert all(count % 100 == 0 for count in counts[:-1]) and counts[:-1] == [300] * (len(counts) - 1)
    unaligned = staged(2_000, window=100, upload_limit=50_000, boundaries=False)
    assert len(unaligned) < len(counts) or any(count % 100 for count in unaligned[:-1])


def test_a_window_larger_than_a_part_still_ends_the_part_at_the_row_that_does_not_fit():
    counts = staged(1_000, window=500, upload_limit=20_000)       # ~14,000 bytes a part: under one window
    assert sum(counts) == 1_000 and max(counts) * len(ROW) <= 20_000 * 3 // 4


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FF) | st.sampled_from("&<>\"'\t\n\r\x00\x0b\x1f"), max_size=40))
def test_xml_values_are_written_as_the_escaping_functions_write_them(value):
    from xml.sax.saxutils import escape, quoteattr

    from connector.campaigns.reports import _XML_INVALID, xml_attr, xml_text

    assert xml_text(value) == escape(_XML_INVALID.sub("", value))
    assert xml_attr(value) == quoteattr(_XML_INVALID.sub("", value))
