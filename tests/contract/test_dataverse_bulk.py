"""DataverseClient's bulk and query extensions against a loopback Web API (pytest-httpserver):
FetchXML paging cookies, related collections, `$batch` creates, CreateMultiple, the upload limit.

Answers are Microsoft's documented examples (powerapps-docs: webapi/use-fetchxml-web-api.md and
webapi/execute-batch-operations-using-web-api.md), `[Organization Uri]` replaced by the loopback
server and multipart bodies given their HTTP line endings (CRLF).
"""
from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from werkzeug.wrappers import Response

from connector.crm.auth import StaticTokenCredential
from connector.crm.dataverse import DataverseClient
from connector.crm.port import CrmError, DuplicateRecord
from connector.http import build_session

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token"
API = "/api/data/v9.2"
OBJECT_ID = "0a7b3c9d-1111-4222-8333-944455556666"
ANNOTATIONS = 'odata.include-annotations="*"'
BASE = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json",
        "OData-MaxVersion": "4.0", "OData-Version": "4.0"}

# --- FetchXML: the docs' contact query and its three pages ----------------------------------------------
ENTITY = ('<entity name="contact"><attribute name="fullname" /><attribute name="jobtitle" />'
          '<attribute name="annualincome" /><order descending="true" attribute="fullname" />'
          '<filter type="and"><condition value="%(sample)%" attribute="fullname" operator="like" />'
          '<condition value="18717e9c-643f-ed11-9db0-002248225e95" attribute="parentcustomerid" operator="eq" />'
          '</filter></entity>')
QUERY = ("<fetch page='1' count='3' paging-cookie='' mapping='logical' output-format='xml-platform' "
         "version='1.0' distinct='false'>" + ENTITY.replace('"', "'") + "</fetch>")
HEAD = 'count="3" mapping="logical" output-format="xml-platform" version="1.0" distinct="false"'
PAGE_1 = f'<fetch page="1" {HEAD}>{ENTITY}</fetch>'
PAGE_2 = (f'<fetch page="2" {HEAD} paging-cookie="&lt;cookie page=&quot;1&quot;&gt;&lt;fullname last=&quot;'
          'Robert Lyon (sample)&quot; first=&quot;Susanna Stubberod (sample)&quot; /&gt;&lt;contactid last=&quot;'
          '{30717E9C-643F-ED11-9DB0-002248225E95}&quot; first=&quot;{20717E9C-643F-ED11-9DB0-002248225E95}&quot; '
          f'/&gt;&lt;/cookie&gt;">{ENTITY}</fetch>')
PAGE_3 = (f'<fetch page="3" {HEAD} paging-cookie="&lt;cookie page=&quot;2&quot;&gt;&lt;fullname last=&quot;'
          'Nancy Anderson (sample)&quot; first=&quot;Rene Valdes (sample)&quot; /&gt;&lt;contactid last=&quot;'
          '{24717E9C-643F-ED11-9DB0-002248225E95}&quot; first=&quot;{38717E9C-643F-ED11-9DB0-002248225E95}&quot; '
          f'/&gt;&lt;/cookie&gt;">{ENTITY}</fetch>')


def _contacts_page(cookie: str | None, rows: list[tuple[str, str, str, float, str]]) -> dict:
    body: dict = {"@odata.context": "[Organization Uri]/api/data/v9.2/$metadata#contacts(fullname,jobtitle,"
                                    "annualincome,_transactioncurrencyid_value,transactioncurrencyid,contactid)",
                  "@Microsoft.Dynamics.CRM.globalmetadataversion": "74343461"}
    if cookie:
        body |= {"@Microsoft.Dynamics.CRM.fetchxmlpagingcookie": cookie, "@Microsoft.Dynamics.CRM.morerecords": True}
    body["value"] = [{"@odata.etag": f'W/"{etag}"', "fullname": name, "jobtitle": job,
                      "annualincome@OData.Community.Display.V1.FormattedValue": f"${income:,.2f}",
                      "annualincome": income, "contactid": contactid}
                     for etag, name, job, income, contactid in rows]
    return body


