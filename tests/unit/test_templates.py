"""Merge-field templates: sandbox, fields, rendering, formatting, Dataverse rows, legacy import."""

import pytest

from connector.text.templates import (
    FieldRefs,
    TemplateError,
    compile_template,
    from_legacy,
    record_context,
)

FORMATTED = "@OData.Community.Display.V1.FormattedValue"
LOGICAL_NAME = "@Microsoft.Dynamics.CRM.lookuplogicalname"


def render(text, context=None, **options):
    return compile_template(text).render(context or {}, **options)


# --- the sandbox -------------------------------------------------------------------

MALICIOUS = [
    ("{{ ''.__class__ }}", "'__class__'"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "line 1"),
    ("{{ x.__dict__ }}", "'__dict__'"),
    ("{{ x['__class__'] }}", "'__class__'"),
    ("{{ _private }}", "'_private'"),
    ("{{ cycler }}", "reserved"),
    ("{{ joiner }}", "reserved"),
    ("{{ namespace }}", "reserved"),
    ("{{ dict }}", "reserved"),
    ("\n\n{{ lipsum }}", "line 3"),
    ("{{ range(10) }}", "calls"),
    ("{{ self }}", "reserved"),
    ("{{ self._TemplateReference__context }}", "'_TemplateReference__context'"),
    ("{% for c in contacts %}{{ c }}{% endfor %}", "{% for %}"),
    ("{{ a.b.c }}", "lookup.field"),
    ("{{ a['b']['c'] }}", "lookup.field"),
    ("{{ x[0] }}", "quoted field name"),
    ("{{ x.upper() }}", "calls"),
    ("{{ x() }}", "calls"),
    ("{{ x | attr('__class__') }}", "unknown filter 'attr'"),
    ("{{ x | map('upper') }}", "unknown filter 'map'"),
    ("{% if x %}{{ y | nope }}{% endif %}", "unknown filter 'nope'"),
    ("{% if x is callable %}y{% endif %}", "unknown test 'callable'"),
    ("{% set x = 1 %}", "{% set %}"),
    ("{% macro m() %}{% endmacro %}", "{% macro %}"),
    ("{% include 'other' %}", "{% include %}"),
    ("{% import 'other' as o %}", "{% import %}"),
    ("{% from 'other' import o %}", "import"),
    ("{% extends 'base' %}", "{% extends %}"),
    ("{% block b %}{% endblock %}", "{% block %}"),
    ("{% filter upper %}x{% endfilter %}", "{% filter %}"),
    ("{{ 9 ** 9 ** 9 }}", "arithmetic"),
    ("{{ 'a' * 1000000 }}", "arithmetic"),
    ("{{ [1, 2] }}", "list literals"),
    ("{{ x | truncate(_smsc_site='a') }}", "'_smsc_site'"),
    ("{{ firstname }", "line 1"),
]


@pytest.mark.parametrize(("source", "message"), MALICIOUS, ids=[m[0] for m in MALICIOUS])
def test_malicious_templates_are_refused_at_compile_time(source, message):
    with pytest.raises(TemplateError) as caught:
        compile_template(source)
    assert message in str(caught.value)
    assert str(caught.value).startswith("line ")


def test_python_attributes_are_never_reachable():
    # Allowed as a lookup field, but only mapping keys are read: nothing of str.upper leaks.
    assert render("[{{ firstname.upper }}]", {"firstname": "John"}) == "[]"


def test_syntax_error_names_the_line():
    with pytest.raises(TemplateError, match="^line 2: "):
        compile_template("Bonjour\n{{ firstname }")


def test_template_error_is_a_value_error():
    assert issubclass(TemplateError, ValueError)


# --- fields --------------------------------------------------------------------------


def test_fields_lists_columns_and_lookup_columns():
    template = compile_template(
        "{{ firstname | default(nickname) }} {{ parentcustomerid.name }} "
        "{{ parentcustomerid['telephone1'] }}{% if vip == true %}!{% endif %} {{ ownerid.fullname }}"
    )
    assert template.fields == FieldRefs(
        columns=frozenset({"firstname", "nickname", "vip"}),
        lookups={"parentcustomerid": frozenset({"name", "telephone1"}), "ownerid": frozenset({"fullname"})},
    )


