"""The imports on in-memory fakes: a blocklist into the opt-outs, recipients into a static list."""
from __future__ import annotations

import io
import uuid

import pytest

from connector.configuration import Configuration
from connector.errors import BadInput
from connector.imports.csv_source import CsvSource
from connector.imports.optouts import import_optouts
from connector.imports.recipients import import_recipients
from connector.imports.report import ImportReport
from connector.repositories.marketing_lists import MarketingList, MemberTable
from connector.repositories.optouts import OptOut, OptOutReason
from tests.fakes.marketing_lists import FakeMarketingLists, FakePeople
from tests.fakes.optouts import FakeOptOuts

FR = Configuration()


def source(tmp_path, text: str, encoding: str = "utf-8", **options) -> CsvSource:
    path = tmp_path / "import.csv"
    path.write_bytes(text.encode(encoding))
    return CsvSource(path, **options)


def report_lines(out: io.StringIO) -> list[str]:
    return out.getvalue().removeprefix("\ufeff").splitlines()


# -- blocklist -------------------------------------------------------------------------------------
def test_the_done_when_file_mixed_separators_bad_rows_and_windows_1252_accents_gives_the_right_report(tmp_path):
    text = ("Nom;Prénom;Téléphone portable\r\n"
            "Lefèvre;Hélène;06 12 34 56 78\r\n"
            "Dupré,Noël,0692 12 34 56\r\n"              # a ',' row in a ';' file; Réunion typed nationally
            "Garçon;Zoé;+33 6 12 34 56 78\r\n"          # the first number again
            "Bœuf;Agnès;06 12 AB\r\n"
            "Mézière;Jérôme;0112\r\n"
            "Forêt;Loïc\r\n"
            ";;\r\n"
            "Hôtel;Éric;\r\n"
            "Mañé;Inès;0033 6 11 11 11 11\r\n")         # opted out by STOP already
    optouts = FakeOptOuts({"+33611111111"})
    out = io.StringIO()

    report = import_optouts(source(tmp_path, text, "cp1252"), optouts, FR, ImportReport(out))

    assert report_lines(out) == [
        "LIGNE;STATUT;DETAIL;NUMERO",
        "2;SUCCES;Ajouté à la liste noire (désinscription manuelle).;+33612345678",
        "3;SUCCES;Ajouté à la liste noire (désinscription manuelle).;+262692123456",
        "4;ECHEC;Doublon : ce numéro figure déjà plus haut dans le fichier.;+33612345678",
        "5;ECHEC;Numéro invalide (contient des lettres) : 06 12 AB.;06 12 AB",
        "6;ECHEC;Numéro invalide (trop court) : 0112.;0112",
        "7;ECHEC;Nombre de colonnes incorrect (2 au lieu de 3), avec chacun des séparateurs "
        "(point-virgule, virgule, tabulation).;",
        "8;ECHEC;Ligne vide.;",
        "9;ECHEC;Aucun numéro sur cette ligne.;",
        "10;DEJA PRESENT;Déjà sur la liste noire : sa raison (STOP, NPAI ou manuelle) est conservée.;+33611111111",
    ]
    assert (report.read, report.taken, report.present, report.refused_total) == (9, 2, 1, 6)
    assert dict(report.refused) == {"import_duplicate": 1, "import_invalid_number": 2, "import_fields": 1,
                                    "import_empty": 1, "import_no_number": 1}
    assert optouts.rows["+33611111111"] == OptOut("+33611111111", OptOutReason.STOP, True)      # STOP kept
    assert optouts.rows["+262692123456"] == OptOut("+262692123456", OptOutReason.MANUAL, True)
    assert [r.line for r in report.first_refusals] == [4, 5, 6, 7, 8, 9]


def test_a_lifted_opt_out_is_active_again_as_manual_and_an_undeliverable_one_keeps_its_reason(tmp_path):
    optouts = FakeOptOuts()
    optouts.rows["+33612345678"] = OptOut("+33612345678", OptOutReason.STOP, False)
    optouts.rows["+33612345679"] = OptOut("+33612345679", OptOutReason.UNDELIVERABLE, True)

    report = import_optouts(source(tmp_path, "0612345678\n0612345679\n"), optouts, FR, ImportReport())

    assert (report.taken, report.present) == (1, 1)
    assert optouts.rows["+33612345678"] == OptOut("+33612345678", OptOutReason.MANUAL, True)
    assert optouts.rows["+33612345679"].reason is OptOutReason.UNDELIVERABLE


