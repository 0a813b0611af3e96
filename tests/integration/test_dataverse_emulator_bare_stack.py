"""The connector reads a bare organisation customized through the metadata API as it reads the seeded one:
the same columns, types, lookup targets and state values for every table of DESIGN §4."""
from __future__ import annotations

import pytest

from connector import bootstrap
from connector.crm.metadata import DataverseTableDefinitions, forget_table_definitions
from emulators.stack import local_stack
from tests.integration.conftest import web_api
from tests.integration.test_dataverse_emulator_metadata import API, customize_like_the_seeded_schema

TABLES = ["smsc_textmessage", "smsc_smstemplate", "smsc_configuration", "smsc_quota", "smsc_optout",
          "smsc_workflow", "campaign"]


def connector_view(**stack_options) -> dict:
    """What the connector's metadata adapter reads of each table, from a fresh local stack."""
    with local_stack(on_environment_change=bootstrap.reset, **stack_options) as stack:
        if stack_options.get("bare"):
            customize_like_the_seeded_schema(web_api(stack.dataverse_url + API))
        forget_table_definitions()
        try:
            definitions = DataverseTableDefinitions(bootstrap.get_services().crm)
            return {table: definitions.columns(table) for table in TABLES}
        finally:
            forget_table_definitions()


@pytest.fixture(scope="module")
def views() -> tuple[dict, dict]:
    return connector_view(), connector_view(bare=True)


@pytest.mark.parametrize("table", TABLES)
def test_the_connector_reads_a_customized_bare_organisation_as_the_seeded_one(views, table):
    seeded, customized = (view[table] for view in views)
    assert seeded and customized
    assert {name: customized.get(name) for name in seeded} == seeded
