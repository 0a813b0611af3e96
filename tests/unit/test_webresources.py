"""The web resources agree with the connector: the campaign panel's buttons with the lifecycle, every file a
page loads exists, and none holds a secret."""
import json
import re

from connector.campaigns.lifecycle import TRANSITIONS
from connector.repositories.campaigns import CampaignAction, CampaignStatus
from solution.jsgen import WEBRESOURCES

CONTRACT = ["js/encoding.js", "js/api.js", "js/textmessage_form.js", "js/template_form.js", "js/grid_sms.js",
            "html/mergefield_picker.html", "html/campaign_panel.html", "html/workflow_editor.html",
            "html/bulk_sms.html", "html/conversation.html", "css/smsc.css"]


def test_the_files_the_solution_definition_names_are_there():
    assert sorted(str(p.relative_to(WEBRESOURCES)) for p in WEBRESOURCES.rglob("*") if p.is_file()) == sorted(CONTRACT)


def test_the_campaign_panel_enables_each_button_from_the_statuses_the_lifecycle_allows():
    page = (WEBRESOURCES / "html" / "campaign_panel.html").read_text(encoding="utf-8")
    table = json.loads(re.search(r'<script type="application/json" id="smsc-lifecycle">(.*?)</script>', page, re.S)[1])
    for action in CampaignAction:
        always = {int(s) for s in CampaignStatus if (t := TRANSITIONS.get((s, action))) and not t.only_deferred}
        deferred = {int(s) for s in CampaignStatus if (t := TRANSITIONS.get((s, action))) and t.only_deferred}
        assert set(table["starts"].get(str(int(action)), [])) == always, action
        assert set(table["deferred"].get(str(int(action)), [])) == deferred, action
    # « Actualiser » (Refresh) runs anywhere, but the panel offers it where there are figures: Sending, Sent.
    assert table["useful"] == {"5": [int(CampaignStatus.SENDING), int(CampaignStatus.SENT)]}
    assert set(table["useful"]["5"]) <= set(table["starts"]["5"])


def test_every_script_and_style_a_page_loads_is_a_web_resource_of_the_solution():
    for page in (WEBRESOURCES / "html").glob("*.html"):
        for reference in re.findall(r'(?:src|href)="(\.\./[^"]+)"', page.read_text(encoding="utf-8")):
            assert (page.parent / reference).resolve().is_file(), f"{page.name}: {reference}"


def test_no_web_resource_holds_a_secret_or_an_address():
    for path in WEBRESOURCES.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"https?://(?!schemas\.)", text), path          # addresses come from settings
            assert not re.search(r"(?i)(key|secret|token)\s*[:=]\s*[\"'][A-Za-z0-9_\-]{12,}", text), path