def test_an_opt_out_row_not_in_e164_does_not_stop_the_import(tmp_path):
    optouts = FakeOptOuts({"06 11 11 11 11", "+33611111111"})

    report = import_optouts(source(tmp_path, "0611111111\n0612345678\n"), optouts, FR, ImportReport())

    assert (report.present, report.taken) == (1, 1)


def test_numbers_follow_the_organisations_country_and_international_prefix(tmp_path):
    optouts = FakeOptOuts()
    config = Configuration(default_country="BE", international_prefix="011")

    import_optouts(source(tmp_path, "0470 12 34 56\n011 33 6 12 34 56 78\n"), optouts, config, ImportReport())

    assert set(optouts.rows) == {"+32470123456", "+33612345678"}


def test_writes_go_1000_numbers_to_a_batch_and_a_refused_one_is_reported(tmp_path):
    numbers = [f"06{i:08d}" for i in range(10000000, 10002500)]
    optouts = FakeOptOuts()
    optouts.refuse = {"+33610000007": "Dataverse 400: Invalid value"}
    out = io.StringIO()

    report = import_optouts(source(tmp_path, "\n".join(numbers)), optouts, FR, ImportReport(out))

    assert optouts.batches == [1000, 1000, 500]
    assert (report.taken, report.refused_total) == (2499, 1)
    assert "8;ECHEC;Refusé par Dataverse : Dataverse 400: Invalid value;+33610000007" in report_lines(out)
    assert [int(line.split(";")[0]) for line in report_lines(out)[1:]] == list(range(1, 2501))   # file order


def test_a_dry_run_writes_nothing_and_reports_what_would_be_done(tmp_path):
    optouts = FakeOptOuts({"+33611111111"})

    report = import_optouts(source(tmp_path, "0612345678\n0611111111\n"), optouts, FR, ImportReport(dry_run=True),
                            dry_run=True)

    assert (report.taken, report.present) == (1, 1)
    assert optouts.batches == [] and set(optouts.rows) == {"+33611111111"}


def test_progress_is_told_after_each_chunk(tmp_path):
    seen: list[int] = []

    import_optouts(source(tmp_path, "\n".join(f"06{i:08d}" for i in range(10000000, 10001500))), FakeOptOuts(),
                   FR, ImportReport(), progress=seen.append)

    assert seen == [1000, 1500]


# -- recipients ------------------------------------------------------------------------------------
SALON = MarketingList("6a1d3f2e-5b4c-4d3e-9f8a-7b6c5d4e3f2a", "Salon", MemberTable.CONTACT, True)
CLAIRE, PAUL = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"


def people():
    return FakePeople(contact={CLAIRE: {"mobile": "06 12 34 56 78"}, PAUL: {"mobile": "+33 6 12 34 56 79"}})


def test_people_are_matched_by_mobile_in_e164_on_both_sides_and_members_not_added_twice(tmp_path):
    lists, crm = FakeMarketingLists(SALON), people()
    lists.members[SALON.id] = [PAUL]
    out = io.StringIO()
    text = "Portable;Nom\n+33612345678;Martin\n0033 6 12 34 56 79;Bernard\n0612345670;Inconnu\n0478123456;Fixe\n"

    done = import_recipients(source(tmp_path, text), lists, crm, FR, ImportReport(out), list_name="Salon",
                             table=MemberTable.CONTACT)

    assert lists.members[SALON.id] == [PAUL, CLAIRE] and lists.calls == [1]
    assert not done.list_created and done.marketing_list == SALON
    assert report_lines(out)[1:] == [
        "2;SUCCES;Contact existant ajouté à la liste.;+33612345678",
        "3;DEJA PRESENT;Déjà membre de la liste.;+33612345679",
        "4;ECHEC;Aucun contact n'a ce numéro de mobile (--create pour le créer).;+33612345670",
        "5;ECHEC;Numéro invalide (pas un numéro de mobile (fixed line)) : 0478123456.;0478123456",
    ]


