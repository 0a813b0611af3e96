"""Sending so that recipients can answer (`with_replies`): decided once, by the send policy, for the unit,
workflow and campaign sends; the preview warns when a named sender makes an SMS unanswerable."""
import pytest

from connector.campaigns.model import CampaignAction as A
from connector.configuration import ChannelPreferences, Configuration
from connector.preview import PreviewRequest, PreviewService
from connector.repositories.users import UserFormat
from connector.send_policy import answerable_sender, compose, replies_wanted, unanswerable
from connector.sms.port import SmsType
from tests.fakes.campaign_world import a_campaign, world
from tests.fakes.sending import fake_sending
from tests.unit.test_unit_sms_service import Unit, requested, stuck

NO_SENDER = ChannelPreferences(allow_type_choice=True, default_type=SmsType.TRANSACTIONAL, allow_sender_choice=True,
                               default_sender=None)
NAMED = NO_SENDER.model_copy(update={"default_sender": "CONTOSO"})
REPLIES_OFF = Configuration(replies_allowed=False)


@pytest.mark.parametrize("sender, config, wanted", [
    (None, Configuration(), True),
    ("", Configuration(), True),
    ("CONTOSO", Configuration(), False),          # a name cannot be answered (seed 004)
    ("Shop33", Configuration(), False),           # one letter is enough to make it a name
    ("36111", Configuration(), True),             # a number can
    (None, REPLIES_OFF, False),
    ("36111", REPLIES_OFF, False),
])
def test_replies_are_wanted_where_allowed_and_the_sender_can_be_answered(sender, config, wanted):
    assert replies_wanted(sender, config) is wanted
    assert unanswerable(sender, config) is (config.replies_allowed and not answerable_sender(sender))


def test_compose_carries_the_decision():
    unnamed = compose("Bonjour", config=Configuration(), prefs=NO_SENDER, raw_number="+33649819006")
    named = compose("Bonjour", config=Configuration(), prefs=NAMED, raw_number="+33649819006")
    off = compose("Bonjour", config=REPLIES_OFF, prefs=NO_SENDER, raw_number="+33649819006")
    assert (unnamed.with_replies, named.with_replies, off.with_replies) == (True, False, False)


# -- unit and workflow sends -------------------------------------------------------------------------------
@pytest.mark.parametrize("prefs, config, sender, wanted", [
    (NO_SENDER, Configuration(unit=NO_SENDER), None, True),
    (NAMED, Configuration(unit=NAMED), None, False),              # the default sender is a name
    (NO_SENDER, Configuration(unit=NO_SENDER), "SHOP", False),    # the user chose a name
    (NO_SENDER, REPLIES_OFF.model_copy(update={"unit": NO_SENDER}), None, False),
])
def test_a_unit_sms_asks_for_replies_as_the_policy_says(prefs, config, sender, wanted):
    unit = Unit(requested(sender=sender), config=config)
    assert unit.send().outcome == "sent"
    [request] = unit.provider.requests
    assert request.with_replies is wanted


def test_a_workflow_sms_with_a_named_sender_is_sent_without_replies():
    unit = Unit(requested(sender="SHOP", workflow_id="wf-1"), config=Configuration(unit=NO_SENDER))
    unit.send()
    assert unit.provider.requests[0].with_replies is False
    unanswered = Unit(requested(workflow_id="wf-1"), config=Configuration(unit=NO_SENDER))
    unanswered.send()
    assert unanswered.provider.requests[0].with_replies is True


def test_a_resumed_send_decides_as_the_first_attempt():
    from datetime import UTC, datetime

    from connector.unit_recovery import resume_stuck_sends

    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    named = Unit(stuck(minutes_ago=11), config=Configuration(unit=NO_SENDER))
    unnamed = Unit(stuck(minutes_ago=11, sender=None), config=Configuration(unit=NO_SENDER))
    resume_stuck_sends(named.service, now)
    resume_stuck_sends(unnamed.service, now)
    assert (named.provider.requests[0].with_replies, unnamed.provider.requests[0].with_replies) == (False, True)


# -- campaigns ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sender, config, wanted", [
    (None, Configuration(), True),
    ("PROMO", Configuration(), False),
    (None, REPLIES_OFF, False),
])
def test_a_campaign_asks_for_replies_as_the_policy_says(sender, config, wanted):
    w = world(a_campaign(sender=sender), config=config)
    assert w.run(A.PREPARE).ok and w.validate().ok
    assert w.provider.sends and {request.with_replies for request in w.provider.sends} == {wanted}
    assert {request.sender for request in w.provider.sends} == {sender}


# -- the preview --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang, user, expected", [
    ("en", None, "An SMS from the sender 'SHOP' cannot be answered"),
    ("fr", "u-fr", "Un SMS de l'émetteur « SHOP » ne peut pas recevoir de réponse"),
])
def test_the_preview_warns_that_a_named_sender_cannot_be_answered(lang, user, expected):
    sending = fake_sending(Configuration(unit=NO_SENDER), users={"u-fr": UserFormat("fr_FR")})
    answer = PreviewService(sending).preview(PreviewRequest(text="Bonjour", sender="SHOP", userid=user))
    [warning] = answer["warnings"]
    assert warning.startswith(expected)


def test_the_preview_does_not_warn_without_a_named_sender_or_when_replies_are_off():
    preview = PreviewService(fake_sending(Configuration(unit=NO_SENDER))).preview
    assert preview(PreviewRequest(text="Bonjour"))["warnings"] == []
    # The admin's default sender: the SMS goes without replies, but the user has nothing to change.
    by_default = PreviewService(fake_sending(Configuration(unit=NAMED))).preview
    assert by_default(PreviewRequest(text="Bonjour"))["warnings"] == []
    locked = NAMED.model_copy(update={"allow_sender_choice": False})
    assert PreviewService(fake_sending(Configuration(unit=locked))).preview(
        PreviewRequest(text="Bonjour", sender="SHOP"))["warnings"] == []
    off = PreviewService(fake_sending(REPLIES_OFF.model_copy(update={"unit": NO_SENDER}))).preview
    assert off(PreviewRequest(text="Bonjour", sender="SHOP"))["warnings"] == []
