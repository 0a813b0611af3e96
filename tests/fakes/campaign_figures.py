from connector.repositories.campaign_figures import CampaignFigures


class FakeCampaignFigures:
    """Figures by campaign id (none sent when not told); counts the reads."""

    def __init__(self, figures: dict[str, CampaignFigures] | None = None):
        self.by_campaign = dict(figures or {})
        self.reads: list[str] = []

    def figures(self, campaign_id: str) -> CampaignFigures:
        self.reads.append(campaign_id)
        return self.by_campaign.get(campaign_id, CampaignFigures())
