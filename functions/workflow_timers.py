"""Timer trigger of the schedule workflows (e.g. the 90-day inactivity reminder): hourly."""
import logging

import azure.functions as func

from connector.telemetry import traced

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.timer_trigger(schedule="0 7 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
@traced("timer run_schedule_workflows")
def run_schedule_workflows(timer: func.TimerRequest) -> None:
    from connector.bootstrap import get_background_services, workflow_repositories
    from connector.clock import utcnow
    from workflows.scheduler import run_scheduled

    services = get_background_services()
    for report in run_scheduled(workflow_repositories(services.crm), services.sms, utcnow()):
        log.info("schedule workflow '%s': %d examined, %d matched, %d sent before; %s", report.workflow,
                 report.examined, report.matched, report.sent_before, report.counts())
