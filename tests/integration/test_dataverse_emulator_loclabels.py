"""The emulator's localized names of rows: `SetLocLabels` / `RetrieveLocLabels` on a view, the base language
(`organizations.languagecode`) in the row's column, the caller's UI language in UserLocalizedLabel, the
labels kept in the SQLite file across a restart, and clear refusals."""
from __future__ import annotations

import pytest
import requests

from emulators import dataverse_seed as s
from emulators.dataverse import DataverseEmulator
from emulators.server import EmulatorServer

API = "/api/data/v9.2/"
HEADERS = {"Authorization": "Bearer emulator-token"}
VIEW_ID = "5a1e0000-0000-4000-8000-000000000001"
RETRIEVE = "RetrieveLocLabels(EntityMoniker=@p1,AttributeName=@p2,IncludeUnpublished=@p3)"


def _labels(url: str, attribute: str = "name", row_id: str = VIEW_ID, **headers) -> requests.Response:
    return requests.get(url + API + RETRIEVE, params={
        "@p1": f"{{'@odata.id':'savedqueries({row_id})'}}", "@p2": f"'{attribute}'", "@p3": "true"},
        headers={**HEADERS, **headers}, timeout=10)


def _set(url: str, labels: list[dict], attribute: str = "name") -> requests.Response:
    return requests.post(url + API + "SetLocLabels", json={
        "EntityMoniker": {"@odata.type": "Microsoft.Dynamics.CRM.savedquery", "savedqueryid": VIEW_ID},
        "AttributeName": attribute, "Labels": labels}, headers=HEADERS, timeout=10)


def _view(url: str, name: str) -> None:
    answer = requests.post(url + API + "savedqueries", json={"savedqueryid": VIEW_ID, "name": name,
                                                              "returnedtypecode": "contact", "querytype": 0},
                           headers=HEADERS, timeout=10)
    assert answer.status_code == 204, answer.text


def test_a_view_gets_its_french_name_beside_its_english_one_and_a_french_user_reads_it(tmp_path):
    path = str(tmp_path / "dataverse.db")
    emulator = DataverseEmulator(db_path=path)
    with EmulatorServer(emulator) as srv:
        _view(srv.url, "Sent SMS")
        assert _set(srv.url, [{"Label": "SMS envoyés", "LanguageCode": 1036}]).status_code == 204
        answer = _labels(srv.url).json()["Label"]
        assert {i["LanguageCode"]: i["Label"] for i in answer["LocalizedLabels"]} == {
            1033: "Sent SMS", 1036: "SMS envoyés"}
        assert answer["UserLocalizedLabel"]["Label"] == "Sent SMS"            # the app user: English
        french = _labels(srv.url, CallerObjectId=s.CLAIRE_MARTIN_AAD).json()["Label"]
        assert french["UserLocalizedLabel"] == {"Label": "SMS envoyés", "LanguageCode": 1036, "IsManaged": False,
                                                "MetadataId": None, "HasChanged": None}
        # a base-language label is the row's column
        assert _set(srv.url, [{"Label": "SMS sent", "LanguageCode": 1033}]).status_code == 204
        assert emulator.rows("savedqueries", f"savedqueryid eq {VIEW_ID}")[0]["name"] == "SMS sent"
    emulator.close()
    again = DataverseEmulator(db_path=path)                                    # the labels survive a restart
    assert again.localized_labels("savedqueries", VIEW_ID) == {1033: "SMS sent", 1036: "SMS envoyés"}
    again.close()


def test_in_a_french_organisation_the_column_holds_the_french_name():
    emulator = DataverseEmulator()
    emulator.base_language = 1036
    with EmulatorServer(emulator) as srv:
        _view(srv.url, "SMS envoyés")
        assert _set(srv.url, [{"Label": "SMS envoyés", "LanguageCode": 1036},
                              {"Label": "Sent SMS", "LanguageCode": 1033}]).status_code == 204
        labels = _labels(srv.url).json()["Label"]
    assert {i["LanguageCode"]: i["Label"] for i in labels["LocalizedLabels"]} == {1036: "SMS envoyés",
                                                                                  1033: "Sent SMS"}
    assert labels["UserLocalizedLabel"]["Label"] == "Sent SMS"        # the app user reads in English
    assert emulator.rows("savedqueries")[0]["name"] == "SMS envoyés"


@pytest.mark.parametrize("request_, status, words", [
    (lambda url: _set(url, [{"Label": "x", "LanguageCode": 1036}], attribute="fetchxml"), 400, "no localized"),
    (lambda url: _set(url, [{"Label": "x"}]), 400, "Labels must be"),
    (lambda url: _labels(url, row_id="5a1e0000-0000-4000-8000-0000000000ff"), 404, "Does Not Exist"),
])
def test_a_wrong_request_is_refused_with_what_is_wrong(request_, status, words):
    with EmulatorServer(DataverseEmulator()) as srv:
        _view(srv.url, "Sent SMS")
        answer = request_(srv.url)
    assert answer.status_code == status and words in answer.json()["error"]["message"]
