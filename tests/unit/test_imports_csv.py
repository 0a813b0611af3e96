"""The streaming CSV reader of the imports (encodings, separators, header) and the compact number sets."""
from __future__ import annotations

import uuid

import pytest

from connector.errors import BadInput
from connector.imports import csv_source
from connector.imports.csv_source import CsvSource, column_key, detect_encoding, phone_rank
from connector.imports.numbers import NumberIndex, NumberSet, number_key


def write(tmp_path, text: str, encoding: str = "utf-8", name: str = "file.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def rows(source: CsvSource):
    return [(r.line, r.number, r.problem) for r in source.rows()]


def test_a_windows_1252_file_is_read_with_its_accents(tmp_path):
    path = write(tmp_path, "Nom;Prénom;Téléphone\r\nLefèvre;Hélène;06 12 34 56 78\r\n", "cp1252")

    source = CsvSource(path)

    assert source.encoding == "cp1252"
    assert source.header == ["Nom", "Prénom", "Téléphone"]
    [row] = source.rows()
    assert row.fields == ["Lefèvre", "Hélène", "06 12 34 56 78"] and row.number == "06 12 34 56 78"


def test_utf8_with_a_bom_keeps_the_bom_out_of_the_first_header(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfPortable,Nom\n+33612345678,Zo\xc3\xa9\n")

    source = CsvSource(path)

    assert source.encoding == "utf-8-sig" and source.header == ["Portable", "Nom"]
    assert source.separator == "," and source.number_column == 0
    assert [r.fields for r in source.rows()] == [["+33612345678", "Zoé"]]


def test_utf8_without_bom_is_told_from_windows_1252_even_when_a_character_straddles_two_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_source, "CHUNK", 23)
    path = write(tmp_path, "mobile;nom\n0612345678;Éloïse\n")     # "É" is bytes 22 and 23: one in each chunk
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes()[:23].decode("utf-8")

    assert detect_encoding(path) == "utf-8"
    path.write_bytes("mobile;nom\n0612345678;Éloïse\n".encode("cp1252"))
    assert detect_encoding(path) == "cp1252"


def test_utf16_with_its_bom_as_excel_saves_unicode_text(tmp_path):
    path = write(tmp_path, "\ufeffGSM\tNom\r\n0612345678\tZoé\r\n", "utf-16-le")

    source = CsvSource(path)

    assert (source.encoding, source.separator) == ("utf-16", "\t")
    assert [r.fields for r in source.rows()] == [["0612345678", "Zoé"]]


@pytest.mark.parametrize("header, separator", [
    ("Nom;Mobile;Email", ";"), ("Nom,Mobile,Email", ","), ("Nom\tMobile\tEmail", "\t"),
    ("Nom;Prénom, surnom;Mobile", ";"),      # more ';' than ','
])
def test_the_separator_is_the_one_the_header_line_uses_most(tmp_path, header, separator):
    assert CsvSource(write(tmp_path, f"{header}\n")).separator == separator


def test_excel_sep_line_and_a_given_separator(tmp_path):
    hinted = CsvSource(write(tmp_path, "sep=,\nNom;Prénom,Mobile\nA;B,0612345678\n"))
    assert hinted.separator == "," and hinted.header == ["Nom;Prénom", "Mobile"]
    assert rows(hinted) == [(3, "0612345678", None)]

    given = CsvSource(write(tmp_path, "Mobile,Nom;Prénom\n0612345678,A;B\n", name="g.csv"), separator=";")
    assert given.header == ["Mobile,Nom", "Prénom"] and given.number_column == 0


def test_rows_with_another_separator_are_split_again_and_those_fitting_none_refused(tmp_path):
    path = write(tmp_path, "Nom;Portable;Ville\n"
                           "Martin;0612345678;Lyon\n"
                           "Durand,0612345679,Paris\n"             # another export pasted below
                           "Petit\t0612345680\tNice\n"
                           "Roux;0612345681\n"                     # a column short, whatever the separator
                           "Blanc;0612345682;Metz;;\n"             # trailing empty fields: tolerated
                           '"Dupont; Jean";0612345683;Caen\n')     # a quoted separator stays in its field

    source = CsvSource(path)

    assert rows(source) == [(2, "0612345678", None), (3, "0612345679", None), (4, "0612345680", None),
                            (5, "", "fields"), (6, "0612345682", None), (7, "0612345683", None)]
    assert [r.fields for r in source.rows()][1] == ["Durand", "0612345679", "Paris"]
    assert [r.fields for r in source.rows()][-1][0] == "Dupont; Jean"


def test_blank_lines_are_rows_of_their_own_and_quoted_line_breaks_keep_the_line_count(tmp_path):
    path = write(tmp_path, '\nmobile;adresse\n0612345678;"1 rue A\nLyon"\n;\n\n0612345679;B\n')

    assert rows(CsvSource(path)) == [(3, "0612345678", None), (5, "", "empty"), (6, "", "empty"),
                                     (7, "0612345679", None)]


@pytest.mark.parametrize("name, rank", [
    ("Mobile", 0), ("mobilephone", 0), ("Portable", 0), ("GSM", 0), ("Tél. portable", 0), ("Téléphone", 1),
    ("Tel", 1), ("Numéro", 1), ("phone", 1), ("N° de mobile", 2), ("Téléphone fixe", 3), ("Nom", None),
    ("Ville", None),
])
def test_phone_column_names(name, rank):
    assert phone_rank(name) == rank


def test_the_mobile_column_wins_over_a_generic_phone_one(tmp_path):
    source = CsvSource(write(tmp_path, "Nom;Téléphone;Portable\nA;0478000000;0612345678\n"))

    assert source.number_column == 2 and rows(source) == [(2, "0612345678", None)]


def test_a_single_column_without_header_is_numbers_only(tmp_path):
    source = CsvSource(write(tmp_path, "0612345678\n+33 6 12 34 56 79\n0033612345680\n"))

    assert source.header is None and source.width == 1
    assert rows(source) == [(1, "0612345678", None), (2, "+33 6 12 34 56 79", None), (3, "0033612345680", None)]


def test_without_header_the_column_that_looks_like_a_number_is_taken(tmp_path):
    source = CsvSource(write(tmp_path, "Martin;06 12 34 56 78;Lyon\nDurand;0612345679;Paris\n"))

    assert source.header is None and source.number_column == 1
    assert rows(source) == [(1, "06 12 34 56 78", None), (2, "0612345679", None)]


def test_column_by_name_or_position(tmp_path):
    path = write(tmp_path, "Nom;Contact;Ville\nMartin;0612345678;Lyon\n")
    assert CsvSource(path, column="contact").number_column == 1          # case ignored
    headerless = write(tmp_path, "Martin;Lyon;0612345678\n", name="h.csv")
    assert CsvSource(headerless, column="3").number_column == 2


@pytest.mark.parametrize("text, column, message", [
    ("", None, "the file is empty"),
    ("\n\n", None, "the file is empty"),
    ("Nom;Ville\nMartin;Lyon\n", None, "no phone column found"),
    ("Nom;Mobile\nMartin;0612345678\n", "Portable", "no column named 'Portable' (columns: Nom, Mobile)"),
    ("Martin;0612345678\n", "5", "no column '5'"),
])
def test_a_file_it_cannot_use_is_refused_naming_why(tmp_path, text, column, message):
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        CsvSource(write(tmp_path, text), column=column)


def test_a_missing_file_and_an_unknown_separator_are_bad_input(tmp_path):
    with pytest.raises(BadInput, match="cannot read"):
        CsvSource(tmp_path / "absent.csv")
    with pytest.raises(BadInput, match="unknown separator"):
        CsvSource(write(tmp_path, "mobile\n"), separator="|")


def test_column_key_ignores_case_accents_and_punctuation():
    assert column_key("  Téléphone-Portable ") == "telephoneportable" and column_key("E-mail") == "email"


def test_number_set_counts_distinct_numbers_across_growth():
    numbers = NumberSet()
    added = [numbers.add(f"+336{i:08d}") for i in range(5000)]

    assert all(added) and len(numbers) == 5000
    assert not numbers.add("+33600004999") and len(numbers) == 5000
    assert "+33600000000" in numbers and "+33700000000" not in numbers and 33600000000 not in numbers


def test_number_index_keeps_the_first_id_of_a_number_through_growth():
    index = NumberIndex()
    ids = {f"+262692{i:06d}": str(uuid.uuid4()) for i in range(3000)}
    for number, row_id in ids.items():
        assert index.put(number, row_id)

    assert not index.put("+262692000000", str(uuid.uuid4()))
    assert all(index.get(number) == row_id for number, row_id in ids.items())
    assert index.get("+33612345678") is None


def test_number_key_refuses_what_is_not_e164():
    assert number_key("+33612345678") == 33612345678
    for bad in ("0612345678", "+33 6", "+1234567890123456"):
        with pytest.raises(ValueError):
            number_key(bad)