def test_plain_text_reads_no_field():
    assert compile_template("Hello").fields == FieldRefs(frozenset(), {})


# --- rendering -----------------------------------------------------------------------


def test_merge_fields_and_lookup():
    context = {"lastname": "Smith", "parentcustomerid": {"id": "a1", "name": "Contoso"}}
    text = "Bonjour Mr {{ lastname }} de {{ parentcustomerid.name }}"
    assert render(text, context) == "Bonjour Mr Smith de Contoso"


def test_lookup_printed_as_is_shows_its_name():
    assert render("{{ parentcustomerid }}", {"parentcustomerid": {"id": "a1", "name": "Contoso"}}) == "Contoso"


@pytest.mark.parametrize("context", [{}, {"firstname": None}, {"firstname": ""}, {"firstname": "  "}])
def test_default_replaces_missing_null_and_blank(context):
    assert render('Bonjour {{ firstname | default("client") }}', context) == "Bonjour client"


def test_default_keeps_zero_and_false():
    assert render("{{ n | default(5) }} {{ b | default(true) }}", {"n": 0, "b": False}) == "0 False"


def test_missing_and_null_render_empty_everywhere():
    text = "[{{ a }}|{{ b }}|{{ a ~ b }}|{{ l.name }}|{{ n.x }}|{{ b | upper }}]"
    assert render(text, {"b": None, "l": None, "n": {"x": None}}) == "[|||||]"


def test_if_else():
    text = "{% if vip %}Cher client VIP{% else %}Bonjour{% endif %}"
    assert render(text, {"vip": True}) == "Cher client VIP"
    assert render(text, {"vip": False}) == "Bonjour"
    assert render("{{ 'oui' if vip else 'non' }}", {}) == "non"


def test_trailing_newline_is_kept():
    assert render("Bonjour\n") == "Bonjour\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ v | upper }}", "  JEAN-LUC DUPONT  "),
        ("{{ v | lower }}", "  jean-luc dupont  "),
        ("{{ v | trim | title }}", "Jean-Luc Dupont"),
        ("{{ v | trim | capitalize }}", "Jean-luc dupont"),
        ("{{ v | trim | replace('-', ' ') }}", "jean luc dupont"),
        ("{{ v | trim | truncate(12) }}", "jean-luc..."),
        ("{{ v | trim | truncate(12, true) }}", "jean-luc ..."),
    ],
)
def test_text_filters(text, expected):
    assert render(text, {"v": "  jean-luc dupont  "}) == expected


def test_truncate_has_no_leeway():
    # Jinja's default would leave a string up to 5 characters over the limit.
    assert render("{{ v | truncate(10) }}", {"v": "Bonjour tout"}) == "Bonjour..."


# --- numbers, money and dates ------------------------------------------------------------

NUMBERS = [
    ("{{ x | money }}", "fr_FR", "1 234,50 €"),
    ("{{ x | money }}", "en_US", "€1,234.50"),
    ("{{ x | money('USD') }}", "en_US", "$1,234.50"),
    ("{{ x | number }}", "fr_FR", "1 234,5"),
    ("{{ x | number(2) }}", "fr_FR", "1 234,50"),
    ("{{ x | number(0) }}", "en_US", "1,235"),
    ("{{ x | round }}", "fr_FR", "1235"),
    ("{{ x | round(1, 'floor') }}", "fr_FR", "1234.5"),
    ("{{ x | round(0, 'floor') }}", "fr_FR", "1234"),
]


@pytest.mark.parametrize(
    ("value", "precision", "expected"), [(2.5, 0, "3"), (0.125, 2, "0.13"), (-1.5, 0, "-2"), (12, 0, "12")]
)
def test_round_half_up(value, precision, expected):
    assert render("{{ x | round(p) }}", {"x": value, "p": precision}) == expected


