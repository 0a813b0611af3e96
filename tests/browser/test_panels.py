"""The campaign panel, the workflow editor and « SMS » on a grid selection, in Chromium on `smsc console`."""
from __future__ import annotations

from pathlib import Path

from emulators import dataverse_seed as seed
from tests.browser.conftest import ARTIFACTS

CAMPAIGN = seed.CAMPAIGN_ORDERS_ID
BUTTONS = {"simulate": "#smsc-simulate", "prepare": "#smsc-prepare", "validate": "#smsc-validate",
           "cancel": "#smsc-cancel", "refresh": "#smsc-refresh", "test": "#smsc-test"}


def open_campaign(page, console, **args):
    page.goto(console.form("campaign", id=CAMPAIGN, **args))
    panel = page.frame_locator("#field-WebResource_smscpanel")
    panel.locator("body[data-loaded]").wait_for(state="attached")
    return panel


def enabled(panel) -> set[str]:
    return {name for name, selector in BUTTONS.items() if panel.locator(selector).is_enabled()}


def wait_reloaded(panel, before: str | None) -> None:
    panel.locator(f"body[data-loaded]:not([data-loaded='{before}'])").wait_for(state="attached")


def click(panel, name: str) -> None:
    before = panel.locator("body").get_attribute("data-loaded")
    panel.locator(BUTTONS[name]).click()
    wait_reloaded(panel, before)


def test_the_buttons_follow_the_status_and_each_click_moves_the_campaign(page, console):
    panel = open_campaign(page, console)
    assert panel.locator("#smsc-title").inner_text() == "Simulation et lancement de la campagne"
    assert panel.locator("#smsc-status").inner_text() == "Campagne non trouvée"
    assert enabled(panel) == {"simulate", "prepare"}
    assert panel.locator("#smsc-refresh").inner_text() == "Actualiser"
    assert panel.locator("#smsc-figures").is_hidden()                # no delivery figures before the send

    click(panel, "simulate")                                         # « Tester la campagne »
    assert panel.locator("#smsc-lastresult").inner_text() == "3 destinataires. 3 erreurs."
    assert panel.locator("#smsc-notes a").first.inner_text() == "resume.csv"
    with page.expect_download() as download:                         # the report, as the note holds it
        panel.locator("#smsc-notes a", has_text="resume.csv").click()
    assert download.value.suggested_filename == "resume.csv"
    report = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert report.startswith("STATUT;DETAIL;NUMERO;SMS") and report.count("ECHEC;") == 3
    assert [(d["table"], d["answer"]["handled"]) for d in console.console.dispatched] == [("campaign", "campaign:simulate")]
    patches = [r.json() for r in console.stack.dataverse.requests if r.method == "PATCH" and "campaigns(" in r.path]
    assert {"smsc_action": 1} in patches                             # the button set the request column, nothing more
    row = console.stack.dataverse.get("campaigns", CAMPAIGN)
    assert row["smsc_action"] is None and row["smsc_smsstatus"] == 1

    text = page.locator("#field-smsc_text")                          # the marketer adds the mention...
    text.fill(text.input_value() + " STOP au 30101")
    text.dispatch_event("change")
    click(panel, "prepare")                                          # ...and prepares (the form's change saved too)
    assert panel.locator("#smsc-status").inner_text() == "Campagne prête à l'envoi"
    assert enabled(panel) == {"simulate", "validate", "cancel", "test"}
    assert panel.locator("#smsc-cost").inner_text() != "—"
    assert console.stack.dataverse.get("campaigns", CAMPAIGN)["smsc_text"].endswith(" STOP au 30101")
    assert "resume.xml" in panel.locator("#smsc-notes").inner_text()

    before = panel.locator("body").get_attribute("data-loaded")
    panel.locator(BUTTONS["validate"]).click()                       # « Envoyer les SMS » asks first
    page.locator(".console-dialog").get_by_role("button", name="Envoyer").click()
    wait_reloaded(panel, before)
    assert panel.locator("#smsc-status").inner_text() == "Campagne envoyée", panel.locator("#smsc-lastresult").inner_text()
    assert enabled(panel) == {"simulate", "refresh"}                 # « Actualiser » once the campaign has gone
    assert panel.locator("#smsc-figures").is_visible()
    assert len(console.stack.octopush.sends) == 1 and len(console.stack.octopush.sends[0]["numbers"]) == 3
    assert [d["answer"]["handled"] for d in console.console.dispatched] == [
        "campaign:simulate", "campaign:prepare", "campaign:validate"]

    # Two delivery reports and a reply came back (as the loop back writes them); « Actualiser » recomputes.
    sent = console.stack.dataverse.rows("smsc_textmessages", f"_smsc_campaignid_value eq {CAMPAIGN}")
    for sms in sorted(sent, key=lambda row: row["smsc_phonenumber"])[:2]:
        console.stack.dataverse.update("smsc_textmessages", sms["activityid"], {"smsc_status": 6})
    console.stack.dataverse.insert("smsc_textmessages", {
        "subject": "Réponse SMS", "description": "Merci !", "smsc_direction": 2, "smsc_status": 10,
        "smsc_phonenumber": sent[0]["smsc_phonenumber"], "smsc_CampaignId@odata.bind": f"/campaigns({CAMPAIGN})"})
    click(panel, "refresh")
    assert console.console.dispatched[-1]["answer"]["handled"] == "campaign:refresh"
    assert panel.locator("#smsc-delivery").inner_text() == "66,7 %"
    assert panel.locator("#smsc-reply").inner_text() == "33,3 %"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "campaign_panel_sent.png"), full_page=True)


