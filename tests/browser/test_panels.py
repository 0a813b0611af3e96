"""The campaign panel, the workflow editor and « SMS » on a grid selection, in Chromium on `smsc console`."""
from __future__ import annotations

from pathlib import Path

from emulators import dataverse_seed as seed
from tests.browser.conftest import ARTIFACTS

CAMPAIGN = seed.CAMPAIGN_ORDERS_ID
BUTTONS = {"simulate": "#smsc-simulate", "prepare": "#smsc-prepare", "validate": "#smsc-validate",
           "cancel": "#smsc-cancel", "refresh": "#smsc-refresh"}


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
    assert enabled(panel) == {"simulate", "prepare", "refresh"}

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
    assert enabled(panel) == {"simulate", "validate", "cancel", "refresh"}
    assert panel.locator("#smsc-cost").inner_text() != "—"
    assert console.stack.dataverse.get("campaigns", CAMPAIGN)["smsc_text"].endswith(" STOP au 30101")
    assert "resume.xml" in panel.locator("#smsc-notes").inner_text()

    before = panel.locator("body").get_attribute("data-loaded")
    panel.locator(BUTTONS["validate"]).click()                       # « Envoyer les SMS » asks first
    page.locator(".console-dialog").get_by_role("button", name="Envoyer").click()
    wait_reloaded(panel, before)
    assert panel.locator("#smsc-status").inner_text() == "Campagne envoyée", panel.locator("#smsc-lastresult").inner_text()
    assert enabled(panel) == {"simulate", "refresh"}
    assert len(console.stack.octopush.sends) == 1 and len(console.stack.octopush.sends[0]["numbers"]) == 3
    assert [d["answer"]["handled"] for d in console.console.dispatched] == [
        "campaign:simulate", "campaign:prepare", "campaign:validate"]


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
    assert enabled(panel) == {"simulate", "prepare", "refresh"}
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


def test_sms_to_the_records_selected_in_a_grid_previews_then_sends_each(page, console):
    page.goto(f"{console.url}/console/grid?entity=contact")
    page.wait_for_selector("body[data-grid-ready='1']")
    assert page.locator("#console-grid-sms").is_disabled()
    page.get_by_role("checkbox", name="David Smith").check()
    page.get_by_role("checkbox", name="Julie Moreau").check()      # no mobile: excluded at the preview
    assert page.locator("#console-selection").inner_text() == "Actions pour 2 sélectionné(s)"
    page.locator("#console-grid-sms").click()

    dialog = page.frame_locator(".console-dialog-frame")
    dialog.locator("body[data-loaded='1']").wait_for(state="attached")
    assert dialog.locator("#smsc-title").inner_text() == "SMS à 2 contact(s) sélectionné(s)"
    dialog.locator("#smsc-text").fill("Bonjour {{ firstname }}, à demain")
    assert dialog.locator("#smsc-counter").inner_text().startswith("33 caractères · 1 SMS · GSM-7")
    dialog.get_by_role("button", name="Aperçu et coût").click()
    dialog.locator("#smsc-summary:has-text('prêt(s)')").wait_for()
    assert dialog.locator("#smsc-summary").inner_text().startswith("1 SMS prêt(s) (1 segment(s), coût estimé")
    david = dialog.locator(f"tr[data-id='{seed.DAVID_SMITH_ID}']")
    assert "Bonjour David, à demain" in david.inner_text() and "+33649819006" in david.inner_text()
    assert "Exclu" in dialog.locator(f"tr[data-id='{seed.JULIE_MOREAU_ID}']").inner_text()

    dialog.get_by_role("button", name="Envoyer les SMS").click()
    page.locator(".console-dialog", has_text="Envoyer 1 SMS ?").get_by_role("button", name="Envoyer").click()
    dialog.locator("body[data-sent='1']").wait_for(state="attached")
    assert "Envoyé" in david.inner_text()
    assert [s["body"]["text"] for s in console.stack.octopush.sends] == ["Bonjour David, à demain"]
