"""The French STOP mention and sender IDs."""

import pytest

from connector.text.sender import InvalidSender, validate_sender
from connector.text.stop import append_stop, has_stop_mention, stop_required


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STOP au 30101", True),
        ("Promo -20% ! STOP au 30101", True),
        ("Promo -20% ! STOP au 36180", False),          # another short number: Octopush refuses it (121)
        ("stop AU 30101", True),
        ("Stop   au    30101", True),
        ("STOP\u00a0au\u00a030101", True),
        ("Promo\nSTOP au 30101\n", True),
        ("STOP 36608", False),
        ("STOP au XXXXX", False),
        ("STOP au 301", False),
        ("STOPPED au 30101", False),
        ("nonSTOP au 30101", False),
        ("STOP au 301011", False),
        ("", False),
    ],
)
def test_has_stop_mention(text, expected):
    assert has_stop_mention(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Soldes .STOP 36608", True), ("Soldes.stop  36608", True), ("Soldes STOP au 36608", False),
    ("Soldes .STOP 366081", False),
])
def test_the_mention_is_the_configured_one(text, expected):
    assert has_stop_mention(text, ".STOP 36608") is expected


@pytest.mark.parametrize(
    ("sms_type", "e164", "expected"),
    [
        (1, "+33649819006", True),
        (1, "+33123456789", True),
        (2, "+33649819006", False),
        (1, "+447911123456", False),
        (1, "+3164981900", False),
        (1, "+262692123456", True),     # Réunion, Mayotte
        (1, "+590690001234", True),     # Guadeloupe, Saint-Martin, Saint-Barthélemy
        (1, "+594694201234", True),     # Guyane
        (1, "+596696201234", True),     # Martinique
        (1, "+508551234", True),        # Saint-Pierre-et-Miquelon
        (1, "+32470123456", False),
    ],
)
def test_stop_required_for_marketing_to_france(sms_type, e164, expected):
    assert stop_required(sms_type, e164) is expected


def test_append_stop_adds_mention_on_new_line():
    assert append_stop("Soldes -20%") == "Soldes -20%\nSTOP au 30101"


def test_append_stop_keeps_text_that_has_the_mention():
    text = "Soldes -20% stop au 30101"
    assert append_stop(text) == text


def test_append_stop_adds_the_configured_mention_next_to_another_short_number():
    assert append_stop("Soldes STOP au 36180") == "Soldes STOP au 36180\nSTOP au 30101"


def test_append_stop_after_a_space_when_configured():
    assert append_stop("Soldes -20%\n", new_line=False) == "Soldes -20% STOP au 30101"


def test_append_stop_does_not_double_trailing_newline():
    assert append_stop("Soldes -20%\n") == "Soldes -20%\nSTOP au 30101"


def test_append_stop_with_configured_text():
    assert append_stop("Soldes", "STOP au 36608") == "Soldes\nSTOP au 36608"
    # A configured text the generic rule would not recognise is still not added twice.
    assert append_stop("Soldes .STOP 36608", ".STOP 36608") == "Soldes .STOP 36608"


def test_append_stop_on_empty_text():
    assert append_stop("") == "STOP au 30101"


@pytest.mark.parametrize(
    ("sender", "expected"),
    [("SMS", "SMS"), ("Octopush", "Octopush"), ("Shop2026", "Shop2026"), ("ABCDEFGHIJK", "ABCDEFGHIJK"), ("  Shop ", "Shop")],
)
def test_valid_senders(sender, expected):
    assert validate_sender(sender) == expected


@pytest.mark.parametrize(
    ("sender", "message"),
    [
        ("", "empty"),
        ("AB", "2 characters"),
        ("ABCDEFGHIJKL", "12 characters"),
        ("Mon Shop", "' '"),
        ("Boutiqué", "'é'"),
        ("Shop!", "'!'"),
        ("12345", "at least one letter"),
    ],
)
def test_invalid_senders_say_why(sender, message):
    with pytest.raises(InvalidSender) as caught:
        validate_sender(sender)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)