def test_send_a_test_names_the_test_numbers_sends_to_them_and_leaves_the_campaign_ready(page, console):
    from connector.crm.configuration import forget_configuration

    console.stack.dataverse.update("smsc_configurations", seed.CONFIGURATION_ID,
                                   {"smsc_testnumbers": "06 99 88 77 66; 0611223344"})
    forget_configuration()
    console.stack.dataverse.update("campaigns", CAMPAIGN, {"smsc_text": "Bonjour Mr [lastname], -10 % ce week-end. STOP au 30101"})
    panel = open_campaign(page, console)
    assert panel.locator("#smsc-test").inner_text() == "Envoyer un test"
    assert panel.locator("#smsc-test").is_disabled()                  # nothing prepared to test yet
    click(panel, "prepare")
    assert panel.locator("#smsc-status").inner_text() == "Campagne prête à l'envoi"
    assert panel.locator("#smsc-test").is_enabled()
    sends, activities = len(console.stack.octopush.sends), len(console.stack.dataverse.rows("smsc_textmessages"))

    before = panel.locator("body").get_attribute("data-loaded")
    panel.locator(BUTTONS["test"]).click()                             # asks first, naming the numbers
    dialog = page.locator(".console-dialog")
    assert "numéros de test (06 99 88 77 66, 0611223344)" in dialog.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "campaign_panel_test_confirm.png"))
    dialog.get_by_role("button", name="Envoyer le test").click()
    wait_reloaded(panel, before)

    tests = console.stack.octopush.sends[sends:]                      # what the Octopush emulator received
    assert [s["numbers"] for s in tests] == [["+33699887766"], ["+33611223344"]]
    assert all(s["body"]["text"].endswith("STOP au 30101") and s["body"]["request_id"].startswith("test-")
               for s in tests)
    assert panel.locator("#smsc-lastresult").inner_text() == (
        "Test envoyé aux 2 numéro(s) de test (+33699887766, +33611223344) ; la campagne n'a pas changé.")
    assert panel.locator("#smsc-status").inner_text() == "Campagne prête à l'envoi"      # the status did not move
    assert enabled(panel) == {"simulate", "validate", "cancel", "test"}
    assert "Test de la campagne (" in panel.locator("#smsc-notes").inner_text()
    assert panel.locator("#smsc-notes a", has_text="test.csv").count() == 1
    row = console.stack.dataverse.get("campaigns", CAMPAIGN)
    assert row["smsc_smsstatus"] == 3 and row["smsc_action"] is None
    assert len(console.stack.dataverse.rows("smsc_textmessages")) == activities    # no recipient activity
    assert console.console.dispatched[-1]["answer"]["handled"] == "campaign:test"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "campaign_panel_test_sent.png"), full_page=True)
    forget_configuration()


def test_send_a_test_without_test_numbers_says_where_to_set_them_and_sends_nothing(page, console):
    console.stack.dataverse.update("campaigns", CAMPAIGN, {"smsc_text": "Promo STOP au 30101"})
    panel = open_campaign(page, console)
    click(panel, "prepare")
    sends = len(console.stack.octopush.sends)
    panel.locator(BUTTONS["test"]).click()
    panel.locator("#smsc-message:not(:empty)").wait_for()
    assert panel.locator("#smsc-message").inner_text().startswith("Aucun numéro de test : renseignez")
    assert len(console.stack.octopush.sends) == sends
    assert console.stack.dataverse.get("campaigns", CAMPAIGN)["smsc_action"] is None