# The annotations exactly as the docs' page 1 and page 2 answers carry them (pagenumber="2" both times).
COOKIE_1 = ('<cookie pagenumber="2" pagingcookie="%253ccookie%2520page%253d%25221%2522%253e%253cfullname%2520last'
            '%253d%2522Robert%2520Lyon%2520%2528sample%2529%2522%2520first%253d%2522Susanna%2520Stubberod%2520%2528'
            'sample%2529%2522%2520%252f%253e%253ccontactid%2520last%253d%2522%257b30717E9C-643F-ED11-9DB0-002248225E95'
            '%257d%2522%2520first%253d%2522%257b20717E9C-643F-ED11-9DB0-002248225E95%257d%2522%2520%252f%253e%253c%252f'
            'cookie%253e" istracking="False" />')
COOKIE_2 = ('<cookie pagenumber="2" pagingcookie="%253ccookie%2520page%253d%25222%2522%253e%253cfullname%2520last'
            '%253d%2522Nancy%2520Anderson%2520%2528sample%2529%2522%2520first%253d%2522Rene%2520Valdes%2520%2528sample'
            '%2529%2522%2520%252f%253e%253ccontactid%2520last%253d%2522%257b24717E9C-643F-ED11-9DB0-002248225E95%257d'
            '%2522%2520first%253d%2522%257b38717E9C-643F-ED11-9DB0-002248225E95%257d%2522%2520%252f%253e%253c%252f'
            'cookie%253e" istracking="False" />')
PAGES = [
    (PAGE_1, _contacts_page(COOKIE_1, [
        ("74359676", "Susanna Stubberod (sample)", "Senior Purchaser", 52000.0, "20717e9c-643f-ed11-9db0-002248225e95"),
        ("74359706", "Scott Konersmann (sample)", "Accounts Manager", 38000.0, "2c717e9c-643f-ed11-9db0-002248225e95"),
        ("74359716", "Robert Lyon (sample)", "Senior Technician", 78000.0, "30717e9c-643f-ed11-9db0-002248225e95")])),
    (PAGE_2, _contacts_page(COOKIE_2, [
        ("74359736", "Rene Valdes (sample)", "Data Analyst III", 86000.0, "38717e9c-643f-ed11-9db0-002248225e95"),
        ("74359726", "Paul Cannon (sample)", "Ski Instructor", 68500.0, "34717e9c-643f-ed11-9db0-002248225e95"),
        ("74359686", "Nancy Anderson (sample)", "Activities Manager", 55500.0,
         "24717e9c-643f-ed11-9db0-002248225e95")])),
    (PAGE_3, _contacts_page(None, [
        ("74359696", "Maria Cambell (sample)", "Accounts Manager", 31000.0, "28717e9c-643f-ed11-9db0-002248225e95"),
        ("74359746", "Jim Glynn (sample)", "Senior International Sales Manager", 81400.0,
         "3c717e9c-643f-ed11-9db0-002248225e95")])),
]


@pytest.fixture
def server(httpserver_ipv4):
    yield httpserver_ipv4
    httpserver_ipv4.check_assertions()


@pytest.fixture
def client(server):
    return DataverseClient(server.url_for("/"), StaticTokenCredential(TOKEN), timeout=5)


def _org(server) -> str:
    return server.url_for("/").rstrip("/")


def test_fetch_xml_follows_the_paging_cookie_decoded_twice_page_after_page(server, client):
    headers = {**BASE, "Prefer": ANNOTATIONS, "CallerObjectId": OBJECT_ID}
    for fetch, answer in PAGES:
        server.expect_ordered_request(f"{API}/contacts", method="GET", query_string={"fetchXml": fetch},
                                      headers=headers).respond_with_json(answer)

    rows = list(client.impersonate(OBJECT_ID).fetch_xml("contacts", QUERY, page_size=3))

    assert [row["fullname"].removesuffix(" (sample)") for row in rows] == [
        "Susanna Stubberod", "Scott Konersmann", "Robert Lyon", "Rene Valdes", "Paul Cannon", "Nancy Anderson",
        "Maria Cambell", "Jim Glynn"]
    assert rows[0]["annualincome@OData.Community.Display.V1.FormattedValue"] == "$52,000.00"
    queries = [request.query_string for request, _ in server.log]
    assert [unquote(query.decode().removeprefix("fetchXml=")) for query in queries] == [PAGE_1, PAGE_2, PAGE_3]
    # Percent-encoded whole (no `+` for spaces, `%` of the like pattern encoded), as encodeURIComponent does.
    assert queries[0].startswith(b"fetchXml=%3Cfetch%20page%3D%221%22%20count%3D%223%22%20mapping%3D%22logical%22")
    assert b"+" not in queries[0] and b"%25%28sample%29%25" in queries[0]


