from connector.repositories.campaign_recipients import Candidate, MarketingList, UnknownColumn


class FakeCampaignRecipients:
    """Candidates per campaign id; `columns` (per table) makes unknown merge fields fail as Dataverse does."""

    def __init__(self, candidates: dict[str, list[Candidate]] | None = None,
                 related: dict[tuple[str, str], dict] | None = None, columns: dict[str, set[str]] | None = None):
        self.by_campaign, self.related = candidates or {}, related or {}
        self.columns = columns or {}

    def lists(self, campaign):
        return [MarketingList(f"list-{campaign.id}", "Static list", False)] if campaign.id in self.by_campaign else []

    def candidates(self, campaign, fields, page_size=5000):
        for column in sorted(fields.columns if fields else ()):
            if campaign.recipient_table in self.columns and column not in self.columns[campaign.recipient_table]:
                raise UnknownColumn(campaign.recipient_table, column)
        yield from (c for c in self.by_campaign.get(campaign.id, []) if c.table == campaign.recipient_table)

    def lookup_target(self, row, lookup):
        target_id = row.get(f"_{lookup}_value")
        return next(((table, i) for table, i in self.related if i == target_id), None) if target_id else None

    def related_record(self, table, record_id, columns):
        row = self.related[(table, record_id)]
        return {column: row.get(column) for column in columns}
