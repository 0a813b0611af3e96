"""Timer trigger of the low-credit alert (connector.low_credit): the admins are told once per crossing."""
import logging

import azure.functions as func

from connector.telemetry import traced

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.timer_trigger(schedule="0 7,37 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
@traced("timer low_credit_alert")
def low_credit_alert(timer: func.TimerRequest) -> None:
    from connector.bootstrap import get_background_services, low_credit_check

    services = get_background_services()
    run = low_credit_check(services.crm, services.sms)
    if run.outcome in ("raised", "cleared"):
        log.info("low-credit alert %s (%s SMS left); admins told: %d", run.outcome,
                 run.credit.sms if run.credit else "?", len(run.told))