def test_fetch_xml_without_a_cookie_pages_by_number(server, client):
    """An order on a link-entity gives no paging cookie: `morerecords` alone, page 2 asked plainly."""
    entity = ('<entity name="contact"><attribute name="fullname" /><link-entity name="account" from="accountid" '
              'to="parentcustomerid" alias="a"><order attribute="name" /></link-entity></entity>')
    for page, answer in [(1, {"@Microsoft.Dynamics.CRM.morerecords": True, "value": [{"fullname": "A"}]}),
                         (2, {"value": [{"fullname": "B"}]})]:       # last page: no annotation at all
        server.expect_ordered_request(f"{API}/contacts", query_string={
            "fetchXml": f'<fetch version="1.0" count="1" page="{page}">{entity}</fetch>'}).respond_with_json(answer)

    rows = client.fetch_xml("contacts", f'<fetch version="1.0">{entity}</fetch>', page_size=1)

    assert [row["fullname"] for row in rows] == ["A", "B"]


def test_fetch_xml_refuses_what_dataverse_would(client, server):
    with pytest.raises(ValueError, match="5000"):
        client.fetch_xml("contacts", QUERY, page_size=5001)
    with pytest.raises(ValueError, match="top"):
        client.fetch_xml("contacts", '<fetch top="10"><entity name="contact" /></fetch>')
    with pytest.raises(ValueError, match="'leads'"):
        client.fetch_xml("contacts", '<fetch><entity name="lead" /></fetch>')
    assert server.log == []


# The docs' "Use FetchXML within a batch request" answer.
FETCH_BATCH_ANSWER = """--batchresponse_cbfd44cd-a322-484e-913b-49e18af44e34
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 200 OK
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

{  
   "@odata.context":"[Organization URI]/api/data/v9.2/$metadata#accounts(accountid,name,telephone1,creditonhold)",
   "value":[  
      {  
         "@odata.etag":"W/\\"563737\\"",
         "accountid":"1f55c679-485e-e811-8151-000d3aa3c22a",
         "name":"Fourth Coffee (sample)",
         "telephone1":"+1-425-555-0121",
         "creditonhold":false
      },
      {  
         "@odata.etag":"W/\\"563739\\"",
         "accountid":"2555c679-485e-e811-8151-000d3aa3c22a",
         "name":"Litware, Inc. (sample)",
         "telephone1":"+1-425-555-0120",
         "creditonhold":false
      }
   ]
}
--batchresponse_cbfd44cd-a322-484e-913b-49e18af44e34--
""".replace("\n", "\r\n")


def test_fetch_xml_too_long_for_a_url_goes_as_a_get_inside_a_batch(server, client):
    values = "".join(f"<value>{index:08x}-485e-e811-8151-000d3aa3c22a</value>" for index in range(600))
    query = (f'<fetch><entity name="account"><attribute name="name" /><filter><condition attribute="accountid" '
             f'operator="in">{values}</condition></filter></entity></fetch>')
    server.expect_request(f"{API}/$batch", method="POST", headers=BASE).respond_with_data(
        FETCH_BATCH_ANSWER, content_type="multipart/mixed; boundary=batchresponse_cbfd44cd-a322-484e-913b-49e18af44e34")

    rows = list(client.fetch_xml("accounts", query))

    assert [row["name"] for row in rows] == ["Fourth Coffee (sample)", "Litware, Inc. (sample)"]
    [(request, _)] = server.log
    boundary = request.headers["Content-Type"].removeprefix("multipart/mixed; boundary=")
    lines = request.get_data(as_text=True).split("\r\n")
    [url] = [line.removeprefix("GET ").removesuffix(" HTTP/1.1") for line in lines if line.startswith("GET ")]
    assert 32_768 < len(url) <= 65_536 and url.startswith(server.url_for(f"{API}/accounts?fetchXml=%3Cfetch%20"))
    assert request.get_data() == (
        f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        f"GET {url} HTTP/1.1\r\nAccept: application/json\r\nOData-MaxVersion: 4.0\r\nOData-Version: 4.0\r\n"
        f'Prefer: odata.include-annotations="*"\r\n\r\n\r\n--{boundary}--\r\n').encode()
    assert unquote(url.split("fetchXml=")[1]).count("<value>") == 600


