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
