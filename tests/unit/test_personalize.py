"""Templates turned into provider placeholders, and the cases that must stay one text per SMS."""
from connector.campaigns.personalize import provider_merge


def test_fields_become_slots_in_order_and_a_repeated_field_one_slot():
    merge = provider_merge("Bonjour {{ firstname }} {{ lastname }}, {{ firstname }} !")
    assert merge.text == "Bonjour {first_name} {last_name}, {first_name} !"
    values = merge.values({"firstname": "Léa", "lastname": "Dubois"}, {"locale": "fr_FR"})
    assert values == {"first_name": "Léa", "last_name": "Dubois"}
    assert merge.rebuild(values) == "Bonjour Léa Dubois, Léa !"


def test_filters_are_rendered_per_recipient():
    merge = provider_merge("Total : {{ amount | money }}")
    assert merge.rebuild(merge.values({"amount": 1234.5}, {"locale": "fr_FR"})) == "Total : 1 234,50 €"


def test_values_longer_than_fifty_characters_fall_back():
    merge = provider_merge("Bonjour {{ firstname }}")
    assert merge.values({"firstname": "x" * 51}, {"locale": "fr_FR"}) is None


def test_logic_braces_and_too_many_fields_fall_back():
    assert provider_merge("{% if vip %}Cher{% endif %} {{ firstname }}") is None
    assert provider_merge("Code {promo} pour {{ firstname }}") is None
    assert provider_merge(" ".join("{{ f%d }}" % i for i in range(8))) is None
    assert provider_merge("No fields at all") is None


def test_the_text_composed_from_the_values_is_the_templates_render():
    from connector.text.templates import compile_template

    source = "Bonjour {{ firstname }} {{ lastname | upper }}, {{ firstname }} : {{ amount | money }}\n"
    merge = provider_merge(source)
    for context in ({"firstname": "Léa", "lastname": "Dubois", "amount": 12.5}, {}, {"firstname": None},
                    {"firstname": "{last_name}", "lastname": "x", "amount": 0}):
        values = merge.values(context, {"locale": "fr_FR"})
        assert merge.compose(values) == compile_template(source).render(context, locale="fr_FR")


def test_templates_whose_literal_jinja_rewrites_keep_one_text_per_sms():
    assert provider_merge("Bonjour {{ firstname }}\r\nà bientôt") is None     # "\r\n" printed as "\n"
    assert provider_merge("Bonjour   {{- firstname }}") is None               # whitespace control
    assert provider_merge("Bonjour {{ firstname -}}   !") is None