def test_related_pages_a_collection_navigation_with_next_links(server, client):
    list_id = "d8a1b2c3-0000-4000-8000-00000000abcd"
    path = f"{API}/lists({list_id})/listcontact_association"
    query = "$select=fullname,mobilephone&$filter=statecode%20eq%200"
    link = server.url_for(path) + f"?{query}&$skiptoken=%3Ccookie%20pagenumber=%222%22%20/%3E"
    prefer = {**BASE, "Prefer": f"{ANNOTATIONS},odata.maxpagesize=2"}
    server.expect_ordered_request(path, query_string=query, headers=prefer).respond_with_json(
        {"value": [{"fullname": "A"}, {"fullname": "B"}], "@odata.nextLink": link})
    server.expect_ordered_request(path, query_string=link.split("?", 1)[1], headers=prefer).respond_with_json(
        {"value": [{"fullname": "C"}]})

    rows = client.related("lists", list_id, "listcontact_association", select=["fullname", "mobilephone"],
                          filter="statecode eq 0", page_size=2)

    assert [row["fullname"] for row in rows] == ["A", "B", "C"]


# --- $batch creates --------------------------------------------------------------------------------------
TASKS = [{"subject": "Subject is too long " + "x" * 200,
          "regardingobjectid_account_task@odata.bind": "accounts(00000000-0000-0000-0000-000000000001)"},
         {"subject": "Task 2 in batch",
          "regardingobjectid_account_task@odata.bind": "accounts(00000000-0000-0000-0000-000000000001)"},
         {"subject": "Task 3 in batch — é€",
          "regardingobjectid_account_task@odata.bind": "accounts(00000000-0000-0000-0000-000000000001)"}]
RESPONSE_BOUNDARY = "batchresponse_f44bd09d-573f-4a30-bca0-2e500ee7e139"
TOO_LONG = ("A validation error occurred.  The length of the 'subject' attribute of the 'task' entity exceeded "
            "the maximum allowed length of '200'.")
CREATED = """--{b}
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 204 No Content
OData-Version: 4.0
Location: [Organization Uri]/api/data/v9.2/tasks({id})
OData-EntityId: [Organization Uri]/api/data/v9.2/tasks({id})


"""
FAILED = """--{b}
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 {status}
REQ_ID: de4c5227-4a28-4ebd-8ced-3392ece1697b
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

{{"error":{{"code":"{code}","message":"{message}"}}}}
"""
# The docs' continue-on-error answer: the too-long subject refused, the two others created.
DOCUMENTED_ANSWER = (FAILED.format(b=RESPONSE_BOUNDARY, status="400 Bad Request", code="0x80044331", message=TOO_LONG)
                     + CREATED.format(b=RESPONSE_BOUNDARY, id="aed2ae8b-3c94-ed11-aad1-000d3a9933c9")
                     + CREATED.format(b=RESPONSE_BOUNDARY, id="b181a991-3c94-ed11-aad1-000d3a9933c9")
                     + f"--{RESPONSE_BOUNDARY}--\n")


def _multipart(server, text: str) -> Response:
    return Response(text.replace("[Organization Uri]", _org(server)).replace("\n", "\r\n"), status=200,
                    headers={"OData-Version": "4.0",
                             "Content-Type": f"multipart/mixed; boundary={RESPONSE_BOUNDARY}"})


