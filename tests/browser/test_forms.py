"""The SMS form, the template form and its merge-field picker, in Chromium on `smsc console`."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from emulators import dataverse_seed as seed
from tests.browser.conftest import ARTIFACTS


def counter(page) -> str:
    return page.locator("#console-notifications [data-id='smsc-counter']").inner_text()


def new_sms(page, console):
    page.goto(console.form("smsc_textmessage", regarding=f"contact:{seed.DAVID_SMITH_ID}"))
    page.wait_for_selector("body[data-form-ready='1']")


def test_typing_updates_the_counter_and_the_encoding_warning(page, console):
    new_sms(page, console)
    assert counter(page) == "0 caractères"                         # the guide's empty counter
    text = page.locator("#field-description")
    text.press_sequentially("Bonjour David")
    assert counter(page) == "13 caractères · 1 SMS · GSM-7 · reste 147"
    assert page.locator("[data-id='smsc-encoding']").count() == 0

    text.press_sequentially(", à très bientôt ! [10€]")            # ô is no GSM character; € and [ ] cost 2 septets
    assert counter(page).startswith("37 caractères · 1 SMS · UCS-2 · reste 33")
    warning = page.locator("#console-notifications [data-id='smsc-encoding']").inner_text()
    assert "« ô » (U+00F4)" in warning and "UCS-2" in warning and "à" not in warning.split("cause de")[1]
    beside_text = page.locator("#field-description").locator("xpath=../..").locator(".console-control-notification")
    assert "« ô »" in beside_text.inner_text()                     # pointed at on the text itself, too
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sms_form_ucs2_warning.png"))

    text.fill("a" * 161)                                           # past one SMS: 153 per segment
    text.dispatch_event("input")
    assert counter(page) == "161 caractères · 2 SMS · GSM-7 · reste 145"
    assert page.locator("[data-id='smsc-encoding']").count() == 0


def test_applying_a_template_fills_the_text_and_only_published_ones_are_offered(page, console):
    new_sms(page, console)
    lookup = page.locator("#field-smsc_templateid")
    page.wait_for_selector(f"#field-smsc_templateid option[value='{seed.TEMPLATE_ORDER_ID}']", state="attached")
    offered = lookup.locator("option").all_inner_texts()
    assert "Confirmation de commande" in offered and "Rappel RDV" in offered
    draft = console.stack.dataverse.get("smsc_smstemplates", seed.TEMPLATE_DRAFT_ID)["smsc_name"]
    assert draft not in offered                                    # drafts are never offered

    lookup.select_option(seed.TEMPLATE_ORDER_ID)                   # an empty text takes the template at once
    text = page.locator("#field-description")
    template = console.stack.dataverse.get("smsc_smstemplates", seed.TEMPLATE_ORDER_ID)["smsc_text"]
    page.wait_for_function("t => document.querySelector('#field-description').value === t", arg=template)
    assert counter(page).startswith(f"{len(template)} caractères")

    text.fill("Autre texte")
    lookup.select_option(seed.TEMPLATE_REMINDER_ID)                # a typed text is kept until the button
    assert text.input_value() == "Autre texte"
    page.get_by_role("button", name="Appliquer le modèle").click()
    reminder = console.stack.dataverse.get("smsc_smstemplates", seed.TEMPLATE_REMINDER_ID)["smsc_text"]
    page.wait_for_function("t => document.querySelector('#field-description').value === t", arg=reminder)
    assert "appliqué" in page.locator("[data-id='smsc-template']").inner_text()


def test_send_shows_the_text_really_sent_then_sets_send_requested_and_the_sms_goes(page, console):
    new_sms(page, console)
    text = page.locator("#field-description")
    text.fill("Bonjour {{ firstname }}, votre commande vous attend.")
    text.dispatch_event("change")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    dialog = page.locator(".console-dialog")
    dialog.wait_for()
    shown = dialog.inner_text()
    assert "Bonjour David, votre commande vous attend." in shown       # merge fields resolved by the connector
    assert "GSM-7, 1 SMS" in shown and "+33649819006" in shown
    dialog.get_by_role("button", name="Envoyer").click()
    page.wait_for_selector("body[data-saved]")
    page.wait_for_function("() => document.querySelector('#field-smsc_status').value === '5'")
    assert page.locator("#field-smsc_status option:checked").inner_text() == "Envoyé"
    assert page.locator("[data-id='smsc-sent']").count() == 0       # sent: the "on its way" notice is gone

    activity_id = page.evaluate("Xrm.Page.data.entity.getId()").strip("{}").lower()
    row = console.stack.dataverse.get("smsc_textmessages", activity_id)
    assert row["smsc_status"] == 5 and row["smsc_phonenumber"] == "+33649819006"
    assert [s["body"]["text"] for s in console.stack.octopush.sends] == ["Bonjour David, votre commande vous attend."]
    assert [(d["table"], d["message"], d["answer"]["handled"]) for d in console.console.dispatched] == [
        ("smsc_textmessage", "Create", "unit-sms:sent")]


def test_texte_economique_chosen_on_the_form_shows_then_sends_the_gsm7_text(page, console):
    new_sms(page, console)                                          # the configuration leaves the option off
    text = page.locator("#field-description")
    text.fill("« Votre commande est prête » ’")
    text.dispatch_event("change")
    assert "UCS-2" in counter(page)
    page.locator("#field-smsc_cheapertext").select_option("1")     # « Texte économique » : Oui
    page.get_by_role("button", name="Envoyer", exact=True).click()
    dialog = page.locator(".console-dialog")
    dialog.wait_for()
    shown = dialog.inner_text()
    assert '" Votre commande est prete " \'' in shown and "GSM-7, 1 SMS" in shown     # the text really sent
    assert "Texte économique : " in shown                           # never silently
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sms_form_cheaper_text.png"))
    dialog.get_by_role("button", name="Envoyer").click()
    page.wait_for_function("() => document.querySelector('#field-smsc_status').value === '5'")
    assert [s["body"]["text"] for s in console.stack.octopush.sends] == ['" Votre commande est prete " \'']
    activity_id = page.evaluate("Xrm.Page.data.entity.getId()").strip("{}").lower()
    row = console.stack.dataverse.get("smsc_textmessages", activity_id)
    assert row["smsc_cheapertext"] == 1 and row["smsc_encoding"] == 1


def test_the_confirmation_says_what_the_connector_would_refuse_and_cancel_sends_nothing(page, console):
    new_sms(page, console)
    page.locator("#field-smsc_smstype").select_option("1")         # marketing, and no STOP mention...
    console.stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID, {"smsc_appendstop": False})
    text = page.locator("#field-description")
    text.fill("Promo -20% ce week-end")
    text.dispatch_event("change")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    dialog = page.locator(".console-dialog")
    dialog.wait_for()
    assert "STOP" in dialog.inner_text()                           # the connector's own reason, before anything goes
    dialog.get_by_role("button", name="Annuler").click()
    assert page.locator(".console-dialog").count() == 0
    assert console.stack.octopush.sends == [] and console.console.dispatched == []
    assert page.evaluate("Xrm.Page.data.entity.getId()") == ""     # nothing saved either


def test_the_merge_field_picker_lists_the_columns_and_inserts_at_the_cursor(page, console):
    page.goto(console.form("smsc_smstemplate", id=seed.TEMPLATE_ORDER_ID))
    picker = page.frame_locator("#field-WebResource_mergefields")
    fields = picker.locator("#smsc-fields")
    picker.locator("#smsc-fields option[value='firstname']").wait_for(state="attached")
    names = fields.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert {"firstname", "lastname", "mobilephone", "parentcustomerid"} <= set(names)
    assert "parentcustomeridname" not in names                     # lookups' name companions are no columns

    area = picker.locator("#smsc-template-text")
    area.evaluate("a => { a.focus(); a.selectionStart = a.selectionEnd = 'Bonjour '.length; }")
    fields.select_option("firstname")
    picker.get_by_role("button", name="Insérer").click()
    expected = "Bonjour {{ firstname }}Mr {{ lastname }}, votre commande a bien été enregistrée."
    assert area.input_value() == expected
    assert page.evaluate("Xrm.Page.getAttribute('smsc_text').getValue()") == expected
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("body[data-saved]")
    assert console.stack.dataverse.get("smsc_smstemplates", seed.TEMPLATE_ORDER_ID)["smsc_text"] == expected

    page.locator("#field-smsc_entity").select_option("account")   # another table: its own columns
    picker.locator("#smsc-fields option[value='primarycontactid']").wait_for(state="attached")
    assert "firstname" not in fields.locator("option").evaluate_all("options => options.map(o => o.value)")


def scheduled_sms(console, minutes: int = 30) -> tuple[str, datetime]:
    """An SMS due in `minutes` that the user sent: the connector holds it (Scheduled, no ticket)."""
    from emulators.webhook_bodies import option, remote_execution_context, webhook_headers
    from functions.local_host import invoke

    due = (datetime.now(timezone.utc) + timedelta(minutes=minutes)).replace(microsecond=0)
    activity_id = console.stack.dataverse.insert("smsc_textmessages", {
        "subject": "Rappel", "description": "Votre rendez-vous de demain est confirmé.", "smsc_status": 2,
        "scheduledend": due.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({seed.DAVID_SMITH_ID})"})
    event = remote_execution_context("Create", "smsc_textmessage", activity_id, user_id=seed.CLAIRE_MARTIN_ID,
                                     attributes={"smsc_status": option(2)})
    answer = invoke("POST", "dataverse/events", body=event,
                    headers=webhook_headers("Create", "smsc_textmessage", console.stack.webhook_key)).json()
    assert answer["outcome"] == "scheduled"
    return activity_id, due


def test_a_scheduled_sms_says_when_it_leaves_and_annuler_l_envoi_stops_it(page, console):
    from connector.bootstrap import get_services, unit_sms_service
    from connector.unit_release import release_due_sms

    activity_id, due = scheduled_sms(console)
    page.goto(console.form("smsc_textmessage", id=activity_id))
    page.wait_for_selector("body[data-form-ready='1']")
    assert "SMS planifié : il partira le" in page.locator("[data-id='smsc-scheduled']").inner_text()

    page.get_by_role("button", name="Annuler l'envoi").click()
    dialog = page.locator(".console-dialog")
    dialog.wait_for()
    assert "ne partira pas" in dialog.inner_text()
    dialog.get_by_role("button", name="Annuler l'envoi").click()
    page.wait_for_function("() => document.querySelector('#field-smsc_status').value === '9'")
    assert page.locator("#field-smsc_status option:checked").inner_text() == "Annulé"
    page.wait_for_selector("[data-id='smsc-cancel']")
    assert "Envoi annulé" in page.locator("[data-id='smsc-cancel']").inner_text()
    conversation = page.frame_locator("#field-WebResource_conversation")   # the thread follows the saved form
    current = conversation.locator(".smsc-current .smsc-bubble-meta")
    current.filter(has_text="Annulé").wait_for()
    assert "Programmé" not in current.inner_text()
    assert [(d["message"], d["answer"]["handled"]) for d in console.console.dispatched] == [
        ("Update", "unit-sms:cancelled")]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sms_form_cancelled.png"), full_page=True)

    services = get_services()                      # the timer runs on, past the SMS's time: nothing leaves
    assert release_due_sms(unit_sms_service(services.crm, services.sms), due + timedelta(minutes=1)) == []
    assert console.stack.octopush.sends == []
    assert console.stack.dataverse.get("smsc_textmessages", activity_id)["smsc_status"] == 9


def test_annuler_l_envoi_after_the_sms_left_is_refused_and_says_so(page, console):
    from connector.bootstrap import get_services, unit_sms_service
    from connector.unit_release import release_due_sms

    activity_id, due = scheduled_sms(console)
    page.goto(console.form("smsc_textmessage", id=activity_id))
    page.wait_for_selector("body[data-form-ready='1']")
    services = get_services()                      # it leaves while the form is open
    [released] = release_due_sms(unit_sms_service(services.crm, services.sms), due)
    assert released.outcome == "sent"

    page.get_by_role("button", name="Annuler l'envoi").click()     # the form looks again first: too late
    dialog = page.locator(".console-dialog")
    dialog.wait_for()
    assert "déjà parti" in dialog.inner_text()
    assert console.console.dispatched == [] and len(console.stack.octopush.sends) == 1
    assert console.stack.dataverse.get("smsc_textmessages", activity_id)["smsc_status"] == 5
