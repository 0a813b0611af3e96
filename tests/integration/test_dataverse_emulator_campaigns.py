"""The Dataverse emulator's campaign surface, driven with plain `requests` as a real client would:
marketing lists (N:N navigations, $ref), FetchXML with paging cookies, $batch, CreateMultiple,
organization settings and the campaign seeds."""
from __future__ import annotations

import base64
import email
import json
import os
import time
import xml.etree.ElementTree as ET
from urllib.parse import quote, unquote

import pytest


from emulators import dataverse_seed as s
from emulators.dataverse import DataverseEmulator
from emulators.server import EmulatorServer

API = "/api/data/v9.2/"
PAGING = {"Prefer": 'odata.include-annotations="Microsoft.Dynamics.CRM.fetchxmlpagingcookie,'
                    'Microsoft.Dynamics.CRM.morerecords"'}
MORE, COOKIE = "@Microsoft.Dynamics.CRM.morerecords", "@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"


@pytest.fixture
def emulator():
    return DataverseEmulator()


@pytest.fixture
def api(emulator, make_api):
    with EmulatorServer(emulator) as server:
        yield make_api(server.url + API)


def error(response) -> dict:
    return response.json()["error"]


def values(response, key: str) -> list:
    assert response.status_code == 200, response.text
    return [row.get(key) for row in response.json()["value"]]


# --- marketing lists and N:N navigations -------------------------------------------------------
def test_campaign_lists_and_members_through_nn_navigations(api):
    lists = api.get(f"campaigns({s.CAMPAIGN_MIXED_ID})/campaignlist_association"
                    "?$select=listname,type,createdfromcode,query&$orderby=listname").json()["value"]
    assert [(x["listname"], x["type"], x["createdfromcode"]) for x in lists] == [
        ("Contacts salon 2024", False, 2), ("Contacts Smith et Doe", True, 2)]
    assert lists[0]["query"] is None and "<fetch" in lists[1]["query"]
    guide = api.get(f"campaigns({s.CAMPAIGN_ORDERS_ID})?$select=name,smsc_text,smsc_recipienttype,"
                    "smsc_smstype,smsc_smsstatus").json()
    assert guide["name"] == "Confirmation commandes" and guide["smsc_text"] == s.ORDER_CAMPAIGN_TEXT
    assert (guide["smsc_recipienttype"], guide["smsc_smstype"], guide["smsc_smsstatus"]) == (2, 1, 1)
    members = values(api.get(f"lists({s.LIST_MARKETING_CONTACTS_ID})/listcontact_association"
                             "?$select=fullname,mobilephone&$orderby=lastname"), "fullname")
    assert members == ["John Doe", "Peter Parker", "David Smith"]

    prefer = {"Prefer": "odata.maxpagesize=2"}
    url = f"lists({s.LIST_MIXED_STATIC_ID})/listcontact_association?$select=fullname,mobilephone"
    body = api.get(url, headers=prefer).json()
    pages, names = [len(body["value"])], [r["fullname"] for r in body["value"]]
    assert set(body["value"][0]) == {"@odata.etag", "contactid", "fullname", "mobilephone"}
    while "@odata.nextLink" in body:
        body = api.follow(body["@odata.nextLink"], headers=prefer).json()
        pages.append(len(body["value"]))
        names += [r["fullname"] for r in body["value"]]
    assert pages == [2, 2, 1]
    assert sorted(names) == ["David Smith", "Julie Moreau", "Léa Dubois", "Marc Petit", "Sophie Laurent"]
    with_mobile = api.get(url, params={"$filter": "mobilephone ne null and startswith(mobilephone,'+33')"})
    assert sorted(values(with_mobile, "fullname")) == ["David Smith", "Sophie Laurent"]

    accounts = api.get(f"lists({s.LIST_ACCOUNTS_ID})/listaccount_association?$select=name"
                       "&$orderby=name&$expand=primarycontactid($select=mobilephone)").json()["value"]
    assert [(a["name"], (a["primarycontactid"] or {}).get("mobilephone")) for a in accounts] == [
        ("Contoso SA", "+33649819006"), ("Fabrikam SARL", None)]
    assert values(api.get(f"lists({s.LIST_LEADS_ID})/listlead_association?$select=fullname"),
                  "fullname") == ["Anne Girard"]
    smith_lists = api.get(f"contacts({s.DAVID_SMITH_ID})/listcontact_association?$select=listname")
    assert sorted(values(smith_lists, "listname")) == ["Contacts salon 2024", "Liste marketing contacts"]
    assert api.get(f"lists({s.LIST_LEADS_ID})/listcontact_association").json()["value"] == []
    ghost = api.get("lists(99999999-9999-4999-8999-999999999999)/listcontact_association")
    assert ghost.status_code == 404 and error(ghost)["code"] == "0x80040217"
    assert api.get(f"campaigns({s.CAMPAIGN_ORDERS_ID})/listcontact_association").status_code == 400


