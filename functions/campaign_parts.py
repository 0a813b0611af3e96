"""Queue triggers of validate's fan-out: one part of a campaign released (connector.campaigns.parts), and
a part that kept failing, moved by the host to the poison queue (connector.campaigns.poison)."""
import json
import logging

import azure.functions as func

from connector.repositories.work_queue import CAMPAIGN_PARTS, POISON_SUFFIX
from connector.telemetry import queue_message_attributes, traced

bp = func.Blueprint()
log = logging.getLogger(__name__)


def _service_for():
    from connector.bootstrap import campaign_service, get_background_services

    services = get_background_services()
    return lambda user_id: campaign_service(services.crm, services.sms, user_id=user_id)


def _body(msg: func.QueueMessage):
    """The message as queued, or None (logged) when it is not one: retrying it would not mend it."""
    from connector.campaigns.fan_out import PartMessage
    from connector.errors import BadInput

    try:
        body = json.loads(msg.get_body())
        PartMessage.parse(body)
        return body
    except (ValueError, BadInput) as error:
        log.error("campaign part message dropped: %s", error)
        return None


@bp.queue_trigger(arg_name="msg", queue_name=CAMPAIGN_PARTS, connection="AzureWebJobsStorage")
@traced(f"queue {CAMPAIGN_PARTS}", queue_message_attributes)
def release_campaign_part(msg: func.QueueMessage) -> None:
    from connector.campaigns.parts import release_queued_part

    body = _body(msg)
    if body is not None:
        log.info("campaign part: %s", release_queued_part(_service_for(), body))


@bp.queue_trigger(arg_name="msg", queue_name=CAMPAIGN_PARTS + POISON_SUFFIX, connection="AzureWebJobsStorage")
@traced(f"queue {CAMPAIGN_PARTS}{POISON_SUFFIX}", queue_message_attributes)
def report_failed_campaign_part(msg: func.QueueMessage) -> None:
    from connector.campaigns.poison import part_failed

    body = _body(msg)
    if body is not None:
        log.warning("campaign part: %s", part_failed(_service_for(), body))
