"""Timer triggers: housekeeping that must not depend on a user or a webhook."""
import logging

import azure.functions as func

from connector.telemetry import traced

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.timer_trigger(schedule="0 */5 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
@traced("timer resume_interrupted_sends")
def resume_interrupted_sends(timer: func.TimerRequest) -> None:
    from connector.bootstrap import get_background_services, unit_sms_service
    from connector.unit_recovery import resume_stuck_sends

    services = get_background_services()
    results = resume_stuck_sends(unit_sms_service(services.crm, services.sms))
    if results:
        log.info("resumed %d interrupted unit SMS: %s", len(results),
                 ", ".join(f"{r.activity_id}={r.outcome}" for r in results))


@bp.timer_trigger(schedule="0 * * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
@traced("timer release_scheduled_sms")
def release_scheduled_sms(timer: func.TimerRequest) -> None:
    """Unit SMS held by the connector (due date, quiet times) leave at their minute."""
    from connector.bootstrap import get_background_services, unit_sms_service
    from connector.unit_release import release_due_sms

    services = get_background_services()
    results = release_due_sms(unit_sms_service(services.crm, services.sms))
    if results:
        log.info("released %d scheduled unit SMS: %s", len(results),
                 ", ".join(f"{r.activity_id}={r.outcome}" for r in results))


@bp.timer_trigger(schedule="30 */5 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
@traced("timer take_up_left_requests")
def take_up_left_requests(timer: func.TimerRequest) -> None:
    """Unit SMS no webhook delivery took (Dataverse throttled both): sent once, or Failed with the reason."""
    from connector.bootstrap import get_background_services, unit_sms_service
    from connector.unit_recovery import take_up_left_requests as take_up

    services = get_background_services()
    results = take_up(unit_sms_service(services.crm, services.sms))
    if results:
        log.info("took up %d unit SMS left Send requested: %s", len(results),
                 ", ".join(f"{r.activity_id}={r.outcome}" for r in results))


@bp.timer_trigger(schedule="0 */15 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
@traced("timer close_due_campaigns")
def close_due_campaigns(timer: func.TimerRequest) -> None:
    from connector.bootstrap import close_due_campaigns as close_due, get_background_services

    closed = close_due(get_background_services().crm)
    if closed.closed or closed.failed:
        log.info("campaigns closed: %d; could not close: %s", len(closed.closed), ", ".join(closed.failed) or "none")


@bp.timer_trigger(schedule="30 */2 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
@traced("timer apply_waiting_delivery_reports")
def apply_waiting_delivery_reports(timer: func.TimerRequest) -> None:
    """Delivery reports that found no activity yet (e.g. a campaign's, written after the send), tried
    again for a week; the queue and the campaign release apply most of them long before."""
    from connector.bootstrap import delivery_service, get_background_services

    result = delivery_service(get_background_services().crm).sweep()
    if result.outcomes:
        log.info("waiting delivery reports: %s", result.summary())
