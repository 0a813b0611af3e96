"""Timer trigger of validate's fan-out: campaigns left Sending whose lease ran out get their parts not
done queued again, and preparations that died put back to Not transmitted (connector.campaigns.resume),
every 5 minutes."""
import logging

import azure.functions as func

from connector.telemetry import traced

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.timer_trigger(schedule="15 */5 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
@traced("timer resume_campaign_parts")
def resume_campaign_parts(timer: func.TimerRequest) -> None:
    from connector.bootstrap import campaign_service, get_background_services
    from connector.campaigns.resume import reopen_interrupted_preparations, resume_campaigns

    services = get_background_services()
    service = campaign_service(services.crm, services.sms)
    resumed = reopen_interrupted_preparations(service, resume_campaigns(service))
    if resumed.requeued or resumed.ended or resumed.failed or resumed.reopened:
        log.info("campaigns resumed: %s; ended: %s; preparations reopened: %s; could not look at: %s",
                 ", ".join(f"{c}={n} part(s)" for c, n in resumed.requeued.items()) or "none",
                 ", ".join(resumed.ended) or "none", ", ".join(resumed.reopened) or "none",
                 ", ".join(resumed.failed) or "none")