def test_associate_and_disassociate_with_ref(api, emulator):
    campaign = emulator.insert("campaigns", {"name": "Relance", "smsc_recipienttype": 2})
    ref = {"@odata.id": f"{api.url}lists({s.LIST_MARKETING_CONTACTS_ID})"}
    linked = api.post(f"campaigns({campaign})/campaignlist_association/$ref", json=ref)
    assert linked.status_code == 204 and linked.text == ""
    again = api.post(f"campaigns({campaign})/campaignlist_association/$ref", json=ref)
    assert again.status_code == 412 and error(again)["code"] == "0x80040237"
    assert values(api.get(f"campaigns({campaign})/campaignlist_association?$select=listname"),
                  "listname") == ["Liste marketing contacts"]
    back = api.get(f"lists({s.LIST_MARKETING_CONTACTS_ID})/campaignlist_association?$select=name")
    assert sorted(values(back, "name")) == ["Confirmation commandes", "Relance"]
    wrong_set = api.post(f"campaigns({campaign})/campaignlist_association/$ref",
                         json={"@odata.id": f"{api.url}contacts({s.JOHN_DOE_ID})"})
    assert wrong_set.status_code == 400
    missing = api.post(f"campaigns({campaign})/campaignlist_association/$ref",
                       json={"@odata.id": f"{api.url}lists(99999999-9999-4999-8999-999999999999)"})
    assert missing.status_code == 404

    members = f"lists({s.LIST_MARKETING_CONTACTS_ID})/listcontact_association"
    count = lambda: api.get(f"lists({s.LIST_MARKETING_CONTACTS_ID})?$select=membercount").json()["membercount"]  # noqa: E731
    assert count() == 3
    assert api.post(members + "/$ref", json={"@odata.id": f"contacts({s.LEA_DUBOIS_ID})"}).status_code == 204
    assert count() == 4
    assert api.delete(f"{members}({s.LEA_DUBOIS_ID})/$ref").status_code == 204
    by_id = api.delete(f"campaigns({campaign})/campaignlist_association/$ref",
                       params={"$id": f"{api.url}lists({s.LIST_MARKETING_CONTACTS_ID})"})
    assert by_id.status_code == 204 and count() == 3
    assert api.get(f"campaigns({campaign})/campaignlist_association").json()["value"] == []
    dynamic = api.post(f"lists({s.LIST_MIXED_DYNAMIC_ID})/listcontact_association/$ref",
                       json={"@odata.id": f"contacts({s.LEA_DUBOIS_ID})"})
    wrong_type = api.post(f"lists({s.LIST_LEADS_ID})/listcontact_association/$ref",
                          json={"@odata.id": f"contacts({s.LEA_DUBOIS_ID})"})
    assert dynamic.status_code == wrong_type.status_code == 400
    emulator.associate("lists", s.LIST_LEADS_ID, "listlead_association", "leads",
                       emulator.insert("leads", {"lastname": "Nouveau"}))
    assert api.get(f"lists({s.LIST_LEADS_ID})?$select=membercount").json()["membercount"] == 2
    assert api.delete(f"contacts({s.PETER_PARKER_ID})").status_code == 204      # leaves its lists
    assert "Peter Parker" not in values(api.get(members + "?$select=fullname"), "fullname")
    definitions = api.get("EntityDefinitions(LogicalName='campaign')/ManyToManyRelationships"
                          "?$select=SchemaName,Entity2LogicalName,IntersectEntityName").json()["value"]
    assert definitions == [{"SchemaName": "campaignlist_association", "Entity2LogicalName": "list",
                            "IntersectEntityName": "campaignitem"}]


