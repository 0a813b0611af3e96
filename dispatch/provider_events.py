"""The provider-event queue step with the hook workflows an inbound SMS can fire: the wiring above
both cores (the loop back in connector, the keyword workflows in workflows)."""
from __future__ import annotations

from collections.abc import Sequence


def apply_provider_events(event_ids: Sequence[str], crm, provider):
    """Recorded callbacks applied; a reply equal to an `inbound` workflow's keyword runs it."""
    from connector.bootstrap import process_provider_events, workflow_repositories
    from workflows.inbound import KeywordWorkflowRunner

    runner = KeywordWorkflowRunner(workflow_repositories(crm), provider)
    return process_provider_events(crm, list(event_ids), keyword_workflows=runner)