def test_an_english_user_gets_the_panel_and_the_counter_in_english(page, console):
    panel = open_campaign(page, console, lang="en")
    assert panel.locator("#smsc-simulate").inner_text() == "Test the campaign"
    assert panel.locator("#smsc-status").inner_text() == "Not transmitted"
    click(panel, "simulate")
    assert panel.locator("#smsc-lastresult").inner_text() == "3 recipients. 3 errors."
    text = page.locator("#field-smsc_text")
    text.fill(text.input_value() + " STOP au 30101")
    text.dispatch_event("change")
    click(panel, "prepare")
    assert panel.locator("#smsc-status").inner_text() == "Ready to send"
    click(panel, "cancel")                                           # « Annuler la campagne »: back to the start
    assert panel.locator("#smsc-status").inner_text() == "Not transmitted"
    assert enabled(panel) == {"simulate", "prepare"}
    assert "cancelled" in panel.locator("#smsc-lastresult").inner_text().lower()
    panel.locator("#smsc-credit").click()
    panel.locator("#smsc-credit-value:not(:empty)").wait_for()
    assert panel.locator("#smsc-credit-value").inner_text().startswith("Credit: ")

    page.goto(console.form("smsc_textmessage", regarding=f"contact:{seed.DAVID_SMITH_ID}", lang="en"))
    page.wait_for_selector("body[data-form-ready='1']")
    page.locator("#field-description").press_sequentially("Hello")
    assert page.locator("[data-id='smsc-counter']").inner_text() == "5 characters · 1 SMS · GSM-7 · 155 left"
    assert page.get_by_role("button", name="Apply the template").is_visible()
    assert page.locator("#console-title").inner_text() == "SMS (new)"


def test_the_workflow_editor_shows_each_problem_with_its_path_and_runs_a_dry_run(page, console):
    page.goto(f"{console.url}/console/page?name=smsc_/html/workflow_editor.html")
    editor = page.frame_locator("#console-page")
    definition = editor.locator("#smsc-definition")
    definition.fill("name: Broken\nentity: salesorder\ntrigger:\n  type: nosuchtrigger\nsteps: []\n")
    editor.get_by_role("button", name="Valider").click()
    editor.locator("#smsc-issues li").first.wait_for()
    assert "problème" in editor.locator("#smsc-result").inner_text()
    paths = editor.locator("#smsc-issues .smsc-path").all_inner_texts()
    assert any(path.startswith("trigger") for path in paths), paths
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workflow_editor_issues.png"))

    builtin = Path(__file__).resolve().parents[2] / "workflows" / "builtin" / "order_fulfilled.yaml"
    definition.fill(builtin.read_text(encoding="utf-8"))
    editor.get_by_role("button", name="Valider").click()
    editor.locator("#smsc-result.smsc-ok").wait_for()
    assert editor.locator("#smsc-result").inner_text() == "Définition valide."
    assert editor.locator("#smsc-issues li").count() == 0

    order = console.stack.dataverse.rows("salesorders")[0]["salesorderid"]
    editor.locator("#smsc-entity").fill("salesorder")
    editor.locator("#smsc-record").fill(order)
    editor.get_by_role("button", name="Essai à blanc").click()
    editor.locator("#smsc-dryrun-sms li").first.wait_for()
    assert editor.locator("#smsc-result").inner_text().startswith("1 SMS seraient envoyés (aucun n'est envoyé).")
    assert "Votre commande no " in editor.locator("#smsc-dryrun-sms").inner_text()
    assert console.stack.octopush.sends == []                        # a dry run sends nothing