# --- FetchXML ----------------------------------------------------------------------------------
def fetch(api, entity_set: str, root: ET.Element, headers=PAGING):
    return api.get(f"{entity_set}?fetchXml={quote(ET.tostring(root, encoding='unicode'), safe='')}",
                   headers=headers)


def paged_leads(emulator) -> ET.Element:
    for n in range(12):
        emulator.insert("leads", {"firstname": f"P{n:02}", "lastname": "Paged",
                                  "telephone1": "+33100000000" if n % 2 else None})
    return ET.fromstring("<fetch count='5' page='1'><entity name='lead'><attribute name='firstname'/>"
                         "<attribute name='telephone1'/><order attribute='firstname' descending='true'/>"
                         "<filter><condition attribute='lastname' operator='eq' value='Paged'/></filter>"
                         "</entity></fetch>")


def test_fetchxml_paging_cookie_round_trip(api, emulator):
    root = paged_leads(emulator)
    first = fetch(api, "leads", root)
    assert first.headers["Preference-Applied"] == PAGING["Prefer"].replace("Prefer: ", "")
    body = first.json()
    assert body[MORE] is True and "@odata.nextLink" not in body
    outer = ET.fromstring(body[COOKIE])
    assert (outer.tag, outer.get("pagenumber"), outer.get("istracking")) == ("cookie", "2", "False")
    raw = outer.get("pagingcookie")
    assert raw.startswith("%253ccookie%2520page%253d%25221%2522%253e")       # URL-encoded twice
    cookie = ET.fromstring(unquote(unquote(raw)))
    rows = body["value"]
    assert [r["firstname"] for r in rows] == ["P11", "P10", "P09", "P08", "P07"]
    assert [(e.tag, e.get("last"), e.get("first")) for e in cookie] == [
        ("firstname", "P07", "P11"),
        ("leadid", "{" + rows[-1]["leadid"].upper() + "}", "{" + rows[0]["leadid"].upper() + "}")]
    assert "telephone1" not in rows[1] and rows[0]["telephone1"] == "+33100000000"   # nulls omitted
    root.set("paging-cookie", unquote(unquote(raw)))      # the cookie without `page` moved on:
    assert values(fetch(api, "leads", root), "firstname")[0] == "P11"    # page 1 again (C# sample bug)
    names, pages, page = [r["firstname"] for r in rows], [len(rows)], 1
    emulator.store.delete("leads", [rows[0]["leadid"]])     # keyset: deleting a read row shifts nothing
    while body.get(MORE):
        root.set("paging-cookie", unquote(unquote(ET.fromstring(body[COOKIE]).get("pagingcookie"))))
        page += 1
        root.set("page", str(page))
        assert "paging-cookie='&lt;cookie page=" in ET.tostring(root, encoding="unicode").replace('"', "'")
        body = fetch(api, "leads", root).json()
        names += [r["firstname"] for r in body["value"]]
        pages.append(len(body["value"]))
        if MORE in body:
            assert ET.fromstring(body[COOKIE]).get("pagenumber") == str(page + 1)
    assert pages == [5, 5, 2] and names == [f"P{n:02}" for n in range(11, -1, -1)]
    assert COOKIE not in body and MORE not in body           # absent on the last page, not false

    root.attrib.pop("paging-cookie")
    root.set("page", "2")                                    # simple paging: page alone, an offset
    assert values(fetch(api, "leads", root), "firstname") == ["P05", "P04", "P03", "P02", "P01"]
    root.set("page", "1")
    plain = fetch(api, "leads", root, headers={}).json()     # annotations only when asked for
    assert len(plain["value"]) == 5 and MORE not in plain and COOKIE not in plain