def test_number_rounds_half_up():
    assert render("{{ x | number(0) }} {{ y | money }}", {"x": 2.5, "y": 0.125}) == "3 0,13 €"


@pytest.mark.parametrize(("text", "locale", "expected"), NUMBERS)
def test_number_formatting(text, locale, expected):
    assert render(text, {"x": 1234.5}, locale=locale) == expected


def test_formatted_numbers_use_plain_spaces_to_stay_gsm():
    # Babel's no-break spaces would make the whole SMS UCS-2.
    assert render("{{ x | money }}", {"x": 1234.5}).encode("ascii", "ignore").decode() == "1 234,50 "


def test_money_on_a_non_number_names_the_field():
    template = compile_template("Total :\n{{ order.totalamount | money }}")
    with pytest.raises(TemplateError) as caught:
        template.render({"order": {"totalamount": "abc"}})
    assert "line 2" in str(caught.value)
    assert "order.totalamount" in str(caught.value)
    assert "money" in str(caught.value)


def test_date_on_a_non_date_names_the_field():
    with pytest.raises(TemplateError, match="field 'createdon'"):
        render("{{ createdon | date }}", {"createdon": "yesterday"})


def test_missing_number_or_date_renders_empty():
    assert render("[{{ x | money }}{{ d | date }}{{ d | datetime }}]", {"x": None}) == "[]"


DUE = "2026-11-23T09:30:00Z"

DATES = [
    ("{{ d | date }}", {}, "23 nov. 2026"),
    ("{{ d | date }}", {"locale": "en_US"}, "Nov 23, 2026"),
    ("{{ d | date }}", {"date_format": "dd/MM/yyyy"}, "23/11/2026"),
    ("{{ d | date }}", {"locale": "en_US", "date_format": "M/d/yyyy"}, "11/23/2026"),
    ("{{ d | date('dddd d MMMM') }}", {}, "lundi 23 novembre"),
    ("{{ d | datetime }}", {}, "23 nov. 2026, 09:30"),
    ("{{ d | datetime }}", {"time_zone": "Europe/Paris"}, "23 nov. 2026, 10:30"),
    ("{{ d | datetime }}", {"locale": "en_US"}, "Nov 23, 2026, 9:30 AM"),
    ("{{ d | datetime }}", {"date_format": "dd/MM/yyyy", "time_format": "HH:mm", "time_zone": "Europe/Paris"}, "23/11/2026 10:30"),
    ("{{ d | datetime }}", {"locale": "en_US", "date_format": "M/d/yyyy", "time_format": "h:mm tt", "time_zone": "America/New_York"}, "11/23/2026 4:30 AM"),
]


@pytest.mark.parametrize(("text", "options", "expected"), DATES)
def test_date_formatting(text, options, expected):
    assert render(text, {"d": DUE}, **options) == expected


def test_time_zone_can_change_the_day():
    assert render("{{ d | date }}", {"d": "2026-11-23T23:30:00Z"}, time_zone="Europe/Paris") == "24 nov. 2026"
    assert render("{{ d | date }}", {"d": "2026-11-23T23:30:00Z"}) == "23 nov. 2026"


def test_date_only_values_are_not_shifted():
    assert render("{{ d | date }}", {"d": "2026-11-23"}, time_zone="America/New_York") == "23 nov. 2026"


def test_unknown_locale_or_time_zone():
    with pytest.raises(TemplateError, match="locale"):
        render("x", locale="xx_YY")
    with pytest.raises(TemplateError, match="time zone"):
        render("x", time_zone="Mars/Olympus")


def test_comparison_with_missing_field_names_line():
    with pytest.raises(TemplateError, match="line 2: .*'amount' is undefined"):
        render("Bonjour\n{% if amount > 100 %}VIP{% endif %}")


# --- Dataverse rows ------------------------------------------------------------------------

