"""The test send's rule on fakes: the n-th test number gets the n-th staged text, bounded."""
from datetime import datetime, timezone

import pytest

from connector.campaigns.model import CampaignError
from connector.campaigns.test_send import MAX_TEST_NUMBERS, send_test
from connector.sms.port import SendResult, SmsType


class Notes:
    def __init__(self, xml: bytes):
        self.xml = xml

    def staged_parts(self, campaign_id, ticket):
        return ["n1"] if self.xml else []

    def content(self, note_id):
        return self.xml


class Provider:
    def __init__(self):
        self.requests = []

    def send(self, request):
        self.requests.append(request)
        return SendResult(f"t{len(self.requests)}", 1)


class Campaign:
    id, ticket = "c-1", "TICKET"


STAGED = (b'<resume><sms statut="SUCCES" numero="+33600000001" entite="contact" id="a">Texte A</sms>'
          b'<sms statut="ECHEC" numero="+33600000009" entite="contact" id="x">refus</sms>'
          b'<sms statut="SUCCES" numero="+33600000002" entite="contact" id="b">Texte B</sms></resume>')
NOW = datetime(2026, 12, 2, 14, 0, tzinfo=timezone.utc)


def test_each_number_gets_a_staged_text_in_order_cycling_when_fewer():
    provider = Provider()
    sent = send_test(provider, Notes(STAGED), Campaign(), ["+33611111111", "+33622222222", "+33633333333"],
                     sms_type=SmsType.MARKETING, sender=None, now=NOW)
    assert [(s.number, s.text) for s in sent] == [
        ("+33611111111", "Texte A"), ("+33622222222", "Texte B"), ("+33633333333", "Texte A")]
    assert len({r.request_id for r in provider.requests}) == 3 and all(len(r.recipients) == 1 for r in provider.requests)


@pytest.mark.parametrize("numbers, xml, key", [
    ([], STAGED, "test_no_numbers"), (["+33611111111"] * (MAX_TEST_NUMBERS + 1), STAGED, "test_too_many"),
    (["+33611111111"], b"", "test_nothing_staged")])
def test_refusals_send_nothing(numbers, xml, key):
    provider = Provider()
    with pytest.raises(CampaignError) as refused:
        send_test(provider, Notes(xml), Campaign(), numbers, sms_type=SmsType.MARKETING, sender=None, now=NOW)
    assert refused.value.key == key and provider.requests == []