def test_fetchxml_link_entity_conditions_and_null_omission(api):
    def run(xml, entity_set="contacts"):
        return fetch(api, entity_set, ET.fromstring(xml), headers={}).json()["value"]

    link = ("<link-entity name='account' from='accountid' to='parentcustomerid' link-type='{}' alias='acc'>"
            "<attribute name='name'/></link-entity>")
    outer = run("<fetch><entity name='contact'><attribute name='fullname'/><attribute name='mobilephone'/>"
                "<order attribute='lastname'/>" + link.format("outer") + "</entity></fetch>")
    by_name = {r["fullname"]: r for r in outer}
    assert by_name["David Smith"]["acc.name"] == "Contoso SA"
    assert by_name["Léa Dubois"]["acc.name"] == "Fabrikam SARL"
    assert "acc.name" not in by_name["John Doe"] and "mobilephone" not in by_name["Julie Moreau"]
    assert set(by_name["John Doe"]) == {"@odata.etag", "contactid", "fullname", "mobilephone"}
    inner = run("<fetch><entity name='contact'><attribute name='fullname'/>" + link.format("inner")
                .replace("</link-entity>", "<filter><condition attribute='name' operator='like' "
                         "value='%contoso%'/></filter></link-entity>") + "</entity></fetch>")
    assert [(r["fullname"], r["acc.name"]) for r in inner] == [("David Smith", "Contoso SA")]
    accounts = run("<fetch><entity name='account'><attribute name='name'/><attribute name='primarycontactid'/>"
                   "<link-entity name='contact' from='contactid' to='primarycontactid' link-type='outer' "
                   "alias='pc'><attribute name='mobilephone'/></link-entity></entity></fetch>", "accounts")
    assert {a["name"]: a.get("pc.mobilephone") for a in accounts} == {"Contoso SA": "+33649819006",
                                                                    "Fabrikam SARL": None}
    contoso = [a for a in accounts if a["name"] == "Contoso SA"]
    assert [a["_primarycontactid_value"] for a in contoso] == [s.DAVID_SMITH_ID]

    def names(conditions, filter_type="and"):
        rows = run(f"<fetch><entity name='contact'><attribute name='fullname'/><order attribute='fullname'/>"
                   f"<filter type='{filter_type}'>{conditions}</filter></entity></fetch>")
        return [r["fullname"] for r in rows]

    assert names("<condition attribute='lastname' operator='in'><value>smith</value><value>Doe</value>"
                 "</condition>") == ["David Smith", "John Doe"]
    assert names("<condition attribute='mobilephone' operator='null'/>") == ["Julie Moreau"]
    assert names("<condition attribute='mobilephone' operator='begins-with' value='+336'/>"
                 "<condition attribute='lastname' operator='ne' value='Smith'/>") == [
        "John Doe", "Peter Parker", "Sophie Laurent"]
    assert names("<condition attribute='firstname' operator='eq' value='Marc'/><filter type='and'>"
                 "<condition attribute='parentcustomerid' operator='not-null'/>"
                 "<condition attribute='createdon' operator='last-x-days' value='1'/></filter>",
                 "or") == ["David Smith", "Léa Dubois", "Marc Petit"]
    assert names("<condition attribute='createdon' operator='on-or-before' value='2000-01-01'/>") == []
    assert names("<condition attribute='parentcustomerid' operator='eq' "
                 f"value='{{{s.CONTOSO_ID.upper()}}}'/>") == ["David Smith"]
    dynamic = api.get(f"lists({s.LIST_MIXED_DYNAMIC_ID})?$select=query").json()["query"]
    assert values(api.get("contacts", params={"fetchXml": dynamic}), "fullname") == ["David Smith", "John Doe"]
    distinct = run("<fetch distinct='true'><entity name='contact'><attribute name='statecode'/></entity></fetch>")
    assert distinct == [{"@odata.etag": distinct[0]["@odata.etag"], "statecode": 0}]


