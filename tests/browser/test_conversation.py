"""« Afficher toute la conversation » (seed 000) and « Historique fournisseur » on the SMS form, in Chromium on
`smsc console` (its own demo conversation with David Smith: smsc.console.CONVERSATION)."""
from __future__ import annotations

from emulators import dataverse_seed as seed
from smsc.console import CONVERSATION, CONVERSATION_NUMBER, CONVERSATION_REPLY_ID, ELSEWHERE_SMS_ID
from tests.browser.conftest import ARTIFACTS


def open_conversation(page, console, sms_id: str, **args):
    page.goto(console.form("smsc_textmessage", id=sms_id, **args))
    page.wait_for_selector("body[data-form-ready='1']")
    frame = page.frame_locator("#field-WebResource_conversation")
    frame.locator("body[data-loaded]").wait_for(state="attached")
    return frame


def test_the_whole_conversation_oldest_first_and_a_reply_in_the_same_thread(page, console):
    frame = open_conversation(page, console, CONVERSATION_REPLY_ID)
    assert frame.locator("#smsc-title").inner_text() == f"Conversation avec {CONVERSATION_NUMBER}"
    bubbles = frame.locator(".smsc-bubble")
    assert bubbles.locator(".smsc-bubble-text").all_inner_texts() == [text for *_, text in CONVERSATION]
    assert [bubbles.nth(i).get_attribute("data-direction") for i in range(4)] == ["out", "in", "out", "in"]
    assert frame.locator(".smsc-current").get_attribute("data-id") == CONVERSATION_REPLY_ID   # the SMS of this form
    assert frame.locator(f"[data-id='{ELSEWHERE_SMS_ID}']").count() == 0     # another number, another thread
    assert "Remis" in bubbles.nth(0).locator(".smsc-bubble-meta").inner_text()
    assert "Reçu" in bubbles.nth(1).locator(".smsc-bubble-meta").inner_text()
    out_box, in_box = bubbles.nth(0).bounding_box(), bubbles.nth(1).bounding_box()
    assert out_box["x"] > in_box["x"]                                   # sent on the right, received on the left

    assert frame.get_by_role("button", name="Répondre").is_disabled()   # nothing typed yet
    frame.locator("#smsc-reply-text").fill("Très bien, le livreur vous appellera.")
    assert frame.locator("#smsc-counter").inner_text().startswith("37 caractères · 1 SMS · GSM-7")
    frame.get_by_role("button", name="Répondre").click()
    page.locator(".console-dialog", has_text=f"Envoyer ce SMS au {CONVERSATION_NUMBER} ?").get_by_role(
        "button", name="Envoyer").click()
    frame.locator("body[data-replied]").wait_for(state="attached")
    assert bubbles.count() == 5
    last = bubbles.nth(4)
    assert last.get_attribute("data-direction") == "out"
    assert last.locator(".smsc-bubble-text").inner_text() == "Très bien, le livreur vous appellera."

    reply = console.stack.dataverse.get("smsc_textmessages", last.get_attribute("data-id"))
    assert reply["smsc_phonenumber"] == CONVERSATION_NUMBER and reply["smsc_direction"] == 1
    assert reply["_regardingobjectid_value"] == seed.DAVID_SMITH_ID          # regarding the same record
    created = [r.json() for r in console.stack.dataverse.requests
               if r.method == "POST" and r.path.endswith("/smsc_textmessages")]
    assert created[-1]["smsc_status"] == 2                                  # Send requested, once confirmed
    assert [(d["table"], d["message"]) for d in console.console.dispatched] == [("smsc_textmessage", "Create")]
    assert [(s["numbers"], s["body"]["text"]) for s in console.stack.octopush.sends] == [
        ([CONVERSATION_NUMBER], "Très bien, le livreur vous appellera.")]
    assert reply["smsc_status"] == 5 and "Envoyé" in last.locator(".smsc-bubble-meta").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "conversation_after_reply.png"), full_page=True)


def test_a_reply_cancelled_at_the_confirmation_writes_nothing(page, console):
    frame = open_conversation(page, console, CONVERSATION_REPLY_ID, lang="en")
    assert frame.locator("#smsc-title").inner_text() == f"Conversation with {CONVERSATION_NUMBER}"
    frame.locator("#smsc-reply-text").fill("Not this one")
    frame.get_by_role("button", name="Reply").click()
    page.locator(".console-dialog", has_text="Send this SMS to").get_by_role("button", name="Cancel").click()
    assert frame.locator(".smsc-bubble").count() == 4
    assert not [r for r in console.stack.dataverse.requests if r.method == "POST" and "smsc_textmessages" in r.path]
    assert console.stack.octopush.sends == []


def test_the_provider_history_lists_every_report_of_the_sms(page, console):
    first = CONVERSATION[0][0]
    frame = open_conversation(page, console, first)
    assert frame.locator(".smsc-current").get_attribute("data-id") == first
    history = page.locator("#field-smsc_providerevents")
    history.locator("xpath=self::*[@data-rows='2']").wait_for(state="attached")
    rows = history.locator("tbody tr").all_inner_texts()
    assert ["ACK" in rows[0], "DELIVERED" in rows[1]] == [True, True]   # oldest first
    assert page.locator(".console-subgrid-title").inner_text() == "Historique fournisseur"
