"""Ready to activate: a valid definition that would still fail every send with the organisation's
configuration — today, a marketing SMS without the configured STOP mention when the configuration
does not append it (French numbers refuse it: connector.send_policy.apply_stop_rule)."""
from __future__ import annotations

from connector.configuration import Configuration
from connector.text.stop import has_stop_mention
from workflows.definition import WorkflowDefinition, sms_steps


def not_ready(definition: WorkflowDefinition, config: Configuration) -> list[str]:
    """Why the workflow cannot send as configured (empty: ready to activate)."""
    problems = []
    for path, action in sms_steps(definition.steps):
        if action.sms_type == "marketing" and action.text and not config.append_stop \
                and not has_stop_mention(action.text, config.stop_text):
            problems.append(f"{path}: a marketing SMS to French numbers needs the mention « {config.stop_text} »; "
                            "add it to the text, or have the configuration append it (« Ajouter la mention STOP »)")
    return problems