def test_fetchxml_refusals(api):
    def status(xml, entity_set="contacts"):
        response = api.get(entity_set, params={"fetchXml": xml})
        return response.status_code, error(response)["code"] if response.status_code >= 400 else None

    good = "<fetch count='{}'><entity name='contact'><attribute name='{}'/></entity></fetch>"
    assert status(good.format(5000, "fullname")) == (200, None)
    assert status(good.format(5000, "fullname"), "accounts")[0] == 400          # set must match entity
    assert status(good.format(5001, "fullname"))[0] == 400
    assert status(good.format(10, "nickname")) == (400, "0x80041103")
    assert status("<fetch><entity name='contact'>")[0] == 400
    assert status("<fetch top='5' page='1'><entity name='contact'/></fetch>")[0] == 400
    assert status("<fetch><entity name='contact'><filter><condition attribute='lastname' "
                  "operator='eq-userid'/></filter></entity></fetch>")[0] == 400
    assert api.get("contacts", params={"fetchXml": good.format(5, "fullname"),
                                       "$select": "fullname"}).status_code == 400


# --- $batch ------------------------------------------------------------------------------------
def http_part(method: str, url: str, body: dict | None = None, content_id: str | None = None) -> str:
    mime = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    mime += f"Content-ID: {content_id}\r\n" if content_id else ""
    request = f"{method} {url} HTTP/1.1\r\n"
    request += ("Content-Type: application/json; type=entry\r\n\r\n" + json.dumps(body)) if body else "\r\n"
    return f"{mime}\r\n{request}"


def batch_body(items: list, boundary: str = "batch_80dd1615") -> str:
    out = ""
    for n, item in enumerate(items):
        if isinstance(item, list):
            changeset = f"changeset_{n}"
            item = (f"Content-Type: multipart/mixed; boundary=\"{changeset}\"\r\n\r\n"
                    + "".join(f"--{changeset}\r\n{p}\r\n" for p in item) + f"--{changeset}--")
        out += f"--{boundary}\r\n{item}\r\n"
    return out + f"--{boundary}--\r\n"


def post_batch(api, items: list, **headers):
    return api.post("$batch", data=batch_body(items).encode(),
                    headers={"Content-Type": "multipart/mixed;boundary=batch_80dd1615", **headers})


def parts(response) -> list[tuple[int, dict, str, str | None]]:
    """(status, headers, body, Content-ID) per answered operation, read with the stdlib MIME parser."""
    assert response.headers["Content-Type"].startswith("multipart/mixed; boundary=batchresponse_")
    message = email.message_from_bytes(f"Content-Type: {response.headers['Content-Type']}\r\n\r\n"
                                       .encode() + response.content)
    out = []

    def walk(node):
        for part in node.get_payload():
            if part.is_multipart():
                assert part.get_content_type() == "multipart/mixed"
                assert part.get_param("boundary").startswith("changesetresponse_")
                walk(part)
                continue
            status_line, _, rest = part.get_payload(decode=True).decode().partition("\r\n")
            head, _, body = rest.partition("\r\n\r\n")
            headers = dict(line.split(": ", 1) for line in head.split("\r\n") if line)
            out.append((int(status_line.split()[1]), headers, body.strip(), part.get("Content-ID")))

    walk(message)
    return out


def sms(key: str) -> dict:
    return {"subject": "Promo", "smsc_idempotencykey": key,
            "regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({s.JOHN_DOE_ID})"}


def keys(emulator) -> list[str]:
    return sorted(r["smsc_idempotencykey"] for r in emulator.rows("smsc_textmessages"))


def test_batch_creates_stop_at_the_first_failure_unless_continue_on_error(api, emulator):
    creates = [http_part("POST", f"{API}smsc_textmessages", sms(k)) for k in ("c:1", "c:1", "c:3")]
    stopped = post_batch(api, creates)
    assert stopped.status_code == 412
    answered = parts(stopped)
    assert [p[0] for p in answered] == [204, 412]            # the third is neither run nor answered
    assert answered[0][1]["OData-EntityId"] == answered[0][1]["Location"]
    assert answered[0][1]["OData-EntityId"].startswith(f"{api.url}smsc_textmessages(")
    assert json.loads(answered[1][2])["error"]["code"] == "0x80060892" and "REQ_ID" in answered[1][1]
    assert keys(emulator) == ["c:1"]

    creates = [http_part("POST", f"{api.url}smsc_textmessages", sms(k)) for k in ("d:1", "d:1", "d:3")]
    going_on = post_batch(api, creates, Prefer="odata.continue-on-error")
    assert going_on.status_code == 200
    assert going_on.headers["Preference-Applied"] == "odata.continue-on-error"
    assert [p[0] for p in parts(going_on)] == [204, 412, 204]
    assert keys(emulator) == ["c:1", "d:1", "d:3"]