ROW = {
    "@odata.etag": 'W/"1234"',
    "contactid": "c1",
    "firstname": "John",
    "lastname": "Smith",
    "gendercode": 1,
    "gendercode" + FORMATTED: "Homme",
    "donotsms": False,
    "donotsms" + FORMATTED: "Autoriser",
    "numberofchildren": 1234,
    "numberofchildren" + FORMATTED: "1 234",
    "new_interests": "100000000,100000001",
    "new_interests" + FORMATTED: "Sport; Musique",
    "createdon": DUE,
    "createdon" + FORMATTED: "23/11/2026 10:30",
    "_parentcustomerid_value": "a1",
    "_parentcustomerid_value" + FORMATTED: "Contoso",
    "_parentcustomerid_value" + LOGICAL_NAME: "account",
    "_ownerid_value": None,
}
ACCOUNT = {
    "@odata.etag": 'W/"99"',
    "accountid": "a1",
    "telephone1": "01 02 03 04 05",
    "industrycode": 7,
    "industrycode" + FORMATTED: "Commerce",
}


def test_record_context_from_web_api_row():
    assert record_context(ROW, {"parentcustomerid": ACCOUNT}) == {
        "contactid": "c1",
        "firstname": "John",
        "lastname": "Smith",
        "gendercode": "Homme",
        "donotsms": "Autoriser",
        "numberofchildren": 1234,
        "new_interests": "Sport; Musique",
        "createdon": DUE,
        "parentcustomerid": {
            "accountid": "a1",
            "telephone1": "01 02 03 04 05",
            "industrycode": "Commerce",
            "id": "a1",
            "name": "Contoso",
            "entity": "account",
        },
        "ownerid": None,
    }


def test_record_context_without_fetched_lookup():
    assert record_context(ROW)["parentcustomerid"] == {"id": "a1", "name": "Contoso", "entity": "account"}


def test_row_renders_through_template():
    text = (
        "{{ firstname }} ({{ gendercode }}), {{ parentcustomerid.name }} "
        "{{ parentcustomerid.telephone1 }}, {{ numberofchildren | number }}, "
        "{{ ownerid.fullname | default('-') }}, {{ createdon | date('dd/MM/yyyy') }}"
    )
    context = record_context(ROW, {"parentcustomerid": ACCOUNT})
    assert render(text, context) == "John (Homme), Contoso 01 02 03 04 05, 1 234, -, 23/11/2026"


# --- legacy [field] templates ----------------------------------------------------------------


def test_from_legacy_guide_example():
    legacy = "Bonjour Mr [lastname], votre commande a bien été enregistrée."
    converted = from_legacy(legacy)
    assert converted == "Bonjour Mr {{ lastname }}, votre commande a bien été enregistrée."
    assert render(converted, {"lastname": "Smith"}) == "Bonjour Mr Smith, votre commande a bien été enregistrée."


def test_from_legacy_lookup_field():
    assert from_legacy("Société : [parentcustomerid.name]") == "Société : {{ parentcustomerid.name }}"


@pytest.mark.parametrize("text", ["Option [1]", "Voir [ text ]", "Texte: []", "[OK] reçu", "[Prénom Nom]"])
def test_from_legacy_keeps_brackets_that_are_not_fields(text):
    assert from_legacy(text) == text
    assert render(from_legacy(text)) == text


def test_from_legacy_keeps_jinja_looking_text_literal():
    legacy = "{[firstname]} {{ not a tag }} {% nor this"
    assert render(from_legacy(legacy), {"firstname": "Jo"}) == "{Jo} {{ not a tag }} {% nor this"


def test_environment_is_an_immutable_sandbox_without_globals():
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from connector.text import templates

    assert isinstance(templates._ENV, ImmutableSandboxedEnvironment)
    assert templates._ENV.globals == {}
    assert templates._ENV.autoescape is False


def test_a_python_date_shows_midnight_like_a_date_only_string():
    import datetime as dt

    assert render("{{ d | datetime }}", {"d": dt.date(2026, 11, 23)}) == render("{{ d | datetime }}", {"d": "2026-11-23"})
    assert render("{{ d | datetime }}", {"d": dt.date(2026, 11, 23)}) == "23 nov. 2026, 00:00"
