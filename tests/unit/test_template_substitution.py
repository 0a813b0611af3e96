"""Plain field substitution renders without the engine's per-call set-up: the same text, and every
refusal and error the sandbox gives, word for word (the engine still answers those)."""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.text.templates import TemplateError, compile_template

PLAIN = ["Bonjour {{ firstname }}, -10% ce week-end. STOP au 30101",
         "{{ firstname }}{{ lastname }}", "Chez {{ parentcustomerid.name }} ({{ parentcustomerid }})\r\nfin",
         "{{ firstname.upper }} {{ parentcustomerid.address1_city }}", "", "sans champ"]


def engine_only(source: str):
    template = compile_template(source)
    return dataclasses.replace(template, _pieces=None)


def outcome(template, context, **locale):
    try:
        return "text", template.render(context, **locale)
    except TemplateError as error:
        return "error", str(error)


@pytest.mark.parametrize("source", PLAIN)
def test_plain_templates_take_the_substitution(source):
    assert compile_template(source)._pieces is not None


@pytest.mark.parametrize("source", ["{{ firstname | upper }}", "{% if firstname %}x{% endif %}",
                                    "{{ a['b'] }}", "{{ 'x' }}", "{{ firstname ~ 'x' }}"])
def test_templates_with_more_than_fields_keep_the_engine(source):
    assert compile_template(source)._pieces is None


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=30), st.lists(st.integers(), max_size=2))
LOOKUP = st.dictionaries(st.sampled_from(["name", "id", "address1_city", "upper"]), SCALARS, max_size=4)
CONTEXTS = st.dictionaries(st.sampled_from(["firstname", "lastname", "parentcustomerid"]),
                           st.one_of(SCALARS, LOOKUP), max_size=3)


@settings(max_examples=300, deadline=None)
@given(source=st.sampled_from(PLAIN), context=CONTEXTS)
def test_the_substitution_prints_what_the_engine_prints(source, context):
    assert outcome(compile_template(source), context) == outcome(engine_only(source), context)


@pytest.mark.parametrize("source, context, kind", [
    ("{{ parentcustomerid.name }}", {}, "text"),                      # an attribute of a missing field
    ("{{ parentcustomerid.name }}", {"parentcustomerid": None}, "text"),
    ("{{ firstname.name }}", {"firstname": "Anne"}, "text"),
    ("{{ firstname }}", {"firstname": "é" * 2000}, "error"),            # longer than any SMS
    ("{{ firstname }}", {"firstname": [1, 2]}, "text"),                 # not a column's value: the engine's
])
def test_errors_and_odd_values_are_the_engines(source, context, kind):
    assert outcome(compile_template(source), context) == outcome(engine_only(source), context)
    assert outcome(compile_template(source), context)[0] == kind


def test_an_unknown_locale_is_refused_as_before():
    assert outcome(compile_template("{{ firstname }}"), {}, locale="xx_XX") == \
        outcome(engine_only("{{ firstname }}"), {}, locale="xx_XX")
    assert outcome(compile_template("{{ firstname }}"), {}, locale="xx_XX")[0] == "error"


@pytest.mark.parametrize("source", ["{{ __class__ }}", "{{ firstname.__class__ }}", "{{ range }}x{{ ",
                                    "{{ firstname._secret }}", "{{ lipsum }}"])
def test_compile_time_refusals_are_unchanged(source):
    with pytest.raises(TemplateError):
        compile_template(source).render({"firstname": "x"})