def test_a_batch_is_one_commit_and_a_failed_operation_undoes_only_itself(api, emulator):
    statements: list[str] = []
    emulator.store._db.set_trace_callback(statements.append)
    creates = [http_part("POST", f"{API}smsc_textmessages", sms(k)) for k in ("e:1", "e:2", "e:1", "e:4")]
    try:
        answered = post_batch(api, creates, Prefer="odata.continue-on-error")
    finally:
        emulator.store._db.set_trace_callback(None)
    assert [p[0] for p in parts(answered)] == [204, 204, 412, 204]
    assert statements.count("COMMIT") == 1                  # not one per operation
    assert keys(emulator) == ["e:1", "e:2", "e:4"]          # the refused one left nothing behind


def test_batch_change_sets_are_atomic_and_gets_are_answered(api, emulator):
    contact = {"firstname": "Zoé", "lastname": "Atomique"}
    bound = {"subject": "Bienvenue", "regardingobjectid_contact_smsc_textmessage@odata.bind": "$1"}
    failing = [http_part("POST", f"{API}contacts", contact, "1"),
               http_part("POST", f"{API}smsc_textmessages", bound, "2"),
               http_part("POST", f"{API}smsc_textmessages", sms("c:1"), "3"),
               http_part("POST", f"{API}smsc_textmessages", sms("c:1"), "4")]
    rolled_back = post_batch(api, [failing], Prefer="odata.continue-on-error")
    answered = parts(rolled_back)
    assert [p[0] for p in answered] == [412]                  # one error part for the whole change set
    assert emulator.rows("contacts", "lastname eq 'Atomique'") == [] and keys(emulator) == []

    read = http_part("GET", f"{API}contacts?$select=fullname&$filter=lastname eq 'Atomique'")
    fetch_xml = quote("<fetch><entity name='contact'><attribute name='fullname'/><filter><condition "
                      "attribute='lastname' operator='eq' value='Atomique'/></filter></entity></fetch>")
    done = post_batch(api, [failing[:3], read, http_part("GET", f"{API}contacts?fetchXml={fetch_xml}")])
    assert done.status_code == 200
    (c1, h1, _, id1), (c2, _, _, id2), (c3, _, _, _), (get, gh, got, _), (fx, _, fetched, _) = parts(done)
    assert (c1, c2, c3, id1, id2, get, fx) == (204, 204, 204, "1", "2", 200, 200)
    assert gh["Content-Type"].startswith("application/json")
    contact_id = h1["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
    assert [r["fullname"] for r in json.loads(got)["value"]] == ["Zoé Atomique"]
    assert [r["contactid"] for r in json.loads(fetched)["value"]] == [contact_id]
    messages = emulator.rows("smsc_textmessages", "subject eq 'Bienvenue'")
    assert [m["_regardingobjectid_value"] for m in messages] == [contact_id]

    get_in_changeset = post_batch(api, [[read]])
    assert get_in_changeset.status_code == 400
    unknown_ref = post_batch(api, [[http_part("POST", f"{API}smsc_textmessages", bound, "1")]])
    assert unknown_ref.status_code == 400 and "'$1' does not exist" in parts(unknown_ref)[0][2]
    too_many = post_batch(api, [http_part("GET", f"{API}WhoAmI")] * 1001)
    assert too_many.status_code == 400 and emulator.requests[-1].path.endswith("$batch")
    assert post_batch(api, [http_part("GET", f"{API}WhoAmI")] * 1000).status_code == 200


# --- CreateMultiple, organization --------------------------------------------------------------
def test_create_multiple_is_all_or_nothing(api, emulator):
    def target(phone):
        return {"@odata.type": "Microsoft.Dynamics.CRM.smsc_optout", "smsc_phonenumber": phone,
                "smsc_reason": 3, "smsc_active": True}

    action = "smsc_optouts/Microsoft.Dynamics.CRM.CreateMultiple"
    created = api.post(action, json={"Targets": [target("+33700000001"), target("+33700000002")]})
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["@odata.context"].endswith("$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse")
    assert [emulator.get("smsc_optouts", i)["smsc_phonenumber"] for i in body["Ids"]] == [
        "+33700000001", "+33700000002"]
    before = len(emulator.rows("smsc_optouts"))
    refused = api.post(action, json={"Targets": [target("+33700000003"), target("+33611111111")]})
    assert refused.status_code == 412 and error(refused)["code"] == "0x80060892"
    assert len(emulator.rows("smsc_optouts")) == before                   # +33700000003 not written
    untyped = api.post(action, json={"Targets": [{"smsc_phonenumber": "+33700000004"}]})
    assert untyped.status_code == 400
    contacts = api.post("contacts/Microsoft.Dynamics.CRM.CreateMultiple",
                        json={"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.contact", "lastname": "X"}]})
    assert contacts.status_code == 400 and "not enabled on the entity contact" in error(contacts)["message"]


