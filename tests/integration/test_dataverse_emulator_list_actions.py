"""The Dataverse emulator's documented marketing-list actions, as the « SMS » grid page calls them through
Xrm.WebApi.online.execute: AddListMembersList (unbound), AddMemberList and AddItemCampaign (bound to a list)."""
from __future__ import annotations

import pytest

from emulators import dataverse_seed as s
from emulators.dataverse import DataverseEmulator
from emulators.server import EmulatorServer

API = "/api/data/v9.2/"
CRM = "Microsoft.Dynamics.CRM."


@pytest.fixture
def emulator():
    return DataverseEmulator()


@pytest.fixture
def api(emulator, make_api):
    with EmulatorServer(emulator) as server:
        yield make_api(server.url + API)


def contact(contact_id: str) -> dict:
    return {"contactid": contact_id, "@odata.type": f"{CRM}contact"}


def members(api, list_id: str) -> list[str]:
    answer = api.get(f"lists({list_id})/listcontact_association?$select=fullname&$orderby=lastname")
    assert answer.status_code == 200, answer.text
    return [row["fullname"] for row in answer.json()["value"]]


def test_a_static_list_filled_with_add_list_members_list_and_linked_with_add_item_campaign(api, emulator):
    list_id = emulator.insert("lists", {"listname": "Sélection", "type": False, "createdfromcode": 2})
    body = {"List": {"listid": list_id, "@odata.type": f"{CRM}list"},
            "Members": [contact(s.DAVID_SMITH_ID), contact(s.JOHN_DOE_ID)]}
    added = api.post("AddListMembersList", json=body)
    assert added.status_code == 204 and added.text == ""
    again = api.post("AddListMembersList", json={**body, "Members": [contact(s.JOHN_DOE_ID),
                                                                      contact(s.SOPHIE_LAURENT_ID)]})
    assert again.status_code == 204                                  # members already there are ignored
    assert members(api, list_id) == ["John Doe", "Sophie Laurent", "David Smith"]
    assert emulator.get("lists", list_id)["membercount"] == 3

    one = api.post(f"lists({list_id})/{CRM}AddMemberList", json={"EntityId": s.PETER_PARKER_ID})
    assert one.status_code == 200 and set(one.json()) >= {"Id"}
    assert "Peter Parker" in members(api, list_id)

    campaign = emulator.insert("campaigns", {"name": "SMS à la sélection", "smsc_recipienttype": 2})
    linked = api.post(f"lists({list_id})/{CRM}AddItemCampaign",
                      json={"Campaign": {"campaignid": campaign, "@odata.type": f"{CRM}campaign"}})
    assert linked.status_code == 200 and linked.json()["campaignitemid"]
    lists = api.get(f"campaigns({campaign})/campaignlist_association?$select=listname,createdfromcode").json()
    assert [(x["listname"], x["createdfromcode"]) for x in lists["value"]] == [("Sélection", 2)]


def test_the_list_actions_refuse_what_dataverse_refuses_and_write_nothing(api, emulator):
    leads = emulator.insert("lists", {"listname": "Prospects", "type": False, "createdfromcode": 4})
    wrong_type = api.post("AddListMembersList", json={"List": {"listid": leads, "@odata.type": f"{CRM}list"},
                                                      "Members": [contact(s.DAVID_SMITH_ID)]})
    assert wrong_type.status_code == 400
    ghost = api.post("AddListMembersList", json={
        "List": {"listid": leads, "@odata.type": f"{CRM}list"},
        "Members": [{"leadid": s.ANNE_GIRARD_ID, "@odata.type": f"{CRM}lead"},
                    {"leadid": "99999999-9999-4999-8999-999999999999", "@odata.type": f"{CRM}lead"}]})
    assert ghost.status_code == 404
    assert api.get(f"lists({leads})/listlead_association").json()["value"] == []     # all or nothing
    untyped = api.post("AddListMembersList", json={"List": {"listid": leads}, "Members": [{"leadid": s.ANNE_GIRARD_ID}]})
    assert untyped.status_code == 400 and "@odata.type" in untyped.json()["error"]["message"]
    dynamic = api.post(f"lists({s.LIST_MIXED_DYNAMIC_ID})/{CRM}AddMemberList", json={"EntityId": s.JOHN_DOE_ID})
    assert dynamic.status_code == 400
    no_campaign = api.post(f"lists({leads})/{CRM}AddItemCampaign",
                           json={"Campaign": {"campaignid": "99999999-9999-4999-8999-999999999999",
                                              "@odata.type": f"{CRM}campaign"}})
    assert no_campaign.status_code == 404
    assert api.post(f"lists({leads})/{CRM}AddItemCampaign", json={"Campaign": "x"}).status_code == 400
