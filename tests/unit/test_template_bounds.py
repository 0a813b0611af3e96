"""Templates cannot exhaust the host: size, nesting and output are bounded, the render is time-boxed,
and every failure is a TemplateError naming the problem (never a RecursionError or a raw decimal error)."""
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.errors import SmscError
from connector.text import template_filters
from connector.text.templates import MAX_TEMPLATE_LENGTH, TemplateError, compile_template

CONTACT = {"firstname": "David", "creditlimit": Decimal("1500.5"), "big": "1E+999999"}


def render(text: str, context: dict = CONTACT) -> str:
    return compile_template(text).render(context)


@pytest.mark.parametrize("text, words", [
    ("{{ firstname" + "|trim" * 3000 + " }}", f"at most {MAX_TEMPLATE_LENGTH}"),
    ("{{ firstname" + "|trim" * 40 + " }}", "more than 30 filters or operators"),
    ("{% if firstname %}" * 300 + "x" + "{% endif %}" * 300, f"at most {MAX_TEMPLATE_LENGTH}"),
    ("{% if firstname %}" * 11 + "x" + "{% endif %}" * 11, "nested more than 10 levels"),
    ("{{ " + "(" * 200 + "firstname" + ")" * 200 + " }}", "more than 30 filters or operators"),
    ("{{ " + "not " * 100 + "firstname }}", "more than 30 filters or operators"),
    ("{{ firstname" + " and firstname" * 40 + " }}", "more than 30 filters or operators"),
], ids=["trim-x3000", "trim-x40", "if-x300", "if-x11", "parens-x200", "not-x100", "and-x40"])
def test_templates_nested_too_deeply_are_refused_before_parsing(text, words):
    with pytest.raises(TemplateError, match=words):
        compile_template(text)


def test_ten_nested_ifs_and_thirty_filters_are_still_fine():
    assert render("{% if firstname %}" * 10 + "ok" + "{% endif %}" * 10) == "ok"
    assert render("{{ firstname" + "|trim" * 30 + " }}") == "David"


def test_chained_replace_cannot_make_megabytes():
    with pytest.raises(TemplateError) as caught:
        render("{{ firstname" + "|replace('', 'xxxxxxxxxx')" * 6 + " }}")
    message = str(caught.value)
    assert "line 1, field 'firstname': filter 'replace'" in message and "longest SMS (1224)" in message
    assert len(message) < 300


def test_the_rendered_text_is_refused_past_the_longest_sms():
    assert len(render("{{ firstname }}" * 244)) == 1220
    with pytest.raises(TemplateError, match="longer than 1224 characters"):
        render("{{ firstname }}" * 245)


@pytest.mark.parametrize("text, words", [
    ("{{ creditlimit | number(100000) }}", "decimals must be between 0 and 10"),
    ("{{ creditlimit | round(99999999999) }}", "precision must be between -10 and 10"),
    ("{{ big | number }}", "the number is out of range"),
    ("{{ big | round(2) }}", "the number is out of range"),
    ("{{ creditlimit | money('EUR') | replace('', '0123456789') | replace('', '0123456789') }}", "longest SMS"),
])
def test_number_filters_name_the_problem_not_a_decimal_class(text, words):
    with pytest.raises(TemplateError) as caught:
        render(text)
    assert words in str(caught.value) and "decimal.InvalidOperation" not in str(caught.value)
    assert "line 1, field '" in str(caught.value)


def test_reasonable_numbers_still_format():
    assert render("{{ creditlimit | number(2) }}") == "1 500,50"
    assert render("{{ creditlimit | round(1) }}") == "1500.5"


def test_a_render_that_takes_too_long_is_stopped(monkeypatch):
    ticks = iter(range(0, 1000, 5))       # each reading of the clock: 5 s later
    monkeypatch.setattr(template_filters, "clock", lambda: next(ticks))
    with pytest.raises(TemplateError, match="took"):
        render("{{ firstname | upper }} {{ firstname | lower }}")


def test_template_errors_are_user_errors_of_the_one_hierarchy():
    assert issubclass(TemplateError, SmscError) and issubclass(TemplateError, ValueError)
    assert (TemplateError("x").error_code, TemplateError("x").answer_status) == ("template_error", 422)


FRAGMENTS = ["{{ ", " }}", "{% if ", "{% elif ", "{% else %}", "{% endif %}", " %}", "firstname", "creditlimit",
             "parentcustomerid", ".name", "['x']", " | ", "default('client')", "upper", "number(", "round(",
             "money('EUR')", "date('dd/MM/yyyy')", "truncate(", "replace('', 'xx')", "1", "-3", "99999999999",
             "'a'", ")", "(", " ~ ", " and ", " or ", " not ", " is ", "defined", " == ", " if ", " else ", "[", "]",
             "_private", "loop", ".__class__", "{#", "#}", "\ud800", "é", "\n"]


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_any_template_either_renders_a_bounded_text_or_is_a_template_error(text):
    context = {"firstname": "David", "creditlimit": Decimal("1500.5"),
               "parentcustomerid": {"name": "Contoso", "x": "1E+999999"}}
    try:
        rendered = compile_template(text).render(context)
    except TemplateError as error:
        assert str(error) and len(str(error)) < 2000
    else:
        assert isinstance(rendered, str) and len(rendered) <= 1224
