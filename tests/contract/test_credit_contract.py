"""Issue 11's new requests, pinned against loopback stand-ins (pytest-httpserver): the Octopush wallet
counted in SMS per country, and the low-credit alert's Dataverse reads and writes."""
from __future__ import annotations

from werkzeug.wrappers import Response

from connector.crm.auth import StaticTokenCredential
from connector.crm.dataverse import DataverseClient
from connector.crm.low_credit_alerts import ALERT_SUBJECT, DataverseLowCreditAlerts
from connector.crm.odata import error_for
from connector.crm.port import PrivilegeDenied
from connector.pricing import Pricing
from connector.sms.octopush import OctopushClient

API = "/api/data/v9.2"
CONFIG_ID, ROLE_ID, ADMIN_ID, NOTE_ID = ("0a7b3c9d-1111-4222-8333-94445555666%d" % i for i in range(4))
ODATA = {"OData-Version": "4.0"}


def created(entity_set: str, row_id: str) -> Response:
    return Response(status=204, headers={**ODATA, "OData-EntityId": f"http://x{API}/{entity_set}({row_id})"})


def test_the_price_of_a_country_comes_from_the_euro_balance_and_the_same_credit_in_sms(server):
    client = OctopushClient("me@example.com", "k" * 20, base_url=server.url_for("/v1/public"), timeout=5)
    server.expect_ordered_request("/v1/public/wallet/check-balance", method="GET", query_string="") \
        .respond_with_json({"amount": 100.0, "unit": "euros"})
    server.expect_ordered_request("/v1/public/wallet/check-balance", method="GET",
                                  query_string={"country_code": "BE", "product_name": "sms_premium"}) \
        .respond_with_json({"amount": 1265, "unit": "sms_premium"})
    price = Pricing(client, "FR").price("BE")
    assert (price.amount, price.currency, price.source) == (0.079, "EUR", "provider")


def alerts(server) -> DataverseLowCreditAlerts:
    return DataverseLowCreditAlerts(DataverseClient(server.url_for("/"), StaticTokenCredential("token"), timeout=5))


def expect_configuration(server):
    server.expect_ordered_request(f"{API}/smsc_configurations", method="GET", query_string={
        "$select": "smsc_configurationid", "$orderby": "createdon asc", "$top": "1"}).respond_with_json(
        {"value": [{"smsc_configurationid": CONFIG_ID}]}, headers=ODATA)


def test_the_alert_is_remembered_as_a_note_on_the_configuration_row(server):
    expect_configuration(server)
    server.expect_ordered_request(f"{API}/annotations", method="GET", query_string={
        "$select": "annotationid",
        "$filter": f"_objectid_value eq {CONFIG_ID} and subject eq '{ALERT_SUBJECT}'"}).respond_with_json(
        {"value": []}, headers=ODATA)
    posted = []

    def note(request):
        posted.append(request.get_json())
        return created("annotations", NOTE_ID)

    server.expect_ordered_request(f"{API}/annotations", method="POST").respond_with_handler(note)
    repository = alerts(server)
    assert repository.standing() is False
    repository.remember("il reste 88 SMS")
    [body] = posted      # the note's own id is chosen by the client, so that a retried POST cannot make two
    assert body.pop("annotationid") and body == {
        "subject": ALERT_SUBJECT, "notetext": "il reste 88 SMS",
        "objectid_smsc_configuration@odata.bind": f"/smsc_configurations({CONFIG_ID})"}


def test_the_admins_are_the_system_administrators_each_notified_by_an_appnotification(server):
    server.expect_ordered_request(f"{API}/roles", method="GET", query_string={
        "$select": "roleid", "$filter": "name eq 'System Administrator'"}).respond_with_json(
        {"value": [{"roleid": ROLE_ID}]}, headers=ODATA)
    server.expect_ordered_request(f"{API}/roles({ROLE_ID})/systemuserroles_association", method="GET",
                                  query_string={"$select": "systemuserid,isdisabled"}).respond_with_json(
        {"value": [{"systemuserid": ADMIN_ID, "isdisabled": False},
                   {"systemuserid": NOTE_ID, "isdisabled": True}]}, headers=ODATA)
    server.expect_ordered_request(f"{API}/appnotifications", method="POST", json={
        "title": "Low SMS credit", "body": "88 SMS left", "icontype": 100000003, "toasttype": 200000000,
        "ttlinseconds": 604800, "ownerid@odata.bind": f"/systemusers({ADMIN_ID})"}) \
        .respond_with_response(created("appnotifications", NOTE_ID))
    repository = alerts(server)
    assert repository.admins() == [ADMIN_ID]                 # a disabled administrator is not told
    repository.notify(ADMIN_ID, "Low SMS credit", "88 SMS left")


def test_dataverses_privilege_refusal_is_a_privilege_denied_naming_the_privilege():
    body = (b'{"error": {"code": "0x80040220", "message": "Principal user (Id=1, type=8, roleCount=1, '
            b'privilegeCount=2, accessMode=0), is missing prvCreateActivity privilege (Id=2) on OTC=4200 for '
            b'entity \'smsc_textmessage\'."}}')
    error = error_for(403, body)
    assert isinstance(error, PrivilegeDenied) and error.privilege == "prvCreateActivity"
    assert error.answer_status == 403
    other = error_for(403, b'{"error": {"code": "0x80040225", "message": "The user is disabled."}}')
    assert not isinstance(other, PrivilegeDenied)
