"""Queue trigger: runs the campaign action a CRM button asked for (enqueued by the webhook)."""
import json
import logging

import azure.functions as func

from connector.telemetry import queue_message_attributes, traced
from functions.dataverse_events import CAMPAIGN_QUEUE

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.queue_trigger(arg_name="msg", queue_name=CAMPAIGN_QUEUE, connection="AzureWebJobsStorage")
@traced(f"queue {CAMPAIGN_QUEUE}", queue_message_attributes)
def run_campaign_action(msg: func.QueueMessage) -> None:
    from connector.bootstrap import campaign_service, get_background_services
    from connector.campaigns.worker import run_queued_action

    services = get_background_services()

    def service_for(user_id: str | None):
        return campaign_service(services.crm, services.sms, user_id=user_id)

    result = run_queued_action(service_for, json.loads(msg.get_body()), msg.dequeue_count or 1)
    log.info("campaign action: %s", result)