def test_sms_to_the_records_selected_in_a_grid_is_a_one_off_campaign_previewed_then_sent(page, console):
    page.goto(f"{console.url}/console/grid?entity=contact")
    page.wait_for_selector("body[data-grid-ready='1']")
    assert page.locator("#console-grid-sms").is_disabled()
    for name in ("David Smith", "John Doe", "Peter Parker", "Sophie Laurent"):     # Sophie said STOP
        page.get_by_role("checkbox", name=name).check()
    assert page.locator("#console-selection").inner_text() == "Actions pour 4 sélectionné(s)"
    page.locator("#console-grid-sms").click()

    dialog = page.frame_locator(".console-dialog-frame")
    dialog.locator("body[data-loaded='1']").wait_for(state="attached")
    assert dialog.locator("#smsc-title").inner_text() == "SMS à 4 contact(s) sélectionné(s)"
    dialog.locator("#smsc-text").fill("Bonjour {{ firstname }}, votre commande est arrivée.")
    assert dialog.locator("#smsc-counter").inner_text().startswith("52 caractères · 1 SMS · GSM-7")
    dialog.get_by_role("button", name="Aperçu et coût").click()
    dialog.locator("body[data-previewed]").wait_for(state="attached")
    summary = dialog.locator("#smsc-summary").inner_text()
    assert summary.startswith("3 SMS prêt(s) sur 4 destinataire(s) ; 1 exclu(s). Coût : "), summary
    assert not summary.endswith("Coût : —."), summary                # the cost is known before sending
    assert dialog.locator("#smsc-lastresult").inner_text() == "4 destinataires. 1 erreurs."
    assert dialog.locator(".smsc-note-link").all_inner_texts() == ["resume.csv", "resume.xml"]
    david = dialog.locator(f"tr[data-id='{seed.DAVID_SMITH_ID}']")
    assert "Bonjour David, votre commande est arrivée." in david.inner_text() and "+33649819006" in david.inner_text()
    sophie = dialog.locator(f"tr[data-id='{seed.SOPHIE_LAURENT_ID}']")
    assert sophie.get_attribute("data-verdict") == "ECHEC" and "+33611111111" in sophie.inner_text()
    assert sophie.locator(".smsc-check").inner_text().strip() != ""  # the reason the number is excluded
    assert console.stack.octopush.sends == []                        # a preview sends nothing
    with page.expect_download() as download:                         # the simulation's report
        dialog.locator(".smsc-note-link", has_text="resume.csv").click()
    report = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert report.startswith("STATUT;DETAIL;NUMERO;SMS") and report.count("SUCCES;") == 3 and report.count("ECHEC;") == 1

    # What the page wrote: a static list of the 4 contacts, linked to a campaign with the text.
    lists = [row for row in console.stack.dataverse.rows("lists") if row["listname"].startswith("Sélection SMS")]
    assert len(lists) == 1 and lists[0]["createdfromcode"] == 2 and lists[0]["type"] is False
    assert lists[0]["membercount"] == 4
    campaigns = [row for row in console.stack.dataverse.rows("campaigns") if row["name"].startswith("SMS à la sélection")]
    assert len(campaigns) == 1 and campaigns[0]["smsc_smsstatus"] == 3 and campaigns[0]["smsc_recipienttype"] == 2
    assert [path for path in (r.path for r in console.stack.dataverse.requests) if "Add" in path] == [
        "/api/data/v9.2/AddListMembersList",
        f"/api/data/v9.2/lists({lists[0]['listid']})/Microsoft.Dynamics.CRM.AddItemCampaign"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "grid_sms_preview.png"), full_page=True)

    dialog.get_by_role("button", name="Envoyer", exact=True).click()
    page.locator(".console-dialog", has_text="Envoyer 3 SMS ?").get_by_role("button", name="Envoyer").click()
    dialog.locator("body[data-sent='3']").wait_for(state="attached")
    assert dialog.locator("#smsc-summary").inner_text() == "Campagne envoyée : 3 SMS."
    assert "Envoyé" in david.inner_text() and "Non envoyé" in sophie.inner_text()
    campaign = console.stack.dataverse.get("campaigns", campaigns[0]["campaignid"])
    assert campaign["smsc_smsstatus"] == 5
    activities = console.stack.dataverse.rows("smsc_textmessages",
                                              f"_smsc_campaignid_value eq {campaign['campaignid']}")
    assert sorted(a["smsc_phonenumber"] for a in activities) == ["+33600000001", "+33600000002", "+33649819006"]
    assert len(console.stack.octopush.sends) == 1
    assert sorted(console.stack.octopush.sends[0]["numbers"]) == ["+33600000001", "+33600000002", "+33649819006"]
    assert [d["answer"]["handled"] for d in console.console.dispatched] == [
        "campaign:simulate", "campaign:prepare", "campaign:validate"]
