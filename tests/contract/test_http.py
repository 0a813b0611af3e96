"""The shared HTTP session's retries (connector.http): what it waits, through the injectable sleep."""
from __future__ import annotations

from connector.http import build_session

PATH = "/api/data/v9.2/contacts"


def test_a_session_waits_through_the_sleep_it_is_given(server, retry_waits):
    server.expect_ordered_request(PATH).respond_with_json({}, status=429, headers={"Retry-After": "2"})
    server.expect_ordered_request(PATH).respond_with_json({"value": []})
    waits: list[float] = []

    response = build_session(sleep=waits.append).get(server.url_for(PATH))

    assert response.status_code == 200 and waits == [2.0]
    assert retry_waits == []                       # its own sleep, not the process default


def test_retry_after_is_capped_at_max_retry_after(server, retry_waits):
    server.expect_ordered_request(PATH).respond_with_json({}, status=429, headers={"Retry-After": "3600"})
    server.expect_ordered_request(PATH).respond_with_json({"value": []})

    assert build_session(max_retry_after=10).get(server.url_for(PATH)).status_code == 200
    assert retry_waits == [10.0]


def test_without_retry_after_the_back_off_doubles_up_to_the_last_answer(server, retry_waits):
    for _ in range(5):                             # the first try and 4 retries
        server.expect_ordered_request(PATH).respond_with_json({}, status=503)

    assert build_session(retries=4, backoff=0.5).get(server.url_for(PATH)).status_code == 503
    assert retry_waits == [1.0, 2.0, 4.0]          # urllib3 retries once at once, then backs off


def test_retry_after_zero_falls_back_to_the_back_off(server, retry_waits):
    for _ in range(3):
        server.expect_ordered_request(PATH).respond_with_json({}, status=429, headers={"Retry-After": "0"})
    server.expect_ordered_request(PATH).respond_with_json({"value": []})

    assert build_session(backoff=0.5).get(server.url_for(PATH)).status_code == 200
    assert retry_waits == [1.0, 2.0]
