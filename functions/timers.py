"""Timer triggers: housekeeping that must not depend on a user or a webhook."""
import logging

import azure.functions as func

from connector.telemetry import traced

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.timer_trigger(schedule="0 */5 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
@traced("timer resume_interrupted_sends")
def resume_interrupted_sends(timer: func.TimerRequest) -> None:
    from connector.bootstrap import get_services, unit_sms_service
    from connector.unit_recovery import resume_stuck_sends

    services = get_services()
    results = resume_stuck_sends(unit_sms_service(services.crm, services.sms))
    if results:
        log.info("resumed %d interrupted unit SMS: %s", len(results),
                 ", ".join(f"{r.activity_id}={r.outcome}" for r in results))
