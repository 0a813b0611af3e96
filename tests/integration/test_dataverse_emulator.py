"""The Dataverse Web API emulator, driven over HTTP with plain `requests` as a real client would."""
from __future__ import annotations

import base64
import threading
from urllib.parse import urlparse

import pytest
import requests

from emulators import dataverse_seed as s
from emulators.dataverse import DataverseEmulator
from emulators.server import EmulatorServer
from connector.http import build_session

API = "/api/data/v9.2/"
TOKEN = "emulator-token"
ANNOTATIONS = {"Prefer": 'odata.include-annotations="*"'}
FV = "@OData.Community.Display.V1.FormattedValue"
LN = "@Microsoft.Dynamics.CRM.lookuplogicalname"


@pytest.fixture
def emulator():
    return DataverseEmulator()


@pytest.fixture
def server(emulator):
    with EmulatorServer(emulator) as srv:
        yield srv


@pytest.fixture
def api(server, make_api):
    """A session talking to the emulator: `api.get("contacts(...)")` etc."""
    return make_api(server.url + API, TOKEN)


def created_id(response) -> str:
    return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


def error(response) -> dict:
    return response.json()["error"]


def test_requests_without_the_bearer_token_get_401(server, api):
    assert requests.get(server.url + API + "contacts").status_code == 401
    wrong = requests.get(server.url + API + "contacts", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "message" in error(wrong)
    assert "Bearer" in wrong.headers["WWW-Authenticate"]
    assert api.get("contacts").status_code == 200


def test_create_retrieve_update_with_etags(api, emulator):
    created = api.post("contacts", json={"firstname": "Ada", "lastname": "Lovelace",
                                         "mobilephone": "+33612345678"})
    assert created.status_code == 204 and created.text == ""
    entity_id = created.headers["OData-EntityId"]
    assert entity_id.startswith(api.url + "contacts(")
    contact_id = created_id(created)

    got = api.get(f"contacts({contact_id})?$select=fullname,mobilephone,telephone1,createdon")
    assert got.status_code == 200
    row = got.json()
    assert row["@odata.context"].endswith("$metadata#contacts(fullname,mobilephone,telephone1,createdon)/$entity")
    assert row["contactid"] == contact_id and row["fullname"] == "Ada Lovelace"
    assert row["telephone1"] is None and row["createdon"].endswith("Z")
    etag = row["@odata.etag"]
    assert etag.startswith('W/"')

    updated = api.patch(f"contacts({contact_id})", json={"lastname": "King"}, headers={"If-Match": etag})
    assert updated.status_code == 204
    stale = api.patch(f"contacts({contact_id})", json={"lastname": "Byron"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert error(stale) == {"code": "0x80060882", "message": "The version of the existing record "
                            "doesn't match the RowVersion property provided."}
    after = api.get(f"contacts({contact_id})?$select=fullname").json()
    assert after["fullname"] == "Ada King" and after["@odata.etag"] != etag
    assert emulator.get("contacts", contact_id)["lastname"] == "King"

    represented = api.patch(f"contacts({contact_id})?$select=firstname", json={"firstname": "Augusta"},
                            headers={"If-Match": "*", "Prefer": "return=representation"})
    assert represented.status_code == 200 and represented.json()["firstname"] == "Augusta"
    assert api.delete(f"contacts({contact_id})").status_code == 204
    assert api.get(f"contacts({contact_id})").status_code == 404


def test_patch_conditions_upsert_and_create_only(api):
    new_id = "12345678-aaaa-4bbb-8ccc-1234567890ab"
    missing = api.patch(f"contacts({new_id})", json={"lastname": "X"}, headers={"If-Match": "*"})
    assert missing.status_code == 404
    assert error(missing) == {"code": "0x80040217", "message": f"contact With Id = {new_id} Does Not Exist"}
    upsert = api.patch(f"contacts({new_id})", json={"lastname": "Upserted"},
                       headers={"Prefer": "return=representation"})
    assert upsert.status_code == 201 and upsert.json()["contactid"] == new_id
    again = api.patch(f"contacts({new_id})", json={"lastname": "Y"}, headers={"If-None-Match": "*"})
    assert again.status_code == 412
    assert error(again)["message"] == "A record with matching key values already exists."
    assert api.get(f"contacts({new_id})?$select=lastname").json()["lastname"] == "Upserted"
    duplicate = api.post("contacts", json={"contactid": new_id, "lastname": "Clone"})
    assert duplicate.status_code == 412 and error(duplicate)["code"] == "0x80040237"


def test_concurrent_if_match_updates_let_exactly_one_win(api, server):
    etag = api.get(f"contacts({s.JOHN_DOE_ID})?$select=lastname").json()["@odata.etag"]
    barrier, statuses = threading.Barrier(10), []

    def worker(n):
        session = requests.Session()
        barrier.wait()
        response = session.patch(f"{server.url}{API}contacts({s.JOHN_DOE_ID})",
                                 json={"lastname": f"Doe {n}"},
                                 headers={"If-Match": etag, "Authorization": f"Bearer {TOKEN}"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [204] + [412] * 9


def test_paging_follows_next_links_without_skipping_rows(api, emulator):
    for n in range(12):
        emulator.insert("leads", {"firstname": f"P{n:02}", "lastname": "Paged"})
    prefer = {"Prefer": "odata.maxpagesize=5"}
    first = api.get("leads?$select=firstname&$filter=lastname eq 'Paged'&$orderby=firstname desc"
                    "&$count=true", headers=prefer)
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=5"
    body = first.json()
    assert body["@odata.count"] == 12 and len(body["value"]) == 5
    link = body["@odata.nextLink"]
    assert urlparse(link).scheme == "http" and "$skiptoken=" in link
    names = [r["firstname"] for r in body["value"]]
    # Deleting a row already read must not shift the next page (keyset paging, not offsets).
    emulator.store.delete("leads", [body["value"][0]["leadid"]])
    pages = [len(body["value"])]
    while "@odata.nextLink" in body:
        body = api.follow(body["@odata.nextLink"], headers=prefer).json()
        pages.append(len(body["value"]))
        names += [r["firstname"] for r in body["value"]]
    assert pages == [5, 5, 2]
    assert names == [f"P{n:02}" for n in range(11, -1, -1)]


def test_filter_select_and_orderby(api):
    def names(filter, **options):
        params = {"$select": "fullname", "$filter": filter, **{f"${k}": v for k, v in options.items()}}
        response = api.get("contacts", params=params)      # requests encodes '+' as %2B
        assert response.status_code == 200, response.text
        return [r["fullname"] for r in response.json()["value"]]

    assert names("mobilephone eq '+33649819006'") == ["David Smith"]
    assert names("contains(fullname,'SMITH')") == ["David Smith"]           # case-insensitive
    assert names(f"_parentcustomerid_value eq {s.FABRIKAM_ID}") == ["Léa Dubois"]
    assert names("mobilephone eq null") == ["Julie Moreau"]
    assert names("startswith(mobilephone,'+336') and not (lastname eq 'Smith')",
                 orderby="lastname desc") == ["Peter Parker", "Sophie Laurent", "John Doe"]
    assert names("lastname eq 'O''Brien' or (firstname eq 'Marc' and statecode eq 0)") == ["Marc Petit"]
    assert names("lastname ne 'Smith' and mobilephone ne null", orderby="statecode,firstname",
                 top="2") == ["John Doe", "Léa Dubois"]

    unknown = api.get("contacts?$select=fullname,nickname")
    assert unknown.status_code == 400
    assert error(unknown) == {"code": "0x80060888", "message": "Could not find a property named "
                              "'nickname' on type 'Microsoft.Dynamics.CRM.contact'."}
    quoted_guid = api.get(f"contacts?$filter=_parentcustomerid_value eq '{s.CONTOSO_ID}'")
    assert quoted_guid.status_code == 400 and "incompatible types" in error(quoted_guid)["message"]
    assert api.get("contacts?$skip=5").status_code == 400


def test_expand_lookup_with_annotations(api):
    response = api.get("accounts?$select=name,_primarycontactid_value&$orderby=name"
                       "&$expand=primarycontactid($select=mobilephone,fullname)", headers=ANNOTATIONS)
    contoso, fabrikam = response.json()["value"]
    assert contoso["primarycontactid"]["mobilephone"] == "+33649819006"
    assert contoso["_primarycontactid_value" + FV] == "David Smith"
    assert contoso["_primarycontactid_value" + LN] == "contact"
    assert fabrikam["primarycontactid"] is None and fabrikam["_primarycontactid_value"] is None
    contact = api.get(f"contacts({s.DAVID_SMITH_ID})?$select=fullname"
                      "&$expand=parentcustomerid_account($select=name)").json()
    assert contact["parentcustomerid_account"]["name"] == "Contoso SA"
    assert LN not in str(contact)         # no annotations unless asked for


def test_sms_activity_with_parties_lookups_and_alternate_key(api, emulator):
    campaign = emulator.insert("campaigns", {"name": "Soldes"})
    body = {"subject": "SMS", "description": "Bonjour", "smsc_status": 2, "smsc_direction": 1,
            "smsc_idempotencykey": "campaign:1:contact:1",
            "regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({s.DAVID_SMITH_ID})",
            "smsc_CampaignId@odata.bind": f"/campaigns({campaign})",
            "smsc_textmessage_activity_parties": [
                {"participationtypemask": 1, "partyid_systemuser@odata.bind": f"/systemusers({s.APP_USER_ID})"},
                {"participationtypemask": 2, "partyid_contact@odata.bind": f"/contacts({s.DAVID_SMITH_ID})",
                 "addressused": "+33649819006"}]}
    created = api.post("smsc_textmessages", json=body)
    assert created.status_code == 204, created.text
    sms_id = created_id(created)
    row = api.get(f"smsc_textmessages({sms_id})?$select=smsc_status,_regardingobjectid_value,"
                  "_smsc_campaignid_value,statecode&$expand=smsc_textmessage_activity_parties("
                  "$select=participationtypemask,_partyid_value,addressused)", headers=ANNOTATIONS).json()
    assert row["smsc_status" + FV] == "Send requested" and row["statecode" + FV] == "Open"
    assert row["_regardingobjectid_value"] == s.DAVID_SMITH_ID and row["_regardingobjectid_value" + LN] == "contact"
    assert row["_smsc_campaignid_value" + FV] == "Soldes"
    parties = sorted(row["smsc_textmessage_activity_parties"], key=lambda p: p["participationtypemask"])
    assert [(p["participationtypemask"], p["_partyid_value"], p["_partyid_value" + LN]) for p in parties] == [
        (1, s.APP_USER_ID, "systemuser"), (2, s.DAVID_SMITH_ID, "contact")]
    assert parties[1]["addressused"] == "+33649819006"

    duplicate = api.post("smsc_textmessages", json={"subject": "again", "smsc_idempotencykey": "CAMPAIGN:1:contact:1"})
    assert duplicate.status_code == 412
    assert error(duplicate) == {"code": "0x80060892", "message": "A record with matching key values already exists."}
    assert api.post("smsc_textmessages", json={"subject": "no key 1"}).status_code == 204
    assert api.post("smsc_textmessages", json={"subject": "no key 2"}).status_code == 204

    lowercase_nav = api.post("smsc_textmessages", json={"smsc_campaignid@odata.bind": f"/campaigns({campaign})"})
    assert lowercase_nav.status_code == 400 and "undeclared property" in error(lowercase_nav)["message"]
    ghost = "99999999-9999-4999-8999-999999999999"
    missing = api.post("smsc_textmessages", json={
        "regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({ghost})"})
    assert missing.status_code == 404 and error(missing)["code"] == "0x80040217"
    bad_choice = api.post("smsc_textmessages", json={"smsc_status": 42})
    assert bad_choice.status_code == 400
    direct = api.post("smsc_textmessages", json={"_regardingobjectid_value": s.DAVID_SMITH_ID})
    assert direct.status_code == 400


def test_notes_carry_a_decodable_document(api):
    content = "STATUT;DETAIL;NUMERO;SMS\nSUCCES;;+33649819006;Bonjour\n".encode()
    created = api.post("annotations", json={
        "subject": "Simulation", "filename": "resume.csv", "mimetype": "text/csv",
        "documentbody": base64.b64encode(content).decode(),
        "objectid_contact@odata.bind": f"/contacts({s.DAVID_SMITH_ID})"})
    assert created.status_code == 204
    notes = api.get(f"annotations?$filter=_objectid_value eq {s.DAVID_SMITH_ID}"
                    "&$select=filename,filesize,documentbody,objecttypecode").json()["value"]
    assert len(notes) == 1
    assert notes[0]["filesize"] == len(content) and notes[0]["objecttypecode"] == "contact"
    assert base64.b64decode(notes[0]["documentbody"]) == content
    invalid = api.post("annotations", json={"subject": "x", "documentbody": "not base64!!"})
    assert invalid.status_code == 400


def test_unknown_sets_columns_and_rows(api):
    unknown_set = api.get("widgets")
    assert unknown_set.status_code == 404
    assert error(unknown_set)["message"] == "Resource not found for the segment 'widgets'."
    unknown_column = api.post("contacts", json={"lastname": "X", "shoesize": 42})
    assert unknown_column.status_code == 400 and error(unknown_column)["code"] == "0x80060888"
    assert "'shoesize'" in error(unknown_column)["message"]
    wrong_type = api.post("contacts", json={"lastname": 42})
    assert wrong_type.status_code == 400
    assert api.get("contacts?$select=lastname").json()["value"][-1]["lastname"] == "Laurent"  # nothing written


def test_impersonation_sets_created_by(api):
    as_claire = api.post("contacts", json={"lastname": "Via Claire"},
                         headers={"CallerObjectId": s.CLAIRE_MARTIN_AAD})
    row = api.get(f"contacts({created_id(as_claire)})?$select=_createdby_value,_ownerid_value",
                  headers=ANNOTATIONS).json()
    assert row["_createdby_value"] == s.CLAIRE_MARTIN_ID and row["_ownerid_value"] == s.CLAIRE_MARTIN_ID
    assert row["_createdby_value" + FV] == "Claire Martin"
    as_app = api.post("contacts", json={"lastname": "Via app"})
    assert api.get(f"contacts({created_id(as_app)})").json()["_createdby_value"] == s.APP_USER_ID
    assert api.get("WhoAmI", headers={"CallerObjectId": s.JOHN_BAKER_AAD}).json()["UserId"] == s.JOHN_BAKER_ID
    assert api.get("contacts", headers={"CallerObjectId": "00000000-0000-4000-8000-00000000dead"}).status_code == 403


def test_upsert_by_alternate_key_and_seed_data(api):
    key = "smsc_optouts(smsc_phonenumber='+33600000009')"
    assert api.patch(key, json={"smsc_reason": 1, "smsc_active": True}).status_code == 204
    assert api.patch(key, json={"smsc_active": False}).status_code == 204
    rows = api.get("smsc_optouts", params={"$filter": "smsc_phonenumber eq '+33600000009'"}).json()["value"]
    assert len(rows) == 1 and rows[0]["smsc_active"] is False and rows[0]["smsc_reason"] == 1
    assert api.get(key + "?$select=smsc_active").json()["smsc_active"] is False
    claire = api.get(f"usersettingscollection({s.CLAIRE_MARTIN_ID})?$select=uilanguageid,dateformatstring").json()
    assert claire["uilanguageid"] == 1036 and claire["dateformatstring"] == "dd/MM/yyyy"
    published = api.get("smsc_smstemplates?$select=smsc_name&$filter=smsc_templatestatus eq 2").json()["value"]
    assert sorted(t["smsc_name"] for t in published) == ["Confirmation de commande", "Rappel RDV"]
    relations = api.get("EntityDefinitions(LogicalName='smsc_textmessage')/OneToManyRelationships"
                        "?$select=ReferencingEntity,ReferencedEntityNavigationPropertyName"
                        "&$filter=ReferencingEntity eq 'activityparty'").json()["value"]
    assert relations == [{"ReferencingEntity": "activityparty",
                          "ReferencedEntityNavigationPropertyName": "smsc_textmessage_activity_parties"}]


def test_rows_persist_across_instances_sharing_a_file(tmp_path):
    path = str(tmp_path / "dataverse.db")
    first = DataverseEmulator(db_path=path)
    with EmulatorServer(first) as srv:
        created = requests.post(f"{srv.url}{API}contacts", json={"lastname": "Durable"},
                                headers={"Authorization": f"Bearer {TOKEN}"})
        contact_id = created_id(created)
        etag = requests.get(f"{srv.url}{API}contacts({contact_id})",
                            headers={"Authorization": f"Bearer {TOKEN}"}).json()["@odata.etag"]
    count = len(first.rows("contacts"))
    first.close()
    second = DataverseEmulator(db_path=path)      # seeds again: must not duplicate
    with EmulatorServer(second) as srv:
        row = requests.get(f"{srv.url}{API}contacts({contact_id})",
                           headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert row["lastname"] == "Durable" and row["@odata.etag"] == etag
    assert len(second.rows("contacts")) == count


def test_injected_429_is_answered_with_retry_after(server, emulator, retry_waits):
    emulator.faults.add(429, retry_after=1, times=1, path_contains="contacts")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    throttled = requests.get(f"{server.url}{API}contacts?$select=fullname", headers=headers)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    emulator.faults.add(429, retry_after=1, times=1, path_contains="contacts")
    before = len(emulator.requests)
    retried = build_session(backoff=0).get(f"{server.url}{API}contacts?$select=fullname", headers=headers)
    assert retried.status_code == 200 and len(retried.json()["value"]) == 7
    assert len(emulator.requests) - before == 2 and retry_waits == [1.0]
