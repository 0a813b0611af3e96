from connector.repositories.campaign_activities import ScheduledSms


class FakeCampaignActivities:
    """Activities by idempotency key: a second create of a key leaves the first alone."""

    def __init__(self):
        self.rows: dict[str, dict] = {}

    def create(self, campaign, messages, *, sms_type, sender, sent_at) -> int:
        assert len(messages) <= 10_000       # a window at most (connector.campaigns.release.MAX_WINDOW)
        for sms in messages:
            self.rows.setdefault(sms.idempotency_key, {
                "id": f"act-{len(self.rows) + 1}", "campaign_id": campaign.id, "sms": sms, "sms_type": sms_type,
                "sender": sender, "status": "sent" if sent_at else "scheduled", "sent_at": sent_at})
        return 0

    def scheduled(self, campaign_id):
        return iter([ScheduledSms(r["id"], r["sms"].provider_ticket) for r in self.rows.values()
                     if r["campaign_id"] == campaign_id and r["status"] == "scheduled"])

    def cancel(self, activity_ids) -> None:
        for row in self.rows.values():
            if row["id"] in activity_ids:
                row["status"] = "cancelled"

    def of(self, campaign_id: str) -> list[dict]:
        return [r for r in self.rows.values() if r["campaign_id"] == campaign_id]
