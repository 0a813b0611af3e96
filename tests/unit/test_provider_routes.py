"""The provider callback routes as the host and `smsc serve` see them: the `{provider}` parameter, the
queue output that a queue trigger of the same app reads."""
import pytest

from functions.local_host import registered_functions, route_match


@pytest.mark.parametrize("route, params", [
    ("providers/octopush/delivery", {"provider": "octopush"}),
    ("providers/octopush/inbound", None),
    ("providers//delivery", None),
    ("providers/octopush/delivery/more", None),
])
def test_a_route_parameter_takes_one_non_empty_segment(route, params):
    assert route_match("providers/{provider}/delivery", route) == params


def test_both_callbacks_queue_what_the_provider_events_trigger_reads():
    functions = {f.get_function_name(): f for f in registered_functions()}
    queued = set()
    for name, route in (("provider_delivery", "providers/{provider}/delivery"),
                        ("provider_inbound", "providers/{provider}/inbound")):
        function = functions[name]
        assert function.get_trigger().route == route
        queued |= {getattr(b, "queue_name", None) for b in function.get_bindings() if int(b.direction) == 1}
    triggers = {getattr(functions["apply_provider_events"].get_trigger(), "queue_name", None)}
    assert queued - {None} == triggers == {"smsc-provider-events"}


def test_a_timer_applies_the_reports_still_waiting_every_few_minutes():
    functions = {f.get_function_name(): f for f in registered_functions()}
    schedule = functions["apply_waiting_delivery_reports"].get_trigger().schedule
    assert schedule.split()[1] == "*/2"          # minutes: a waiting report is applied within a few of them