def test_organization_upload_limit_drives_the_note_check(api, emulator):
    orgs = api.get("organizations?$select=maxuploadfilesize").json()["value"]
    assert [o["maxuploadfilesize"] for o in orgs] == [5_242_880] and emulator.max_upload == 5_242_880
    note = {"subject": "x", "filename": "a.csv", "documentbody": base64.b64encode(b"x" * 120).decode()}
    assert api.post("annotations", json=note).status_code == 204
    assert api.patch(f"organizations({s.ORGANIZATION_ID})", json={"maxuploadfilesize": 100}).status_code == 204
    too_big = api.post("annotations", json=note)
    assert too_big.status_code == 400 and error(too_big)["code"] == "0x80044a02"
    emulator.max_upload = 1000
    assert api.get("organizations?$select=maxuploadfilesize").json()["value"][0]["maxuploadfilesize"] == 1000
    assert api.post("annotations", json=note).status_code == 204


# --- bulk seeds --------------------------------------------------------------------------------
def read_campaign(api, campaign_id: str) -> list[dict]:
    """Every member of every list of a campaign, as a client reads them (5,000-row pages)."""
    rows = []
    for mlist in api.get(f"campaigns({campaign_id})/campaignlist_association?$select=type,query").json()["value"]:
        if not mlist["type"]:
            url = f"{api.url}lists({mlist['listid']})/listcontact_association?$select=mobilephone"
            while url:
                body = api.follow(url, headers={"Prefer": "odata.maxpagesize=5000"}).json()
                rows, url = rows + body["value"], body.get("@odata.nextLink")
            continue
        root, page = ET.fromstring(mlist["query"]), 1
        ET.SubElement(root.find("entity"), "attribute", name="mobilephone")
        root.set("count", "5000")
        while True:
            root.set("page", str(page))
            body = fetch(api, "contacts", root).json()
            rows += body["value"]
            if not body.get(MORE):
                return rows
            root.set("paging-cookie", unquote(unquote(ET.fromstring(body[COOKIE]).get("pagingcookie"))))
            page += 1
    return rows


@pytest.mark.parametrize("n", [12_001, pytest.param(100_000, marks=[pytest.mark.slow, pytest.mark.skipif(
    not os.environ.get("SMSC_SLOW_TESTS"), reason="set SMSC_SLOW_TESTS=1 for the 100,000-row run")])])
def test_seed_bulk_campaign_static_and_dynamic(api, emulator, n):
    for dynamic in (False, True):
        started = time.perf_counter()
        campaign_id = s.seed_bulk_campaign(emulator, n, dynamic=dynamic)
        seeded = time.perf_counter() - started
        rows = read_campaign(api, campaign_id)
        read = time.perf_counter() - started - seeded
        print(f"\nseed_bulk_campaign({n}, dynamic={dynamic}): seeded in {seeded:.2f} s, read in {read:.2f} s")
        mobiles = [r["mobilephone"] for r in rows]
        assert len(rows) == n and len(set(mobiles)) == n and len({r["contactid"] for r in rows}) == n
        assert all(m.startswith("+3361") and len(m) == 12 for m in mobiles)
