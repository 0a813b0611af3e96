"""GSM 03.38 / UCS-2 detection and segment counting."""

from dataclasses import FrozenInstanceError

import pytest

from connector.text.encoding import GSM_BASIC, GSM_EXTENSION, analyze, is_gsm7

A = "a"
EMOJI = "\U0001F600"  # outside the BMP: a UTF-16 surrogate pair

# id, text, encoding, units, segments, remaining
TABLE = [
    ("empty", "", "GSM-7", 0, 0, 160),
    ("one char", "a", "GSM-7", 1, 1, 159),
    ("gsm 160 fits one SMS", A * 160, "GSM-7", 160, 1, 0),
    ("gsm 161 needs two", A * 161, "GSM-7", 161, 2, 145),
    ("gsm 153*2 fills two", A * 306, "GSM-7", 306, 2, 0),
    ("gsm 153*2+1 needs three", A * 307, "GSM-7", 307, 3, 152),
    ("euro counts two", "€", "GSM-7", 2, 1, 158),
    ("euro makes 160 units", A * 158 + "€", "GSM-7", 160, 1, 0),
    ("euro tips over 160", A * 159 + "€", "GSM-7", 161, 2, 145),
    ("all extension chars", "€[]{}~^\\|\f", "GSM-7", 20, 1, 140),
    # 152 septets, then "€" (2) would straddle 153: it moves whole to segment 2,
    # so 306 septets take 3 segments, not ceil(306/153) = 2.
    ("euro at 153 boundary", A * 152 + "€" + A * 152, "GSM-7", 306, 3, 152),
    ("bracket at 153 boundary", A * 152 + "[" + A * 10, "GSM-7", 164, 2, 141),
    ("extension char just fits", A * 151 + "€" + A * 153, "GSM-7", 306, 2, 0),
    ("french accents in GSM", "é è à ù ì ò É Ç", "GSM-7", 15, 1, 145),
    ("guide example", "Bonjour Mr Smith, votre commande a bien été enregistrée.", "GSM-7", 56, 1, 104),
    ("greek capitals", "ΔΦΓΛΩΠΨΣΘΞ", "GSM-7", 10, 1, 150),
    ("newline and CR", "a\r\nb", "GSM-7", 4, 1, 156),
    ("c cedilla forces UCS-2", "Reçu", "UCS-2", 4, 1, 66),
    ("circumflex forces UCS-2", "Fête à côté", "UCS-2", 11, 1, 59),
    ("curly apostrophe forces UCS-2", "l’été", "UCS-2", 5, 1, 65),
    ("ucs2 70 fits one SMS", "ç" * 70, "UCS-2", 70, 1, 0),
    ("ucs2 71 needs two", "ê" * 71, "UCS-2", 71, 2, 63),
    ("ucs2 67*2 fills two", "ô" * 134, "UCS-2", 134, 2, 0),
    ("ucs2 67*2+1 needs three", "ô" * 135, "UCS-2", 135, 3, 66),
    ("emoji counts two", EMOJI, "UCS-2", 2, 1, 68),
    ("emoji makes 70 units", A * 68 + EMOJI, "UCS-2", 70, 1, 0),
    ("emoji tips over 70", A * 69 + EMOJI, "UCS-2", 71, 2, 63),
    # 66 units, then the surrogate pair would straddle 67: it moves whole.
    ("emoji at 67 boundary", A * 66 + EMOJI + A * 66, "UCS-2", 134, 3, 66),
    ("emoji just fits", A * 65 + EMOJI + A * 67, "UCS-2", 134, 2, 0),
]


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments", "remaining"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_analyze_table(text, encoding, units, segments, remaining):
    stats = analyze(text)
    assert (stats.encoding, stats.units, stats.segments, stats.remaining) == (
        encoding, units, segments, remaining,
    )
    assert stats.characters == len(text)
    assert stats.per_segment == {
        ("GSM-7", True): 160, ("GSM-7", False): 153, ("UCS-2", True): 70, ("UCS-2", False): 67,
    }[(encoding, segments <= 1)]


@pytest.mark.parametrize("char", sorted(GSM_EXTENSION))
def test_every_extension_character_costs_two_septets(char):
    stats = analyze(char * 80)
    assert stats.encoding == "GSM-7"
    assert stats.units == 160
    assert stats.segments == 1


def test_emoji_is_one_character_but_two_units():
    stats = analyze(EMOJI)
    assert (stats.characters, stats.units) == (1, 2)


def test_non_gsm_lists_sorted_unique_offenders():
    assert analyze("ça, ê, ça encore ô").non_gsm == ("ç", "ê", "ô")
    assert analyze("é è à ù € [").non_gsm == ()


def test_basic_table_is_exactly_gsm_0338():
    assert len(GSM_BASIC) == 127  # 128 codes less ESC
    for char in "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ ¤¡ÄÖÑÜ§¿äöñüà":
        assert char in GSM_BASIC, char
    for char in "çêôâîûëïÀÈÊ`\x1b":
        assert char not in GSM_BASIC and char not in GSM_EXTENSION, char
    # Greek letters are the Greek code points, not Latin look-alikes or the ohm sign.
    assert "\u03a9" in GSM_BASIC and "\u2126" not in GSM_BASIC


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", True), ("Hello {world} €5", True), ("Réservé à Noël", False), ("ça", False), ("ÇA", True)],
)
def test_is_gsm7(text, expected):
    assert is_gsm7(text) is expected


def test_stats_are_immutable():
    stats = analyze("abc")
    with pytest.raises(FrozenInstanceError):
        stats.units = 0  # type: ignore[misc]