def test_with_create_the_unknown_people_are_created_from_the_files_columns(tmp_path):
    lists, crm = FakeMarketingLists(), people()
    text = ("Prénom;Nom;E-mail;Téléphone portable\n"
            "Zoé;Lefèvre;zoe@example.org;06 11 22 33 44\n"
            ";;;06 11 22 33 45\n"
            "Jo;Refusé;;06 11 22 33 46\n"
            "Claire;Martin;;0612345678\n")
    crm.refuse = {"Refusé"}
    out = io.StringIO()

    done = import_recipients(source(tmp_path, text), lists, crm, FR, ImportReport(out), list_name="Salon 2026",
                             table=MemberTable.CONTACT, create=True)

    assert done.list_created and done.marketing_list is not None
    assert done.marketing_list.members is MemberTable.CONTACT and done.marketing_list.static
    created = {row["mobile"]: row for row in crm.rows[MemberTable.CONTACT].values() if "last_name" in row}
    assert created["+33611223344"] == {"mobile": "+33611223344", "last_name": "Lefèvre", "first_name": "Zoé",
                                       "email": "zoe@example.org"}
    assert created["+33611223345"]["last_name"] == "+33611223345"      # Dataverse requires one: the number
    assert "+33611223346" not in created
    members = lists.members[done.marketing_list.id]
    assert len(members) == 3 and CLAIRE in members
    assert report_lines(out)[1:] == [
        "2;SUCCES;Contact créé et ajouté à la liste.;+33611223344",
        "3;SUCCES;Contact créé et ajouté à la liste.;+33611223345",
        "4;ECHEC;Refusé par Dataverse : A validation error occurred.;+33611223346",
        "5;SUCCES;Contact existant ajouté à la liste.;+33612345678",
    ]


def test_a_lead_list_matches_leads(tmp_path):
    lead = str(uuid.uuid4())
    printemps = MarketingList(str(uuid.uuid4()), "Printemps", MemberTable.LEAD, True)
    lists, crm = FakeMarketingLists(printemps), FakePeople(lead={lead: {"mobile": "0612345678"}}, contact={})

    report = import_recipients(source(tmp_path, "0612345678\n0612345679\n"), lists, crm, FR, ImportReport(),
                               list_name="Printemps", table=MemberTable.LEAD).report

    assert lists.members[printemps.id] == [lead]
    assert report.refused == {"import_no_person": 1}


@pytest.mark.parametrize("existing, table, message", [
    (MarketingList("d", "Salon", MemberTable.CONTACT, False), MemberTable.CONTACT, "is dynamic"),
    (MarketingList("l", "Salon", MemberTable.LEAD, True), MemberTable.CONTACT, "holds leads, not contacts"),
    (MarketingList("a", "Salon", None, True), MemberTable.CONTACT, "holds accounts"),
])
def test_a_list_that_cannot_take_the_people_is_refused_before_anything_is_written(tmp_path, existing, table,
                                                                                 message):
    lists, crm = FakeMarketingLists(existing), people()

    with pytest.raises(BadInput, match=message):
        import_recipients(source(tmp_path, "0612345678\n"), lists, crm, FR, ImportReport(), list_name="Salon",
                          table=table, create=True)
    assert lists.calls == [] and len(crm.rows[MemberTable.CONTACT]) == 2


def test_two_lists_of_the_same_name_are_ambiguous(tmp_path):
    lists = FakeMarketingLists(SALON, MarketingList(str(uuid.uuid4()), "Salon", MemberTable.CONTACT, True))

    with pytest.raises(BadInput, match="2 active marketing lists are named 'Salon'"):
        import_recipients(source(tmp_path, "0612345678\n"), lists, people(), FR, ImportReport(), list_name="Salon",
                          table=MemberTable.CONTACT)


def test_a_dry_run_creates_neither_the_list_nor_people(tmp_path):
    lists, crm = FakeMarketingLists(), people()

    done = import_recipients(source(tmp_path, "0612345678\n0611223344\n"), lists, crm, FR, ImportReport(dry_run=True),
                             list_name="Nouvelle", table=MemberTable.CONTACT, create=True, dry_run=True)

    assert done.list_created and done.marketing_list is None
    assert lists.lists == {} and len(crm.rows[MemberTable.CONTACT]) == 2
    assert (done.report.taken, done.report.refused_total) == (2, 0)
