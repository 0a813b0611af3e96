"""A default sender per user or team (issue 11), subject to the configuration's « choix de l'émetteur »:
where users may choose the sender, the SMS's own sender, else the user's, else their team's (the
Users repository resolves both), else the configuration's default; where they may not, the
configuration's default for everyone."""
import pytest

from connector.campaigns.context import build_context
from connector.campaigns.model import CampaignAction
from connector.configuration import ChannelPreferences, Configuration
from connector.repositories.users import UserFormat
from connector.send_policy import choose_sender
from connector.sms.port import SmsType
from tests.fakes.campaign_world import ENGLISH, a_campaign, world
from tests.fakes.sending import fake_sending
from tests.fakes.sms_activities import FakeSmsActivities
from tests.fakes.sms_provider import FakeSmsProvider
from connector.unit_sms import UnitSmsService
from tests.fakes.users import FakeUsers
from tests.unit.test_unit_sms_service import CONFIG, LOCKED, RECIPIENTS, requested

OPEN = ChannelPreferences(allow_type_choice=True, default_type=SmsType.MARKETING, allow_sender_choice=True,
                          default_sender="CONTOSO")
CLOSED = OPEN.model_copy(update={"allow_sender_choice": False})


@pytest.mark.parametrize("requested_sender, personal, prefs, chosen", [
    (None, "CLAIRE", OPEN, "CLAIRE"),         # the user's (or team's) default wins over the configuration's
    ("PROMO", "CLAIRE", OPEN, "PROMO"),       # the sender typed on this SMS wins over both
    (None, None, OPEN, "CONTOSO"),            # nobody chose: the configuration's default
    (None, "CLAIRE", CLOSED, "CONTOSO"),      # no sender choice: the admin's sender, personal one ignored
    ("PROMO", "CLAIRE", CLOSED, "CONTOSO"),
])
def test_who_decides_the_sender(requested_sender, personal, prefs, chosen):
    assert choose_sender(requested_sender, prefs, personal) == chosen


def unit(config: Configuration, senders: dict[str, str]):
    sending = fake_sending(config, users={"u": UserFormat("fr_FR")}, recipients=RECIPIENTS)
    sending = sending.__class__(sending.configuration, sending.optouts,
                                FakeUsers({"u": UserFormat("fr_FR")}, senders=senders),
                                sending.templates, sending.recipients)
    provider = FakeSmsProvider()
    return UnitSmsService(provider, FakeSmsActivities(requested()), sending), provider


def test_a_unit_sms_goes_with_the_users_sender_where_the_configuration_lets_users_choose():
    service, provider = unit(CONFIG, {"u": "CLAIRE"})
    assert service.send("sms-1", "u").outcome == "sent"
    assert provider.requests[0].sender == "CLAIRE"


def test_a_unit_sms_keeps_the_configurations_sender_when_users_may_not_choose():
    service, provider = unit(Configuration(unit=LOCKED), {"u": "CLAIRE"})
    assert service.send("sms-1", "u").outcome == "sent"
    assert provider.requests[0].sender == "CONTOSO"


def test_a_campaign_without_its_own_sender_takes_the_users_then_the_configurations():
    config = Configuration(campaign=OPEN)
    user = UserFormat("fr_FR")
    assert build_context(a_campaign(), config, user, personal_sender="EQUIPE").sender == "EQUIPE"
    assert build_context(a_campaign(sender="PROMO"), config, user, personal_sender="EQUIPE").sender == "PROMO"
    assert build_context(a_campaign(), Configuration(campaign=CLOSED), user,
                         personal_sender="EQUIPE").sender == "CONTOSO"


def test_the_campaign_service_reads_the_acting_users_sender():
    w = world(config=Configuration(campaign=OPEN))
    service = w.service()
    service.users = FakeUsers(senders={ENGLISH: "JOHN"})
    service.run("camp-1", CampaignAction.PREPARE, ENGLISH)
    service.run("camp-1", CampaignAction.VALIDATE, ENGLISH)
    w.release_parts()           # the part goes with the sender the preparation staged
    assert {request.sender for request in w.provider.sends} == {"JOHN"}