def test_batch_create_sends_one_part_per_row_and_reads_the_documented_answer(server, client):
    server.expect_request(f"{API}/$batch", method="POST", headers={**BASE, "Prefer": "odata.continue-on-error"}) \
        .respond_with_response(_multipart(server, DOCUMENTED_ANSWER))

    results = client.batch_create("tasks", TASKS)

    [(request, _)] = server.log
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/mixed; boundary=batch_")
    boundary = content_type.removeprefix("multipart/mixed; boundary=")
    parts = "".join(f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
                    f"POST {server.url_for(f'{API}/tasks')} HTTP/1.1\r\nContent-Type: application/json; type=entry"
                    f"\r\n\r\n{json.dumps(row, ensure_ascii=False)}\r\n" for row in TASKS)
    assert request.get_data() == f"{parts}--{boundary}--\r\n".encode("utf-8")
    assert "— é€" in request.get_data().decode("utf-8")           # raw UTF-8, Content-Transfer-Encoding: binary

    refused, second, third = results
    assert type(refused.error) is CrmError and refused.id is None
    assert (refused.status, refused.error.code, refused.error.message) == (400, "0x80044331", TOO_LONG)
    assert (second.status, second.id, second.error) == (204, "aed2ae8b-3c94-ed11-aad1-000d3a9933c9", None)
    assert (third.status, third.id, third.error) == (204, "b181a991-3c94-ed11-aad1-000d3a9933c9", None)


def test_batch_create_maps_a_refused_duplicate_key_among_created_rows(server, client):
    duplicate = ("A record that has the attribute values smsc_idempotencykey already exists. The entity key "
                 "smsc_idempotencykey_key requires that this set of attributes contains unique values. "
                 "Select unique values and try again.")
    answer = (CREATED.format(b=RESPONSE_BOUNDARY, id="aed2ae8b-3c94-ed11-aad1-000d3a9933c9")
              + FAILED.format(b=RESPONSE_BOUNDARY, status="412 Precondition Failed", code="0x80060892",
                              message=duplicate)
              + FAILED.format(b=RESPONSE_BOUNDARY, status="400 Bad Request", code="0x80044331", message=TOO_LONG)
              + CREATED.format(b=RESPONSE_BOUNDARY, id="b181a991-3c94-ed11-aad1-000d3a9933c9")
              + f"--{RESPONSE_BOUNDARY}--\n")
    server.expect_request(f"{API}/$batch", method="POST").respond_with_response(_multipart(server, answer))

    results = client.batch_create("smsc_textmessages", [{"smsc_idempotencykey": key} for key in "abcd"])

    assert [(result.status, result.id) for result in results] == [
        (204, "aed2ae8b-3c94-ed11-aad1-000d3a9933c9"), (412, None), (400, None),
        (204, "b181a991-3c94-ed11-aad1-000d3a9933c9")]
    assert isinstance(results[1].error, DuplicateRecord) and results[1].error.code == "0x80060892"
    assert type(results[2].error) is CrmError and results[2].error.message == TOO_LONG
    assert server.log[0][0].get_data().count(b"POST ") == 4


def test_batch_create_is_retried_after_a_429_with_the_same_body(server, client, retry_waits):
    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_json(
        {"error": {"code": "0x80072322", "message": "Number of requests exceeded the limit."}},
        status=429, headers={"Retry-After": "1"})
    server.expect_ordered_request(f"{API}/$batch", method="POST").respond_with_response(
        _multipart(server, CREATED.format(b=RESPONSE_BOUNDARY, id="aed2ae8b-3c94-ed11-aad1-000d3a9933c9")
                   + f"--{RESPONSE_BOUNDARY}--\n"))

    [result] = client.batch_create("tasks", TASKS[1:2])

    assert retry_waits == [1.0]                    # Retry-After honoured
    assert result.id == "aed2ae8b-3c94-ed11-aad1-000d3a9933c9"
    first, second = (request for request, _ in server.log)
    assert first.get_data() == second.get_data() and first.headers["Content-Type"] == second.headers["Content-Type"]


def test_batch_create_is_not_retried_after_a_503_and_raises(server):
    client = DataverseClient(server.url_for("/"), StaticTokenCredential(TOKEN), session=build_session(backoff=0))
    server.expect_request(f"{API}/$batch", method="POST").respond_with_json(
        {"error": {"code": "", "message": "Service Unavailable"}}, status=503)

    with pytest.raises(CrmError) as caught:
        client.batch_create("tasks", TASKS[1:2])

    assert caught.value.status == 503 and len(server.log) == 1     # it may have run: the caller decides


