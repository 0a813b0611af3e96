"""Bodies from outside are parsed once, safely: bounded nesting and numbers, no lone surrogates."""
import pytest

from connector.errors import BadInput
from connector.safe_json import MAX_DEPTH, nesting_depth, parse_json


@pytest.mark.parametrize("body, words", [
    (b"[" * 1000 + b"]" * 1000, "nested deeper than"),
    (b'{"a":' * 1000 + b"1" + b"}" * 1000, "nested deeper than"),
    (b'{"a": ' + b"1" * 4301 + b"}", "4301 digits"),
    (b'{"a": 1' + b"0" * 400 + b".5}", "characters"),
    (b'{"a": 1e999}', "out of range"),
    (b'{"a": NaN}', "NaN is not a JSON value"),
    (b'{"text": "\\ud800"}', "lone UTF-16 surrogate"),
    (b'{"\\udfff": 1}', "lone UTF-16 surrogate"),
    (b"\xff\xfe\xfa", "not UTF-8"),
    (b"{oops", "Expecting property name"),
    (b"", "Expecting value"),
])
def test_bad_bodies_are_bad_input_naming_the_problem(body, words):
    with pytest.raises(BadInput) as caught:
        parse_json(body)
    assert caught.value.error_code == "malformed_json" and caught.value.answer_status == 400
    assert str(caught.value).startswith("the body is not valid JSON: ") and words in str(caught.value)


def test_good_bodies_parse_as_json_does():
    body = '{"a": [1, 2.5, "x]]]{{", {"b": null}], "t": "caf\\u00e9 \\ud83d\\ude00", "n": -12}'
    assert parse_json(body.encode()) == {"a": [1, 2.5, "x]]]{{", {"b": None}], "t": "café 😀", "n": -12}
    assert parse_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert nesting_depth('{"a": "[[[[[[\\"[[[", "b": [1]}') == 2


def test_a_body_larger_than_any_dataverse_sends_is_refused_before_parsing():
    with pytest.raises(BadInput) as caught:
        parse_json(b'"' + b"x" * (1024 * 1024) + b'"')
    assert caught.value.error_code == "too_large" and caught.value.answer_status == 400
