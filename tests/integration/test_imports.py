"""`smsc import` as a user runs it, against the Dataverse emulator (settings from the environment),
and the emulator's `AddListMembersList` action."""
from __future__ import annotations

import os
import subprocess
import sys

from emulators import dataverse_seed as seed
from smsc.cli import main

LIST_ACTION = "/api/data/v9.2/AddListMembersList"


def write(tmp_path, text: str, encoding: str = "utf-8", name: str = "file.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def optouts(stack) -> dict[str, tuple[int, bool]]:
    return {r["smsc_phonenumber"]: (r["smsc_reason"], r["smsc_active"]) for r in stack.dataverse.rows("smsc_optouts")}


def test_a_blocklist_from_the_command_line_lands_in_the_optout_table_stop_kept(stack, tmp_path):
    path = write(tmp_path, "Nom;Prénom;Portable\r\nLefèvre;Hélène;06 12 34 56 78\r\nLaurent;Sophie;0611111111\r\n"
                           "Hoarau,Noël,0692 12 34 56\r\nGarçon;Zoé;06 12\r\n", "cp1252", "liste noire.csv")

    result = subprocess.run([sys.executable, "-m", "smsc.cli", "import", "optouts", str(path)], env=dict(os.environ),
                            capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert optouts(stack) == {"+33611111111": (1, True),             # the seed's STOP, not downgraded
                              "+33612345678": (3, True), "+262692123456": (3, True)}
    assert "Rows read" in result.stdout and "liste noire-report.csv" in result.stdout
    report = (tmp_path / "liste noire-report.csv").read_bytes()
    assert report.startswith(b"\xef\xbb\xbfLIGNE;STATUT;DETAIL;NUMERO\r\n")
    assert report.decode("utf-8-sig").splitlines()[1:] == [
        "2;SUCCES;Ajouté à la liste noire (désinscription manuelle).;+33612345678",
        "3;DEJA PRESENT;Déjà sur la liste noire : sa raison (STOP, NPAI ou manuelle) est conservée.;+33611111111",
        "4;SUCCES;Ajouté à la liste noire (désinscription manuelle).;+262692123456",
        "5;ECHEC;Numéro invalide (trop court) : 06 12.;06 12"]
    [batch] = [r for r in stack.dataverse.requests if r.path.endswith("$batch")]
    assert batch.headers["prefer"] == "odata.continue-on-error"
    assert batch.body.count(b"PATCH ") == 2 and b"smsc_optouts(smsc_phonenumber='%2B262692123456')" in batch.body
    assert b"If-Match" not in batch.body


def test_a_dry_run_writes_nothing_in_the_crm(stack, tmp_path):
    path = write(tmp_path, "0612345678\n0699999999\n")
    report = tmp_path / "out" / "r.csv"
    report.parent.mkdir()

    assert main(["import", "optouts", str(path), "--dry-run", "--report", str(report)]) == 0

    assert optouts(stack) == {"+33611111111": (1, True)}
    assert not [r for r in stack.dataverse.requests if r.method != "GET"]
    assert len(report.read_text(encoding="utf-8-sig").splitlines()) == 3


def test_recipients_are_matched_created_and_added_to_a_new_static_list_then_a_rerun_adds_nothing(stack, tmp_path,
                                                                                               make_api):
    path = write(tmp_path, "Prénom,Nom,Email,Mobile\n"
                           "Léa,Dubois,,+33612345678\n"            # the seed's "06 12 34 56 78"
                           "David,Smith,,0649819006\n"
                           "Zoé,Lefèvre,zoe@example.org,0699887766\n"
                           "Marc,Petit,,12345\n")

    assert main(["import", "recipients", str(path), "--list", "Salon 2026", "--create"]) == 0

    [salon] = stack.dataverse.rows("lists", "listname eq 'Salon 2026'")
    assert (salon["type"], salon["createdfromcode"], salon["membercount"]) == (False, 2, 3)
    [zoe] = stack.dataverse.rows("contacts", "mobilephone eq '+33699887766'")
    assert (zoe["firstname"], zoe["lastname"], zoe["emailaddress1"]) == ("Zoé", "Lefèvre", "zoe@example.org")
    api = make_api(f"{stack.dataverse_url}/api/data/v9.2/")
    members = api.get(f"lists({salon['listid']})/listcontact_association?$select=contactid").json()["value"]
    assert {m["contactid"] for m in members} == {
        seed.LEA_DUBOIS_ID, seed.DAVID_SMITH_ID, zoe["contactid"]}
    [action] = [r for r in stack.dataverse.requests if r.path == LIST_ACTION]
    assert action.json()["List"] == {"@odata.type": "Microsoft.Dynamics.CRM.list", "listid": salon["listid"]}

    assert main(["import", "recipients", str(path), "--list", "Salon 2026", "--create"]) == 0

    assert stack.dataverse.get("lists", salon["listid"])["membercount"] == 3
    assert len(stack.dataverse.rows("contacts", "mobilephone eq '+33699887766'")) == 1
    rerun = (tmp_path / "file-report.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(";")[1] for line in rerun[1:]] == ["DEJA PRESENT"] * 3 + ["ECHEC"]


def test_leads_go_into_an_existing_lead_list(stack, tmp_path):
    path = write(tmp_path, "06 22 22 22 22\n0633333333\n")

    assert main(["import", "recipients", str(path), "--list", "Prospects printemps", "--table", "lead"]) == 0

    marketing_list = stack.dataverse.get("lists", seed.LIST_LEADS_ID)
    assert marketing_list["membercount"] == 1                # Anne Girard already; 0633333333 has no lead
    assert "Aucun prospect n'a ce numéro" in (tmp_path / "file-report.csv").read_text(encoding="utf-8-sig")


def test_bad_input_gives_one_line_and_exit_2(stack, tmp_path, capsys):
    assert main(["import", "optouts", str(tmp_path / "absent.csv")]) == 2
    assert main(["import", "recipients", str(write(tmp_path, "0612345678\n")), "--list", "Contacts Smith et Doe"]) == 2
    assert main(["import", "optouts", str(write(tmp_path, "Nom;Ville\nA;B\n", name="n.csv"))]) == 2

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and all(line.startswith("smsc: ") for line in lines)
    assert "cannot read" in lines[0] and "is dynamic" in lines[1] and "no phone column" in lines[2]
    assert not [r for r in stack.dataverse.requests if r.method != "GET"]
    assert not (tmp_path / "file-report.csv").exists()          # refused before the report was opened


# -- the emulator's action -------------------------------------------------------------------------
def add(api, list_id: str, *members: tuple[str, str]):
    return api.post("AddListMembersList", json={
        "List": {"@odata.type": "Microsoft.Dynamics.CRM.list", "listid": list_id},
        "Members": [{"@odata.type": f"Microsoft.Dynamics.CRM.{t}", f"{t}id": i} for t, i in members]})


def test_the_emulator_adds_members_once_and_keeps_membercount(stack, make_api):
    api = make_api(f"{stack.dataverse_url}/api/data/v9.2/")

    answer = add(api, seed.LIST_MARKETING_CONTACTS_ID, ("contact", seed.DAVID_SMITH_ID),
                 ("contact", seed.LEA_DUBOIS_ID), ("contact", seed.LEA_DUBOIS_ID))

    assert answer.status_code == 204 and answer.content == b""
    assert stack.dataverse.get("lists", seed.LIST_MARKETING_CONTACTS_ID)["membercount"] == 4   # Smith was in
    members = api.get(f"lists({seed.LIST_MARKETING_CONTACTS_ID})/listcontact_association?$select=contactid").json()
    assert sorted(m["contactid"] for m in members["value"]) == sorted(
        [seed.DAVID_SMITH_ID, seed.JOHN_DOE_ID, seed.PETER_PARKER_ID, seed.LEA_DUBOIS_ID])


def test_the_emulator_refuses_what_dataverse_refuses_and_writes_nothing(stack, make_api):
    api = make_api(f"{stack.dataverse_url}/api/data/v9.2/")
    missing = "c0000000-0000-4000-8000-0000000000ff"

    dynamic = add(api, seed.LIST_MIXED_DYNAMIC_ID, ("contact", seed.JOHN_DOE_ID))
    wrong_type = add(api, seed.LIST_LEADS_ID, ("contact", seed.JOHN_DOE_ID))
    unknown = add(api, seed.LIST_MARKETING_CONTACTS_ID, ("contact", seed.LEA_DUBOIS_ID), ("contact", missing))
    no_list = add(api, missing, ("contact", seed.JOHN_DOE_ID))
    no_members = api.post("AddListMembersList", json={"List": {"listid": seed.LIST_LEADS_ID}, "Members": []})

    assert [a.status_code for a in (dynamic, wrong_type, unknown, no_list, no_members)] == [400, 400, 404, 404, 400]
    assert "dynamic" in dynamic.json()["error"]["message"]
    assert stack.dataverse.get("lists", seed.LIST_MARKETING_CONTACTS_ID)["membercount"] == 3   # all or nothing