def test_a_failed_batch_raises_the_error_of_its_failing_part(server, client):
    """The docs' answer without continue-on-error: 400 outside, the first failing request inside."""
    answer = FAILED.format(b=RESPONSE_BOUNDARY, status="400 Bad Request", code="0x80044331", message=TOO_LONG)
    failed = _multipart(server, answer + f"--{RESPONSE_BOUNDARY}--\n")
    failed.status = "400 BadRequest"
    server.expect_request(f"{API}/$batch", method="POST").respond_with_response(failed)

    with pytest.raises(CrmError) as caught:
        client.batch_create("tasks", TASKS)

    assert (caught.value.status, caught.value.code, caught.value.message) == (400, "0x80044331", TOO_LONG)


def test_batch_create_refuses_more_than_1000_rows_and_sends_nothing_for_none(server, client):
    with pytest.raises(ValueError, match="1000"):
        client.batch_create("tasks", [{"subject": "x"}] * 1001)
    assert client.batch_create("tasks", []) == []
    assert server.log == []


# --- CreateMultiple and the organization ----------------------------------------------------------------
def test_create_multiple_types_each_target_and_returns_the_ids(server, client):
    ids = ["3f9c3c5e-7d1a-ef11-840a-000d3a5a1d1e", "409c3c5e-7d1a-ef11-840a-000d3a5a1d1e"]
    rows = [{"subject": "Hello", "smsc_phonenumber": "+33612345678"},
            {"subject": "Hi", "smsc_phonenumber": "+33698765432"}]
    server.expect_request(
        f"{API}/smsc_textmessages/Microsoft.Dynamics.CRM.CreateMultiple", method="POST",
        headers={**BASE, "Content-Type": "application/json; charset=utf-8"},
        json={"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.smsc_textmessage", **row} for row in rows]},
    ).respond_with_json({"@odata.context": "[Organization Uri]/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM."
                                           "CreateMultipleResponse", "Ids": ids})

    assert client.create_multiple("smsc_textmessages", "smsc_textmessage", rows) == ids


def test_max_upload_size_is_read_once_per_client(server, client):
    server.expect_oneshot_request(f"{API}/organizations", method="GET", query_string={"$select": "maxuploadfilesize"},
                                  headers=BASE).respond_with_json(
        {"value": [{"maxuploadfilesize": 5242880, "organizationid": "e4b8c1d2-0000-4000-8000-000000000001"}]})

    assert client.max_upload_size() == 5_242_880
    assert client.impersonate(OBJECT_ID).max_upload_size() == 5_242_880
    assert len(server.log) == 1


def test_batch_update_patches_each_row_with_if_match_star_and_reads_each_answer(server, client):
    ids = ["aed2ae8b-3c94-ed11-aad1-000d3a9933c9", "b181a991-3c94-ed11-aad1-000d3a9933c9"]
    missing = "smsc_textmessage With Id = b181a991-3c94-ed11-aad1-000d3a9933c9 Does Not Exist"
    answer = (CREATED.format(b=RESPONSE_BOUNDARY, id=ids[0]).replace("tasks", "smsc_textmessages")
              + FAILED.format(b=RESPONSE_BOUNDARY, status="404 Not Found", code="0x80040217", message=missing)
              + f"--{RESPONSE_BOUNDARY}--\n")
    server.expect_request(f"{API}/$batch", method="POST", headers={**BASE, "Prefer": "odata.continue-on-error"}) \
        .respond_with_response(_multipart(server, answer))

    results = client.batch_update("smsc_textmessages", [(i, {"smsc_status": 9}) for i in ids])

    [(request, _)] = server.log
    boundary = request.headers["Content-Type"].removeprefix("multipart/mixed; boundary=")
    parts = "".join(f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
                    f"PATCH {server.url_for(f'{API}/smsc_textmessages({i})')} HTTP/1.1\r\n"
                    f"Content-Type: application/json; type=entry\r\nIf-Match: *\r\n\r\n"
                    '{"smsc_status": 9}\r\n' for i in ids)
    assert request.get_data() == f"{parts}--{boundary}--\r\n".encode()
    assert [(r.status, r.id, r.error is None) for r in results] == [(204, ids[0], True), (404, ids[1], False)]
    assert results[1].error.code == "0x80040217"
