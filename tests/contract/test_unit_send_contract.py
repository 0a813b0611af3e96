"""The whole unit send against loopback stand-ins for Dataverse AND Octopush (pytest-httpserver).

Driven through the real entry point: settings from the environment, the registered Azure Functions
handler of POST /api/dataverse/events (`functions.local_host.invoke`), a webhook body of the
documented `RemoteExecutionContext` shape. The stand-ins answer in the shapes Microsoft's and
Octopush's docs show (reference/dataverse.md, reference/octopush.md) and every request the
connector sends is pinned, in order: method, path, query, headers and JSON body.

One server with two path prefixes (`/api/data/v9.2` for Dataverse, `/v1/public` for Octopush)
plays both services, so `expect_ordered_request` pins the order ACROSS them too (the take PATCH
before the Octopush POST before the final PATCH). Any request not expected, or out of order, fails
the test in the `server` fixture's teardown.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from werkzeug.wrappers import Request, Response

from connector import bootstrap, unit_sms
from connector.crm import configuration as crm_configuration, users as crm_users
from emulators.webhook_bodies import option, remote_execution_context, webhook_headers
from functions.local_host import invoke

API = "/api/data/v9.2"
OCTOPUSH = "/v1/public"
SEND = f"{OCTOPUSH}/sms-campaign/send"

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.contract-token"   # two parts: no JWT expiry check
LOGIN, KEY = "ops@contoso.fr", "k3y-SECRET-5f9a0c"
WEBHOOK_KEY = "contract-webhook-key-0123456789"

USER_ID = "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f"         # systemuserid the webhook carries
OBJECT_ID = "0a7b3c9d-1111-4222-8333-944455556666"       # the user's Entra object id
ACTIVITY_ID = "8f2b1c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
CONTACT_ID = "49b0be2e-d01c-ed11-b83e-000d3a572421"
LEAD_ID = "2c7f1e0a-5b3d-4e8f-9a1b-6c2d3e4f5a6b"
TEMPLATE_ID = "7e0a1b2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c"
CONFIG_ID = "cf0a1b2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c"
ETAG = 'W/"5948260"'
KEY_FROM_ETAG = f"unit-{ACTIVITY_ID}-0123456789ab"      # smsc_idempotencykey the take writes (unit_key pinned)

READ = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json", "OData-MaxVersion": "4.0",
        "OData-Version": "4.0", "Prefer": 'odata.include-annotations="*"'}
AS_USER = {"CallerObjectId": OBJECT_ID}
WRITE = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json", "OData-MaxVersion": "4.0",
         "OData-Version": "4.0", "Content-Type": "application/json; charset=utf-8", **AS_USER}
OCTOPUSH_HEADERS = {"api-login": LOGIN, "api-key": KEY, "Content-Type": "application/json",
                    "cache-control": "no-cache"}

ACTIVITY_QUERY = {
    "$select": "subject,description,scheduledend,smsc_status,smsc_smstype,smsc_sender,smsc_phonenumber,"
               "smsc_idempotencykey,_regardingobjectid_value,_smsc_templateid_value,_smsc_workflowid_value,"
               "smsc_cheapertext",
    "$expand": "smsc_textmessage_activity_parties($select=participationtypemask,_partyid_value,addressused)",
}
CONFIG_COLUMNS = (
    "smsc_unitallowtypechoice", "smsc_unitdefaultsmstype", "smsc_unitallowsenderchoice",
    "smsc_unitdefaultsender", "smsc_campaignallowtypechoice", "smsc_campaigndefaultsmstype",
    "smsc_campaignallowsenderchoice", "smsc_campaigndefaultsender", "smsc_stoptext",
    "smsc_appendstop", "smsc_excludeoptouts", "smsc_defaultcountry", "smsc_warnthreshold",
    "smsc_quotasenabled", "smsc_campaignduration", "smsc_quiethoursstart", "smsc_quiethoursend",
    "smsc_repliesallowed", "smsc_replywindow", "smsc_stopkeywords", "smsc_startkeywords",
    "smsc_consecutivefailures", "smsc_unknownreplycreateslead", "smsc_stopseparator",
    "smsc_quietsundays", "smsc_quietholidays", "smsc_overseasprefix", "smsc_cheapertext", "smsc_maxtextlength",
    "smsc_consentcolumn", "smsc_testnumbers", "smsc_lowcreditthreshold",
)
CONFIG_QUERY = {"$select": ",".join(CONFIG_COLUMNS), "$orderby": "createdon asc", "$top": "1"}

VERSION_MISMATCH = "The version of the existing record doesn't match the RowVersion property provided."
OCTOPUSH_SUCCESS = {"sms_ticket": "sms_5fec89fe97109", "number_of_contacts": 1, "total_cost": 0.0333,
                    "number_of_sms_needed": 1, "residual_credit": 99.5}
# Dataverse's own content type for OData answers.
ODATA_JSON = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"




@pytest.fixture(autouse=True)
def environment(server, monkeypatch):
    """The connector's settings point at the stand-ins; nothing cached from another test."""
    for name in ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATAVERSE_URL", server.url_for("/"))
    monkeypatch.setenv("DATAVERSE_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("SMS_PROVIDER", "octopush")
    monkeypatch.setenv("OCTOPUSH_API_LOGIN", LOGIN)
    monkeypatch.setenv("OCTOPUSH_API_KEY", KEY)
    monkeypatch.setenv("OCTOPUSH_BASE_URL", server.url_for(OCTOPUSH))
    monkeypatch.setenv("SMSC_WEBHOOK_KEY", WEBHOOK_KEY)
    monkeypatch.setenv("SMSC_HTTP_TIMEOUT", "5")
    monkeypatch.setattr(unit_sms, "unit_key", lambda activity_id: f"unit-{activity_id}-0123456789ab")
    crm_users._zones.clear()                 # the time zone catalogue is cached per process
    crm_configuration._cache.clear()            # cached 60 s per api_url: same URL in every test
    bootstrap.reset()
    yield
    crm_configuration._cache.clear()
    bootstrap.reset()


# -- Dataverse answers, in the documented shapes ----------------------------------------------------
def odata(body: dict | None, status: int = 200, headers: dict | None = None) -> Response:
    if body is None:
        return Response(status=status, headers={"OData-Version": "4.0", **(headers or {})})
    return Response(json.dumps(body), status=status, content_type=ODATA_JSON,
                    headers={"OData-Version": "4.0", **(headers or {})})


def dataverse_error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def context(server, fragment: str) -> str:
    return server.url_for(f"{API}/$metadata#{fragment}")


def systemuser(server) -> dict:
    return {"@odata.context": context(server, "systemusers(azureactivedirectoryobjectid)/$entity"),
            "@odata.etag": 'W/"4412087"', "azureactivedirectoryobjectid": OBJECT_ID, "systemuserid": USER_ID}


def party(mask: int, label: str, table: str, record_id: str, name: str, address: str | None) -> dict:
    return {
        "@odata.etag": 'W/"5948251"',
        "participationtypemask@OData.Community.Display.V1.FormattedValue": label,
        "participationtypemask": mask,
        "_partyid_value@OData.Community.Display.V1.FormattedValue": name,
        "_partyid_value@Microsoft.Dynamics.CRM.associatednavigationproperty": f"partyid_{table}",
        "_partyid_value@Microsoft.Dynamics.CRM.lookuplogicalname": table,
        "_partyid_value": record_id,
        "addressused": address,
        "activitypartyid": f"a0000000-0000-4000-8000-00000000000{mask}",
    }


SENDER_PARTY = party(1, "Sender", "systemuser", USER_ID, "Claire Martin", "claire.martin@contoso.fr")
TO_CONTACT = party(2, "To Recipient", "contact", CONTACT_ID, "David Smith", None)


def activity(server, *, description="Votre commande 4711 est expédiée aujourd'hui.", parties=None,
             regarding=("contact", CONTACT_ID, "David Smith"), **columns) -> dict:
    """`GET smsc_textmessages(id)?$select=…&$expand=…` as Dataverse answers it with annotations."""
    row = {
        "@odata.context": context(server, "smsc_textmessages(subject,description,scheduledend,smsc_status,"
                                          "smsc_smstype,smsc_sender,smsc_phonenumber,smsc_idempotencykey,"
                                          "_regardingobjectid_value,_smsc_templateid_value,"
                                          "_smsc_workflowid_value,smsc_cheapertext,"
                                          "smsc_textmessage_activity_parties(participationtypemask,"
                                          "_partyid_value,addressused))/$entity"),
        "@odata.etag": ETAG,
        "subject": "SMS", "description": description, "scheduledend": None,
        "smsc_status@OData.Community.Display.V1.FormattedValue": "Send requested", "smsc_status": 2,
        "smsc_smstype": None, "smsc_sender": None, "smsc_phonenumber": None, "smsc_idempotencykey": None,
        "_regardingobjectid_value": None, "_smsc_templateid_value": None, "_smsc_workflowid_value": None,
        "smsc_cheapertext": None, "activityid": ACTIVITY_ID,
        "smsc_textmessage_activity_parties": [SENDER_PARTY, TO_CONTACT] if parties is None else parties,
    }
    if regarding:
        table, record_id, name = regarding
        row |= {"_regardingobjectid_value@OData.Community.Display.V1.FormattedValue": name,
                "_regardingobjectid_value@Microsoft.Dynamics.CRM.associatednavigationproperty":
                    f"regardingobjectid_{table}_smsc_textmessage",
                "_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname": table,
                "_regardingobjectid_value": record_id}
    return row | columns


def configuration_rows(server, **changes) -> dict:
    row = {
        "@odata.etag": 'W/"3301120"',
        "smsc_unitallowtypechoice": True,
        "smsc_unitdefaultsmstype@OData.Community.Display.V1.FormattedValue": "Transactional",
        "smsc_unitdefaultsmstype": 2,
        "smsc_unitallowsenderchoice": True, "smsc_unitdefaultsender": "CONTOSO",
        "smsc_campaignallowtypechoice": True,
        "smsc_campaigndefaultsmstype@OData.Community.Display.V1.FormattedValue": "Marketing",
        "smsc_campaigndefaultsmstype": 1,
        "smsc_campaignallowsenderchoice": False, "smsc_campaigndefaultsender": "CONTOSO",
        "smsc_stoptext": "STOP au 30101", "smsc_appendstop": False, "smsc_excludeoptouts": True,
        "smsc_defaultcountry": "FR", "smsc_warnthreshold": None, "smsc_quotasenabled": False,
        "smsc_campaignduration": 72, "smsc_quiethoursstart": None, "smsc_quiethoursend": None,
        "smsc_configurationid": CONFIG_ID,
    } | changes
    return {"@odata.context": context(server, "smsc_configurations(" + ",".join(CONFIG_COLUMNS) + ")"),
            "value": [row]}


def contact(server) -> dict:
    return {"@odata.context": context(server, "contacts(fullname,mobilephone)/$entity"),
            "@odata.etag": 'W/"72201545"', "fullname": "David Smith", "mobilephone": "06 49 81 90 06",
            "contactid": CONTACT_ID}


def updated() -> Response:
    """PATCH answers 204 No Content with the row's address."""
    return odata(None, 204, {"OData-EntityId": f"{API}/smsc_textmessages({ACTIVITY_ID})"})


# -- expectations -----------------------------------------------------------------------------------
def expect_get(server, path: str, query: dict | None, *, as_user: bool = True):
    return server.expect_ordered_request(f"{API}/{path}", method="GET", query_string=query,
                                         headers={**READ, **(AS_USER if as_user else {})})


def expect_patch(server, if_match: str, body: dict | None):
    kwargs = {} if body is None else {"json": body}
    return server.expect_ordered_request(f"{API}/smsc_textmessages({ACTIVITY_ID})", method="PATCH",
                                         headers={**WRITE, "If-Match": if_match}, **kwargs)


def expect_caller_lookup(server):
    """As the app itself (no CallerObjectId): the Entra object id of the webhook's systemuserid."""
    expect_get(server, f"systemusers({USER_ID})", {"$select": "azureactivedirectoryobjectid"},
               as_user=False).respond_with_response(odata(systemuser(server)))


def expect_activity_read(server):
    return expect_get(server, f"smsc_textmessages({ACTIVITY_ID})", ACTIVITY_QUERY)


def expect_default_sender(server, own: str | None = None, teams: tuple[dict, ...] = ()):
    """The user's default sender (issue 11), then their teams' when they have none."""
    expect_get(server, f"systemusers({USER_ID})", {"$select": "smsc_defaultsender"}).respond_with_response(odata({
        "@odata.context": context(server, "systemusers(smsc_defaultsender)/$entity"), "@odata.etag": 'W/"4412088"',
        "smsc_defaultsender": own, "systemuserid": USER_ID}))
    if not own:         # a collection read: its Prefer header also asks for pages
        headers = {k: v for k, v in READ.items() if k != "Prefer"} | AS_USER
        server.expect_ordered_request(f"{API}/systemusers({USER_ID})/teammembership_association", method="GET",
                                      query_string={"$select": "name,smsc_defaultsender"}, headers=headers) \
            .respond_with_response(odata({"@odata.context": context(server, "teams(name,smsc_defaultsender)"),
                                          "value": list(teams)}))


def expect_configuration_recipient_optout(server, *, number: str = "+33649819006", recipient=None,
                                          optouts: tuple[dict, ...] = (), configuration: dict | None = None,
                                          sender_read: bool = True, own_sender: str | None = None,
                                          teams: tuple[dict, ...] = ()):
    expect_get(server, "smsc_configurations", CONFIG_QUERY).respond_with_response(
        odata(configuration_rows(server, **(configuration or {}))))
    if recipient is None:
        expect_get(server, f"contacts({CONTACT_ID})", {"$select": "fullname,mobilephone"}) \
            .respond_with_response(odata(contact(server)))
    else:
        recipient()
    if sender_read:
        expect_default_sender(server, own_sender, teams)
    expect_get(server, "smsc_optouts", {
        "$select": "smsc_optoutid", "$filter": f"smsc_phonenumber eq '{number}' and smsc_active eq true",
        "$top": "1"}).respond_with_response(odata({
            "@odata.context": context(server, "smsc_optouts(smsc_optoutid)"), "value": list(optouts)}))


def expect_reads_up_to_the_optout(server, *, activity_row: dict, **recipient_and_optouts):
    """The reads before the take: caller id, activity, configuration, recipient, opt-out."""
    expect_caller_lookup(server)
    expect_activity_read(server).respond_with_response(odata(activity_row))
    expect_configuration_recipient_optout(server, **recipient_and_optouts)


def take(*, text: str, sms_type: int, sender: str, key: str = KEY_FROM_ETAG,
         number: str = "+33649819006") -> dict:
    return {"smsc_status": 3, "smsc_idempotencykey": key, "smsc_phonenumber": number, "description": text,
            "smsc_smstype": sms_type, "smsc_sender": sender, "smsc_encoding": 1, "smsc_segments": 1,
            "smsc_error": None}


def post_webhook():
    body = remote_execution_context("Create", "smsc_textmessage", ACTIVITY_ID, user_id=USER_ID,
                                    attributes={"smsc_status": option(2)})
    return invoke("POST", "dataverse/events", body=body,
                  headers=webhook_headers("Create", "smsc_textmessage", WEBHOOK_KEY))


def requests_to(server, prefix: str) -> list[Request]:
    return [request for request, _ in server.log if request.path.startswith(prefix)]


# -- the tests --------------------------------------------------------------------------------------
def test_transactional_sms_every_request_in_order_then_sent(server):
    text = "Votre commande 4711 est expédiée aujourd'hui."
    expect_reads_up_to_the_optout(server, activity_row=activity(server, description=text))
    expect_patch(server, ETAG, take(text=text, sms_type=2, sender="CONTOSO")).respond_with_response(updated())
    server.expect_ordered_request(SEND, method="POST", headers=OCTOPUSH_HEADERS, json={
        "recipients": [{"phone_number": "+33649819006"}], "text": text, "type": "sms_premium",
        "purpose": "alert", "sender": "CONTOSO", "request_id": KEY_FROM_ETAG, "with_replies": False,
        "auto_optimize_text": False,
    }).respond_with_json(OCTOPUSH_SUCCESS)
    expect_patch(server, "*", None).respond_with_response(updated())

    before = datetime.now(timezone.utc).replace(microsecond=0)
    response = post_webhook()
    after = datetime.now(timezone.utc)

    assert response.status == 200
    assert response.json() == {"handled": "unit-sms:sent", "activityid": ACTIVITY_ID, "outcome": "sent"}
    assert len(server.log) == 10
    final = json.loads(server.log[-1][0].get_data())
    actualend = final.pop("actualend")
    assert final == {"smsc_status": 5, "smsc_providermessageid": "sms_5fec89fe97109", "smsc_cost": 0.0333}
    assert before <= datetime.strptime(actualend, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) <= after

    dataverse = requests_to(server, API)
    # The caller's Entra id is read as the app itself; everything after runs as that user.
    assert "CallerObjectId" not in dataverse[0].headers
    assert all(r.headers.get("CallerObjectId") == OBJECT_ID for r in dataverse[1:])
    assert all("Content-Type" not in r.headers for r in dataverse if r.method == "GET")
    assert all("api-key" not in r.headers for r in dataverse)
    # `+` in the OData literal travels as %2B (a raw `+` would reach Dataverse as a space).
    assert b"%2B33649819006" in dataverse[6].query_string and b"+" not in dataverse[6].query_string
    # The bearer token and the impersonation never travel to Octopush.
    [octopush] = requests_to(server, OCTOPUSH)
    assert "Authorization" not in octopush.headers and "CallerObjectId" not in octopush.headers


def test_marketing_sms_due_later_is_held_by_the_connector_with_its_existing_key(server):
    """Regarding a lead (no To party), marketing with the STOP mention, the user's sender, a due
    date in the future, and a key kept from an earlier uncertain attempt."""
    text = "Soldes -20% ce week-end chez Contoso ! STOP au 30101"
    kept_key = f"unit-{ACTIVITY_ID}-5948100"
    row = activity(server, description=text, parties=[SENDER_PARTY], regarding=("lead", LEAD_ID, "Anne Girard"),
                   scheduledend="2031-03-14T09:30:00Z", smsc_smstype=1, smsc_sender="SOLDES",
                   smsc_idempotencykey=kept_key)

    def lead():
        expect_get(server, f"leads({LEAD_ID})", {"$select": "fullname,mobilephone"}).respond_with_response(odata({
            "@odata.context": context(server, "leads(fullname,mobilephone)/$entity"), "@odata.etag": 'W/"81234"',
            "fullname": "Anne Girard", "mobilephone": "+33 6 22 22 22 22", "leadid": LEAD_ID}))

    # Was: the take, then Octopush with `send_at` 2031-03-14T09:30:00+00:00, then Scheduled + ticket.
    # Now the take itself holds it at the connector (Scheduled, the due date kept) and Octopush gets nothing:
    # the release timer sends it at its time (connector.unit_release), cancellable until then.
    expect_reads_up_to_the_optout(server, activity_row=row, number="+33622222222", recipient=lead,
                                  sender_read=False)      # the SMS names its sender: no default read
    expect_patch(server, ETAG, {**take(text=text, sms_type=1, sender="SOLDES", key=kept_key, number="+33622222222"),
                                "smsc_status": 4, "scheduledend": "2031-03-14T09:30:00Z"}) \
        .respond_with_response(updated())

    response = post_webhook()

    assert response.status == 200
    assert response.json() == {"handled": "unit-sms:scheduled", "activityid": ACTIVITY_ID, "outcome": "scheduled",
                               "sendat": "2031-03-14T09:30:00Z"}
    assert len(server.log) == 6 and requests_to(server, OCTOPUSH) == []


def test_template_text_is_merged_with_the_recipient_in_the_users_format(server):
    """An empty description and a published template: the template, the recipient with the
    template's columns, then the user's personal options are read before the opt-out check."""
    text = "Bonjour David, votre commande vous attend."

    def template_and_recipient():
        expect_get(server, f"smsc_smstemplates({TEMPLATE_ID})",
                   {"$select": "smsc_name,smsc_text,smsc_templatestatus,smsc_entity"}).respond_with_response(odata({
                       "@odata.context": context(server, "smsc_smstemplates(smsc_name,smsc_text,smsc_templatestatus,"
                                                         "smsc_entity)/$entity"),
                       "@odata.etag": 'W/"661203"', "smsc_name": "Commande prête",
                       "smsc_text": "Bonjour {{ firstname }}, votre commande vous attend.",
                       "smsc_templatestatus@OData.Community.Display.V1.FormattedValue": "Published",
                       "smsc_templatestatus": 2, "smsc_entity": "contact", "smsc_smstemplateid": TEMPLATE_ID}))
        expect_get(server, f"contacts({CONTACT_ID})", {"$select": "firstname,fullname,mobilephone"}) \
            .respond_with_response(odata({**contact(server), "firstname": "David"}))
        expect_get(server, f"usersettingscollection({USER_ID})",
                   {"$select": "uilanguageid,dateformatstring,timeformatstring,timezonecode"}).respond_with_response(odata({
                       "@odata.context": context(server, "usersettingscollection(uilanguageid,dateformatstring,"
                                                         "timeformatstring,timezonecode)/$entity"),
                       "@odata.etag": 'W/"99120"', "uilanguageid": 1036, "dateformatstring": "dd/MM/yyyy",
                       "timeformatstring": "HH:mm", "timezonecode": 105, "systemuserid": USER_ID}))
        expect_get(server, "timezonedefinitions", {"$select": "standardname", "$filter": "timezonecode eq 105",
                                                   "$top": "1"}).respond_with_response(odata({
            "@odata.context": context(server, "timezonedefinitions(standardname)"),
            "value": [{"@odata.etag": 'W/"1"', "standardname": "Romance Standard Time",
                       "timezonedefinitionid": "7d000000-0000-4000-8000-000000000105"}]}))

    row = activity(server, description=None, _smsc_templateid_value=TEMPLATE_ID,
                   **{"_smsc_templateid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "smsc_smstemplate",
                      "_smsc_templateid_value@OData.Community.Display.V1.FormattedValue": "Commande prête"})
    expect_reads_up_to_the_optout(server, activity_row=row, recipient=template_and_recipient)
    expect_patch(server, ETAG, take(text=text, sms_type=2, sender="CONTOSO")).respond_with_response(updated())
    server.expect_ordered_request(SEND, method="POST", headers=OCTOPUSH_HEADERS, json={
        "recipients": [{"phone_number": "+33649819006"}], "text": text, "type": "sms_premium",
        "purpose": "alert", "sender": "CONTOSO", "request_id": KEY_FROM_ETAG, "with_replies": False,
        "auto_optimize_text": False,
    }).respond_with_json(OCTOPUSH_SUCCESS)
    expect_patch(server, "*", None).respond_with_response(updated())

    response = post_webhook()

    assert response.json() == {"handled": "unit-sms:sent", "activityid": ACTIVITY_ID, "outcome": "sent"}
    assert len(server.log) == 13                     # + the user's time zone, read once per process
    assert crm_users._zones == {105: "Europe/Paris"}


def test_a_412_on_the_take_is_already_taken_and_octopush_is_never_called(server):
    text = "Votre commande 4711 est expédiée aujourd'hui."
    expect_reads_up_to_the_optout(server, activity_row=activity(server, description=text))
    expect_patch(server, ETAG, take(text=text, sms_type=2, sender="CONTOSO")).respond_with_response(
        odata(dataverse_error("0x80060882", VERSION_MISMATCH), 412))
    # Whose take won? The row holds a rival delivery's key, not ours.
    server.expect_ordered_request(
        f"{API}/smsc_textmessages({ACTIVITY_ID})", method="GET",
        query_string={"$select": "smsc_status,smsc_idempotencykey,smsc_providermessageid"}).respond_with_response(
        odata(activity(server, smsc_status=3, smsc_idempotencykey=f"unit-{ACTIVITY_ID}-rival0000000")))

    response = post_webhook()

    assert response.status == 200
    assert response.json() == {"handled": "unit-sms:already-taken", "activityid": ACTIVITY_ID,
                               "outcome": "already-taken"}
    assert len(server.log) == 9                      # nothing after the refused take and the check
    assert requests_to(server, OCTOPUSH) == []


def expect_user_settings(server, language: int = 1036):
    """The sender's personal options, read to write a refusal in their language."""
    expect_get(server, f"usersettingscollection({USER_ID})",
               {"$select": "uilanguageid,dateformatstring,timeformatstring,timezonecode"}).respond_with_response(odata({
                   "@odata.context": context(server, "usersettingscollection(uilanguageid,dateformatstring,"
                                                     "timeformatstring,timezonecode)/$entity"),
                   "@odata.etag": 'W/"99120"', "uilanguageid": language, "dateformatstring": "dd/MM/yyyy",
                   "timeformatstring": "HH:mm", "systemuserid": USER_ID}))


def test_an_opted_out_number_fails_with_a_conditional_write_and_nothing_is_sent(server):
    text = "Votre commande 4711 est expédiée aujourd'hui."
    expect_reads_up_to_the_optout(server, activity_row=activity(server, description=text), optouts=(
        {"@odata.etag": 'W/"7012"', "smsc_optoutid": "0f000000-0000-4000-8000-000000000001"},))
    expect_user_settings(server)                      # a French user: the reason is written in French
    error = "Le +33649819006 est inscrit en liste d'opposition (STOP)."
    expect_patch(server, ETAG, {"smsc_status": 8, "smsc_error": error, "smsc_idempotencykey": None}) \
        .respond_with_response(updated())

    response = post_webhook()

    assert response.json() == {"handled": "unit-sms:failed", "activityid": ACTIVITY_ID, "outcome": "failed",
                               "error": error}
    assert len(server.log) == 9 and requests_to(server, OCTOPUSH) == []


def test_octopush_code_121_is_written_as_failed_naming_the_stop_mention(server):
    """An organisation configured another provider's short number (« STOP au 36180 »): our check finds
    the configured mention, but Octopush wants its own (30101) and refuses with 400 / code 121. Not
    retried; the key is cleared (a definite refusal)."""
    text = "Soldes -20% ce week-end chez Contoso ! STOP au 36180"
    row = activity(server, description=text, smsc_smstype=1)
    expect_reads_up_to_the_optout(server, activity_row=row, configuration={"smsc_stoptext": "STOP au 36180"})
    expect_patch(server, ETAG, take(text=text, sms_type=1, sender="CONTOSO")).respond_with_response(updated())
    server.expect_ordered_request(SEND, method="POST", headers=OCTOPUSH_HEADERS, json={
        "recipients": [{"phone_number": "+33649819006"}], "text": text, "type": "sms_premium",
        "purpose": "wholesale", "sender": "CONTOSO", "request_id": KEY_FROM_ETAG, "with_replies": False,
        "auto_optimize_text": False,
    }).respond_with_json({"code": 121, "message": "STOP mention ([STOP au 30101]) is missing from your text."},
                         status=400)
    expect_user_settings(server, 1033)                # an English user
    error = ("Octopush refused the send: STOP mention (STOP au 30101) is missing from a marketing SMS to "
             "French numbers (Octopush code 121)")
    expect_patch(server, "*", {"smsc_status": 8, "smsc_error": error, "smsc_idempotencykey": None}) \
        .respond_with_response(updated())

    response = post_webhook()

    assert response.status == 200
    assert response.json() == {"handled": "unit-sms:failed", "activityid": ACTIVITY_ID, "outcome": "failed",
                               "error": error}
    assert len(server.log) == 11 and len(requests_to(server, OCTOPUSH)) == 1


def test_a_429_with_retry_after_on_the_activity_read_is_waited_out(server, retry_waits):
    text = "Votre commande 4711 est expédiée aujourd'hui."
    reads: list[int] = []                            # how many retry waits came before each read

    def throttled(_request):
        reads.append(len(retry_waits))
        return odata(dataverse_error(
            "0x80072322", "Number of requests exceeded the limit of 6000 over time window of 300 seconds."),
            429, {"Retry-After": "1"})

    def answered(_request):
        reads.append(len(retry_waits))
        return odata(activity(server, description=text))

    expect_caller_lookup(server)
    expect_activity_read(server).respond_with_handler(throttled)
    expect_activity_read(server).respond_with_handler(answered)     # same request, after Retry-After
    expect_configuration_recipient_optout(server)
    expect_patch(server, ETAG, take(text=text, sms_type=2, sender="CONTOSO")).respond_with_response(updated())
    server.expect_ordered_request(SEND, method="POST", headers=OCTOPUSH_HEADERS).respond_with_json(OCTOPUSH_SUCCESS)
    expect_patch(server, "*", None).respond_with_response(updated())

    response = post_webhook()

    assert response.json() == {"handled": "unit-sms:sent", "activityid": ACTIVITY_ID, "outcome": "sent"}
    assert len(server.log) == 11                      # the 10 of a send plus the one throttled GET
    assert reads == [0, 1] and retry_waits == [1.0]  # Retry-After: 1 honoured between the reads, nothing else


def test_a_persistent_503_answers_503_so_dataverse_retries_and_nothing_is_written(server, retry_waits):
    expect_caller_lookup(server)
    for _ in range(4):                               # the first try and the session's 3 retries
        expect_activity_read(server).respond_with_response(
            odata(dataverse_error("", "The service is temporarily unavailable. Please try again later."), 503))

    response = post_webhook()

    assert response.status == 503
    error = response.json()["error"]
    assert error["code"] == "crm_unavailable" and "503" in error["message"]
    assert TOKEN not in response.body.decode()
    assert len(server.log) == 5
    assert retry_waits == [1.0, 2.0]                 # the first retry at once, then an exponential back-off
    assert all(request.method == "GET" for request, _ in server.log)
    assert requests_to(server, OCTOPUSH) == []


def test_a_take_committed_behind_a_504_still_sends_once(server):
    text = "Votre commande 4711 est expédiée aujourd'hui."
    expect_reads_up_to_the_optout(server, activity_row=activity(server, description=text))
    the_take = take(text=text, sms_type=2, sender="CONTOSO")
    expect_patch(server, ETAG, the_take).respond_with_response(
        odata(dataverse_error("", "Gateway Timeout"), 504))          # committed, but the answer was lost
    expect_patch(server, ETAG, the_take).respond_with_response(      # the session's automatic retry
        odata(dataverse_error("0x80060882", VERSION_MISMATCH), 412))
    # Whatever a fix does next (re-read the row, find our own key), the SMS must go out once.
    server.expect_request(f"{API}/smsc_textmessages({ACTIVITY_ID})", method="GET").respond_with_response(
        odata(activity(server, description=text, smsc_status=3, smsc_idempotencykey=KEY_FROM_ETAG,
                       **{"@odata.etag": 'W/"5948261"'})))
    server.expect_request(SEND, method="POST").respond_with_json(OCTOPUSH_SUCCESS)
    server.expect_request(f"{API}/smsc_textmessages({ACTIVITY_ID})", method="PATCH").respond_with_response(updated())

    response = post_webhook()

    sends = [json.loads(r.get_data()) for r in requests_to(server, OCTOPUSH)]
    assert [s["request_id"] for s in sends] == [KEY_FROM_ETAG]
    assert response.json()["outcome"] == "sent"


# -- issue 11: the sender of the user or their team; the CRM's refusal of the user ---------------------
def test_the_users_own_default_sender_replaces_the_configurations(server):
    text = "Votre commande 4711 est expédiée aujourd'hui."
    expect_reads_up_to_the_optout(server, activity_row=activity(server, description=text), own_sender="CLAIRE")
    expect_patch(server, ETAG, take(text=text, sms_type=2, sender="CLAIRE")).respond_with_response(updated())
    server.expect_ordered_request(SEND, method="POST", headers=OCTOPUSH_HEADERS).respond_with_json(OCTOPUSH_SUCCESS)
    expect_patch(server, "*", None).respond_with_response(updated())

    response = post_webhook()

    assert response.json()["outcome"] == "sent"
    [octopush] = requests_to(server, OCTOPUSH)
    assert json.loads(octopush.get_data())["sender"] == "CLAIRE"
    assert len(server.log) == 9                      # the user has a sender: their teams are not read


def test_the_teams_sender_when_the_user_has_none_first_team_by_name(server):
    text = "Votre commande 4711 est expédiée aujourd'hui."
    teams = ({"@odata.etag": 'W/"1"', "name": "Support", "smsc_defaultsender": "SUPPORT", "teamid": CONTACT_ID},
             {"@odata.etag": 'W/"2"', "name": "Agence Lyon", "smsc_defaultsender": "LYON", "teamid": LEAD_ID})
    expect_reads_up_to_the_optout(server, activity_row=activity(server, description=text), teams=teams)
    expect_patch(server, ETAG, take(text=text, sms_type=2, sender="LYON")).respond_with_response(updated())
    server.expect_ordered_request(SEND, method="POST", headers=OCTOPUSH_HEADERS).respond_with_json(OCTOPUSH_SUCCESS)
    expect_patch(server, "*", None).respond_with_response(updated())

    assert post_webhook().json()["outcome"] == "sent"
    [octopush] = requests_to(server, OCTOPUSH)
    assert json.loads(octopush.get_data())["sender"] == "LYON"


PRIVILEGE_MESSAGE = (f"Principal user (Id={USER_ID}, type=8, roleCount=1, privilegeCount=2, accessMode=0), is "
                     "missing prvWriteActivity privilege (Id=7cf3c8ac-2c0a-4bd8-8f5e-6a6a2a1b0a55) on OTC=4200 for "
                     f"entity 'smsc_textmessage'. context.Caller={USER_ID}")


def test_a_user_without_the_write_privilege_is_told_in_french_by_the_app_and_nothing_is_sent(server):
    text = "Votre commande 4711 est expédiée aujourd'hui."
    expect_reads_up_to_the_optout(server, activity_row=activity(server, description=text))
    expect_patch(server, ETAG, take(text=text, sms_type=2, sender="CONTOSO")).respond_with_response(
        odata(dataverse_error("0x80040220", PRIVILEGE_MESSAGE), 403))
    expect_user_settings(server)
    error = ("Dataverse a refusé l'enregistrement du SMS : votre rôle de sécurité ne donne pas le droit "
             "prvWriteActivity. Demandez à votre administrateur le rôle « SMS Connector User ».")
    as_app = {k: v for k, v in WRITE.items() if k != "CallerObjectId"} | {"If-Match": "*"}
    server.expect_ordered_request(f"{API}/smsc_textmessages({ACTIVITY_ID})", method="PATCH", headers=as_app, json={
        "smsc_status": 8, "smsc_error": error, "smsc_idempotencykey": None}).respond_with_response(updated())

    response = post_webhook()

    assert response.json() == {"handled": "unit-sms:failed", "activityid": ACTIVITY_ID, "outcome": "failed",
                               "error": error}
    assert requests_to(server, OCTOPUSH) == []
    assert "CallerObjectId" not in server.log[-1][0].headers          # the refusal is written by the app
