"""The one declarative definition of the CRM side: `DEFINITION`.

Both outputs are produced from it: `smsc solution package` (solution.package: an unmanaged solution
zip) and `smsc solution deploy` (solution.deploy: Web API metadata requests). The parts live next to
this module: solution.tables (DESIGN §4: tables, columns, choices, keys), solution.ui (roles, forms,
views, command buttons, web resources, environment variables, the model-driven app and its site map,
webhook steps), solution.seed (rows created once); the types in solution.model. Web resources are every
file under solution/webresources/ (`smsc_/` + its path).
"""
from __future__ import annotations

from solution.model import ENGLISH, FRENCH, Label, Publisher, SolutionDefinition
from solution.seed import SEED
from solution.tables import GLOBAL_CHOICES, TABLES
from solution.ui import (
    APPS, CHARTS, COMMANDS, DASHBOARDS, ENDPOINT, ENVIRONMENT_VARIABLES, FORMS, ROLES, VIEWS, WEB_RESOURCES_DIR,
    web_resources,
)

__all__ = ["DEFINITION", "ENGLISH", "FRENCH", "PUBLISHER", "VERSION", "WEB_RESOURCES_DIR", "SolutionDefinition"]

VERSION = "1.0.0.0"
PUBLISHER = Publisher(
    unique_name="smsconnector", display=Label("Connecteur SMS (open source)", "SMS Connector (open source)"),
    prefix="smsc", option_value_prefix=61_742)

DEFINITION = SolutionDefinition(
    unique_name="SmsConnector",
    display=Label("Connecteur SMS", "SMS Connector"),
    description=Label("SMS unitaires, campagnes SMS et workflows SMS pour Dataverse.",
                      "Unit SMS, SMS campaigns and SMS workflows for Dataverse."),
    version=VERSION,
    publisher=PUBLISHER,
    tables=TABLES,
    choices=GLOBAL_CHOICES,
    roles=ROLES,
    forms=FORMS,
    views=VIEWS,
    commands=COMMANDS,
    web_resources=web_resources(),
    endpoint=ENDPOINT,
    seed=SEED,
    environment_variables=ENVIRONMENT_VARIABLES,
    apps=APPS,
    charts=CHARTS,
    dashboards=DASHBOARDS,
)
