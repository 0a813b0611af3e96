"""The Azure Functions app (Python v2 model): it only registers the blueprints of `functions/`."""
import azure.functions as func

from functions import (admin_api, campaign_parts, campaign_queue, campaign_timers, credit_timers, dataverse_events,
                       form_api, provider_callbacks, stats_api, timers, workflow_api, workflow_timers)

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
for blueprint in (dataverse_events.bp, campaign_queue.bp, campaign_parts.bp, form_api.bp, admin_api.bp, timers.bp,
                  campaign_timers.bp, workflow_api.bp, workflow_timers.bp, provider_callbacks.bp, stats_api.bp,
                  credit_timers.bp):
    app.register_functions(blueprint)
