"""Timer triggers: housekeeping that must not depend on a user or a webhook."""
import logging

import azure.functions as func

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.timer_trigger(schedule="0 */5 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
def resume_interrupted_sends(timer: func.TimerRequest) -> None:
    from connector.bootstrap import get_services, unit_sms_service
    from connector.unit_recovery import resume_stuck_sends

    services = get_services()
    results = resume_stuck_sends(unit_sms_service(services.crm, services.sms))
    if results:
        log.info("resumed %d interrupted unit SMS: %s", len(results),
                 ", ".join(f"{r.activity_id}={r.outcome}" for r in results))


@bp.timer_trigger(schedule="0 */15 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
def close_due_campaigns(timer: func.TimerRequest) -> None:
    from connector.bootstrap import close_due_campaigns as close_due, get_services

    closed = close_due(get_services().crm)
    if closed.closed or closed.failed:
        log.info("campaigns closed: %d; could not close: %s", len(closed.closed), ", ".join(closed.failed) or "none")


@bp.timer_trigger(schedule="30 */2 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
def apply_waiting_delivery_reports(timer: func.TimerRequest) -> None:
    """Delivery reports that found no activity yet (e.g. a campaign's, written after the send), tried
    again for a week; the queue and the campaign release apply most of them long before."""
    from connector.bootstrap import delivery_service, get_services

    result = delivery_service(get_services().crm).sweep()
    if result.outcomes:
        log.info("waiting delivery reports: %s", result.summary())
