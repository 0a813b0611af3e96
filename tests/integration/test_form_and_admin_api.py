"""POST /api/textmessages/preview, GET /api/credit, GET /api/health on the emulators."""
import pytest

from emulators import dataverse_seed as seed
from functions.local_host import invoke


def call(stack, method, route, body=None, key="default"):
    headers = {"x-smsc-webhook-key": stack.webhook_key if key == "default" else key} if key else {}
    return invoke(method, route, body=body, headers=headers)


def test_preview_of_plain_text(stack):
    response = call(stack, "POST", "textmessages/preview", {"text": "Votre code : 1234 €"})
    assert response.status == 200
    assert response.json() == {"text": "Votre code : 1234 €", "encoding": "GSM-7", "segments": 1,
                               "characters": 19, "remaining": 140, "warnings": [], "cost": 0.045,
                               "phonenumber": None, "segments_saved": 0, "currency": "EUR", "country": "FR",
                               "price": {"amount": 0.045, "currency": "EUR", "source": "provider"},
                               "credit": {"amount": 100.0, "currency": "EUR", "sms": 2222, "country": "FR",
                                          "product": "sms_premium"}}


def test_preview_of_a_template_on_a_record(stack):
    body = {"templateid": seed.TEMPLATE_REMINDER_ID, "regarding": {"entity": "contact", "id": seed.DAVID_SMITH_ID},
            "userid": seed.CLAIRE_MARTIN_ID}
    preview = call(stack, "POST", "textmessages/preview", body).json()
    assert "Bonjour David" in preview["text"] and "Contoso SA" in preview["text"]
    assert preview["phonenumber"] == "+33649819006" and preview["segments"] >= 1
    reads = [r for r in stack.dataverse.requests if r.path.endswith(f"usersettingscollection({seed.CLAIRE_MARTIN_ID})")]
    assert len(reads) == 1                          # the user's options read once for the language and the merge


def test_preview_warns_about_stop_unicode_and_numbers(stack):
    body = {"text": "Soldes ! Économisez 20 % ôtez vos doutes", "smstype": 1,
            "regarding": {"entity": "contact", "id": seed.MARC_PETIT_ID}}
    preview = call(stack, "POST", "textmessages/preview", body).json()
    warnings = " | ".join(preview["warnings"])
    assert preview["encoding"] == "UCS-2" and "ô" in warnings and "12345" in warnings


def test_preview_appends_stop_when_configured(stack):
    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_appendstop": True})
    body = {"text": "Soldes -20%", "smstype": 1, "regarding": {"entity": "contact", "id": seed.DAVID_SMITH_ID}}
    preview = call(stack, "POST", "textmessages/preview", body).json()
    assert preview["text"] == "Soldes -20%\nSTOP au 30101" and preview["warnings"] == []


@pytest.mark.parametrize("body, status, words", [
    ({}, 400, "give 'text' or 'templateid'"),
    ({"templateid": seed.TEMPLATE_ORDER_ID}, 400, "needs 'regarding'"),
    ({"text": "x", "regarding": {"entity": "salesorder", "id": seed.DAVID_SMITH_ID}}, 400, "salesorder"),
    ({"text": "x", "colour": "red"}, 400, "colour"),
    (b"not json", 400, "not valid JSON"),
    ({"text": "{{ ''.__class__ }}", "regarding": {"entity": "contact", "id": seed.DAVID_SMITH_ID}}, 422, "line 1"),
    ({"templateid": seed.TEMPLATE_DRAFT_ID, "regarding": {"entity": "contact", "id": seed.DAVID_SMITH_ID}},
     422, "not published"),
])
def test_bad_preview_requests_name_the_problem(stack, body, status, words):
    response = call(stack, "POST", "textmessages/preview", body)
    assert response.status == status and words in response.json()["error"]["message"]


def test_preview_needs_the_key(stack):
    assert call(stack, "POST", "textmessages/preview", {"text": "x"}, key=None).status == 401


def test_credit_reads_the_octopush_balance(stack):
    stack.octopush.credit = 12.5
    answer = call(stack, "GET", "credit").json()
    assert (answer["provider"], answer["amount"], answer["unit"], answer["currency"]) == ("octopush", 12.5, "euros",
                                                                                          "EUR")
    assert answer["sms"] == 277 and answer["countries"]["FR"]["price"] == 0.045    # 12.5 € at 0.045 € the SMS
    assert call(stack, "GET", "credit", key="nope-nope-nope-nope").status == 401


def test_health_reports_each_dependency(stack):
    healthy = call(stack, "GET", "health", key=None)
    assert healthy.status == 200 and healthy.json()["status"] == "ok"
    stack.octopush.faults.add(500, times=5)
    degraded = call(stack, "GET", "health", key=None).json()
    assert degraded["status"] == "degraded" and degraded["checks"]["octopush"]["status"] == "error"
    assert degraded["checks"]["dataverse"]["status"] == "ok"


def test_merged_dates_use_the_users_time_zone(stack):
    from connector.bootstrap import get_services
    from connector.crm.users import DataverseUsers
    from connector.text.templates import compile_template

    users = DataverseUsers(get_services().crm)
    claire = users.user_format(seed.CLAIRE_MARTIN_ID).render_options()
    john = users.user_format(seed.JOHN_BAKER_ID).render_options()
    assert (claire["time_zone"], john["time_zone"]) == ("Europe/Paris", "Europe/London")
    template = compile_template("RDV le {{ when | datetime }}")
    assert template.render({"when": "2026-11-24T09:30:00Z"}, **claire) == "RDV le 24/11/2026 10:30"


def test_preview_with_the_cheaper_text_shows_the_text_sent_and_the_segments_saved(stack):
    text = "Bonjour, votre commande n° 4711 est prête ; elle vous attend à l’accueil du magasin. " * 2
    preview = call(stack, "POST", "textmessages/preview", {"text": text, "cheaper": True}).json()
    assert (preview["encoding"], preview["segments"], preview["segments_saved"]) == ("GSM-7", 2, 1)
    assert "n°" not in preview["text"] and preview["warnings"][0].startswith("Cheaper text: ")
    assert call(stack, "POST", "textmessages/preview", {"text": text}).json()["segments"] == 3


def test_preview_refuses_a_text_over_the_organisations_budget(stack):
    from connector.crm.configuration import forget_configuration

    stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_maxtextlength": 149})
    forget_configuration()
    answer = call(stack, "POST", "textmessages/preview", {"text": "x" * 150})
    assert answer.status == 422 and "149" in answer.json()["error"]["message"]


def test_merge_fields_without_a_record_are_said_to_be_unresolved(stack):
    for text in ("Bonjour {{ firstname }}", "Bonjour [firstname]"):
        preview = call(stack, "POST", "textmessages/preview", {"text": text}).json()
        assert preview["text"] == text and preview["warnings"] == [
            "The merge fields are not filled in without a record: choose the recipient to see the text sent."]


def test_a_unit_sms_merges_the_campaigns_bracket_fields_instead_of_sending_them_literally(crm, stack):
    activity_id = crm.new_sms(("contact", seed.DAVID_SMITH_ID), text="Bonjour [firstname], à demain.")
    assert crm.webhook(activity_id).json()["outcome"] == "sent"
    assert stack.octopush.sends[-1]["body"]["text"] == "Bonjour David, à demain."
