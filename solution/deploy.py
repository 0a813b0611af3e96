"""`smsc solution deploy`: installs the definition in an organisation through the Web API metadata
endpoints, idempotently.

Three steps, kept apart so the plan is tested without HTTP:
1. read (solution.deploy_state): GETs of every component by its name;
2. plan (`plan`, pure): the definition and what exists -> the operations still needed, in order;
3. execute (`execute`): each operation is one request through the metadata adapter, inside the named
   solution (`MSCRM.SolutionUniqueName`); the first refusal stops the run with one line naming the
   component, and the report says what was done before it.
The views the charts show, the charts and the dashboard « SMS » are rows (solution.deploy_visuals) with
the zip's ids, created inside the solution and put in the app (AddAppComponents) with its site map;
they, the app and its site map are named in the organisation's base language, and the rows get their
French and English names (`SetLocLabels`) as a zip import gives them.
A second run finds everything and only reads, apart from publishing (`PublishXml` of what it owns).
The webhook key only travels inside the service endpoint's AuthValue: never printed, never in a plan's repr.
The pages' environment variables get the function app's origin and SMSC_FORM_KEY (never the webhook key:
every CRM user can read them); a value the installer does not know is left as found, and said.
"""
from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape

from connector.errors import BadInput, SmscError
from solution import deploy_bodies as bodies
from solution.deploy_visuals import NAME, SET_LABELS, differing, text_in, visuals, wanted_labels
from solution.deploy_state import (
    DeployError,
    MetadataApi,
    OrgState,
    Options,
    literal,
    reading,
    read_state,
    read_steps,
)
from solution.model import (
    ChoiceColumn,
    Label,
    LookupColumn,
    Mode,
    ModelDrivenApp,
    SeedRow,
    SolutionDefinition,
    Step,
    WebResource,
)
from solution.package import site_map_element
from solution.ui import API_BASE_URL, API_FUNCTION_KEY, API_KEY, WEB_RESOURCES_DIR
from workflows.steps import StepRegistration

WEBHOOK_CONTRACT, HTTP_HEADER_AUTH, JSON_FORMAT = 8, 5, 2     # serviceendpoint contract, authtype, messageformat
PRE_IMAGE = "PreImage"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Result(str, Enum):
    CREATED = "created"
    UPDATED = "updated"
    PUBLISHED = "published"


# --- deferred values: known only while executing (ids created earlier in the run, the secret) ----------

class Deferred:
    def resolve(self, ids: Mapping[str, str]) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Ref(Deferred):
    """`/entity_set(id)` of a row found by the read or created earlier in the run."""
    key: str
    entity_set: str

    def resolve(self, ids: Mapping[str, str]) -> str:
        return f"/{self.entity_set}({_id(ids, self.key)})"


@dataclass(frozen=True)
class Secret(Deferred):
    """A value sent but never shown (the service endpoint's AuthValue)."""
    value: str = field(repr=False)

    def resolve(self, ids: Mapping[str, str]) -> str:
        return self.value

    def __str__(self) -> str:
        return "***"


@dataclass(frozen=True)
class IdOf(Deferred):
    """The bare id of a row found by the read or created (or looked up) earlier in the run."""
    key: str

    def resolve(self, ids: Mapping[str, str]) -> str:
        return _id(ids, self.key)


@dataclass(frozen=True)
class PublishScope(Deferred):
    entities: tuple[str, ...]
    option_sets: tuple[str, ...]
    web_resource_keys: tuple[str, ...]
    site_map_keys: tuple[str, ...] = ()
    app_keys: tuple[str, ...] = ()
    dashboard_ids: tuple[str, ...] = ()              # known before the run: the definition's ids

    def resolve(self, ids: Mapping[str, str]) -> str:
        def braced(keys: tuple[str, ...]) -> list[str]:
            return ["{" + _id(ids, key) + "}" for key in keys]

        return bodies.publish_xml(self.entities, self.option_sets, braced(self.web_resource_keys),
                                  braced(self.site_map_keys), braced(self.app_keys),
                                  ["{" + dashboard + "}" for dashboard in self.dashboard_ids])


@dataclass(frozen=True)
class Lookup:
    """An id read while executing (GET `entity_set?$filter=…&$select=id_column&$top=1`): `filter` may name
    ids resolved before it as `{0}`, `{1}`… (`after`)."""
    key: str
    entity_set: str
    filter: str
    id_column: str
    after: tuple[str, ...] = ()


def _id(ids: Mapping[str, str], key: str) -> str:
    if key not in ids:
        raise DeployError(f"{key}: Dataverse gave no id for it")
    return ids[key]


def resolved(value: Any, ids: Mapping[str, str]) -> Any:
    if isinstance(value, Deferred):
        return value.resolve(ids)
    if isinstance(value, Mapping):
        return {name: resolved(item, ids) for name, item in value.items()}
    if isinstance(value, list):
        return [resolved(item, ids) for item in value]
    return value


# --- the plan ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Operation:
    kind: str                          # table, column, relationship, key, choice, web resource, step…
    name: str
    result: Result
    method: str                        # POST (create, action) or PATCH (update)
    path: str                          # relative to the Web API root
    body: Mapping[str, Any]
    in_solution: bool = True           # sent with MSCRM.SolutionUniqueName
    produces: str | None = None        # id key of what it creates
    lookups: tuple[Lookup, ...] = ()

    @property
    def component(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass
class Plan:
    operations: list[Operation] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)   # (kind, name) left alone
    notes: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)                # ids found by the read

    def add(self, operation: Operation) -> None:
        self.operations.append(operation)

    def keep(self, kind: str, name: str) -> None:
        self.unchanged.append((kind, name))


@dataclass(frozen=True)
class Webhook:
    """Where Dataverse posts events (the function app's /api/dataverse/events, with its `?code=` key)
    and the shared key it sends in the x-smsc-webhook-key header."""
    url: str
    key: str = field(repr=False)

    @property
    def shown_url(self) -> str:
        """The URL without its query (the function key stays out of the output)."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "code=…" if parts.query else "", ""))


def webhook_url(given: str, path: str) -> str:
    """`given` as is, or the function app's base URL with the events `path` appended."""
    parts = urlsplit(given.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise BadInput(f"webhook URL: {parts.scheme or 'no scheme'}://… is not an http(s) URL")
    if parts.path in ("", "/"):
        parts = parts._replace(path=path)
    return urlunsplit(parts)


@dataclass(frozen=True)
class PageSettings:
    """The values the installer gives the environment variables the pages read: where they call the
    connector (`base_url`: the function app's origin) and the key they send (`form_key`: SMSC_FORM_KEY,
    never SMSC_WEBHOOK_KEY, since every CRM user can read it). None: the value is left as found."""
    base_url: str | None = None
    form_key: str | None = field(default=None, repr=False)
    function_key: str | None = field(default=None, repr=False)  # x-functions-key of the pages' routes
    webhook_key: str | None = field(default=None, repr=False)   # only to warn when a page value holds it


def api_base_url(given: str) -> str:
    """The origin (scheme://host[:port]) of the function app's URL (`--api-url` or the webhook URL):
    the pages append /api/<route> to it."""
    parts = urlsplit(given.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise BadInput(f"API URL: {parts.scheme or 'no scheme'}://… is not an http(s) URL")
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], "", "", ""))


def auth_value(header: str, key: str) -> str:
    """The HttpHeader authentication's AuthValue, as the Plug-in Registration Tool writes it."""
    def attribute(text: str) -> str:
        return '"' + escape(text, {'"': "&quot;"}) + '"'

    return f"<settings><setting name={attribute(header)} value={attribute(key)} /></settings>"


def _label_differs(wanted: Label, found: Mapping[int, str], languages: frozenset[int]) -> bool:
    return any(found.get(code) != text for code, text in wanted.by_language().items() if code in languages)


def _option_operations(plan: Plan, kind: str, name: str, choice_options: Sequence[Any], found: Options,
                        target: Mapping[str, str], languages: frozenset[int], solution: str) -> bool:
    """Missing options inserted, relabelled ones updated (the organisation's own extra options kept)."""
    changed = False
    for option in choice_options:
        label = bodies.label(option.label, languages)
        if option.value not in found:
            plan.add(Operation(kind, f"{name} = {option.value}", Result.CREATED, "POST", "InsertOptionValue",
                               {**target, "Value": option.value, "Label": label, "SolutionUniqueName": solution},
                               in_solution=False))
            changed = True
        elif _label_differs(option.label, found[option.value], languages):
            plan.add(Operation(kind, f"{name} = {option.value}", Result.UPDATED, "POST", "UpdateOptionValue",
                               {**target, "Value": option.value, "Label": label, "MergeLabels": True,
                                "SolutionUniqueName": solution}, in_solution=False))
            changed = True
    return changed


def _primary_id(definition: SolutionDefinition, table: str) -> str:
    known = {t.logical_name: t for t in definition.tables}
    return known[table].primary_id if table in known else f"{table}id"


def _schema_operations(plan: Plan, definition: SolutionDefinition, state: OrgState) -> None:
    languages, solution = state.languages, definition.unique_name
    for choice in definition.choices:
        found = state.global_choices.get(choice.name)
        if found is None:
            plan.add(Operation("choice", choice.name, Result.CREATED, "POST", "GlobalOptionSetDefinitions",
                               bodies.option_set(choice, languages)))
        elif not _option_operations(plan, "option", choice.name, choice.options, found,
                                    {"OptionSetName": choice.name}, languages, solution):
            plan.keep("choice", choice.name)
    for table in definition.tables:
        found_table = state.tables.get(table.logical_name)
        if found_table is None and not table.is_new:
            raise DeployError(f"table {table.logical_name}: not in this organisation (its SMS columns need it)")
        if found_table is None:
            plan.add(Operation("table", table.logical_name, Result.CREATED, "POST", "EntityDefinitions",
                               bodies.table(table, languages)))
        else:
            plan.keep("table", table.logical_name)
        entity = f"EntityDefinitions(LogicalName={literal(table.logical_name)})"
        for column in table.columns:
            name = f"{table.logical_name}.{column.logical_name}"
            if isinstance(column, LookupColumn):
                continue
            if found_table is None or column.logical_name not in found_table.columns:
                plan.add(Operation("column", name, Result.CREATED, "POST", f"{entity}/Attributes",
                                   bodies.attribute(column, languages)))
            elif (isinstance(column, ChoiceColumn) and not column.choice.is_global
                  and column.logical_name in found_table.options):
                owner = {"EntityLogicalName": table.logical_name, "AttributeLogicalName": column.logical_name}
                if not _option_operations(plan, "option", name, column.choice.options,
                                          found_table.options[column.logical_name], owner, languages, solution):
                    plan.keep("column", name)
            else:
                plan.keep("column", name)
            found_type = found_table.types.get(column.logical_name) if found_table else None
            if found_type and found_type != column.type_name:
                plan.notes.append(f"column {name} is {found_type} in the organisation, {column.type_name} in the "
                                  "definition: left as it is (Dataverse cannot change a column's type)")
    for table in definition.tables:              # every table exists by now: lookups may point to new ones
        found_table = state.tables.get(table.logical_name)
        for lookup in table.lookups:
            for target in lookup.targets:
                relationship = lookup.relationship_name(table.logical_name, target)
                if found_table is not None and (relationship in found_table.relationships
                                                or lookup.logical_name in found_table.columns):
                    plan.keep("relationship", relationship)
                    continue
                plan.add(Operation("relationship", relationship, Result.CREATED, "POST", "RelationshipDefinitions",
                                   bodies.relationship(table, lookup, target, _primary_id(definition, target),
                                                       languages)))
        for key in table.keys:
            if found_table is not None and key.logical_name in found_table.keys:
                plan.keep("key", f"{table.logical_name}.{key.logical_name}")
                continue
            plan.add(Operation("key", f"{table.logical_name}.{key.logical_name}", Result.CREATED, "POST",
                               f"EntityDefinitions(LogicalName={literal(table.logical_name)})/Keys",
                               bodies.key(key, languages)))


def _web_resource_operations(plan: Plan, definition: SolutionDefinition, state: OrgState,
                             read_file: Callable[[WebResource], bytes]) -> None:
    for resource in definition.web_resources:
        content = read_file(resource)
        found = state.web_resources.get(resource.name)
        encoded = base64.b64encode(content).decode("ascii")
        if found is None:
            plan.add(Operation("web resource", resource.name, Result.CREATED, "POST", "webresourceset",
                               {"name": resource.name, "displayname": resource.display,
                                "webresourcetype": resource.type_code, "content": encoded},
                               produces=f"webresource:{resource.name}"))
            continue
        plan.ids[f"webresource:{resource.name}"] = found.id
        if found.content != content or found.display != resource.display:
            plan.add(Operation("web resource", resource.name, Result.UPDATED, "PATCH", f"webresourceset({found.id})",
                               {"displayname": resource.display, "content": encoded}))
        else:
            plan.keep("web resource", resource.name)


def _environment_variable_operations(plan: Plan, definition: SolutionDefinition, state: OrgState,
                                     pages: PageSettings) -> None:
    """The definitions (no default value), then the values the installer knows: the base URL and SMSC_FORM_KEY.
    A value row is created inside the solution, patched when it differs, never deleted."""
    wanted = {API_BASE_URL: pages.base_url, API_FUNCTION_KEY: pages.function_key, API_KEY: pages.form_key}
    for variable in definition.environment_variables:
        name = variable.schema_name
        found = state.environment_variables.get(name)
        key = f"environmentvariable:{name}"
        if found is None:
            plan.add(Operation("environment variable", name, Result.CREATED, "POST", "environmentvariabledefinitions",
                               {"schemaname": name, "displayname": variable.display.en,
                                "description": variable.description.en, "type": int(variable.type),
                                "isrequired": False}, produces=key))
        else:
            plan.ids[key] = found.id
            if found.display != variable.display.en:
                plan.add(Operation("environment variable", name, Result.UPDATED, "PATCH",
                                   f"environmentvariabledefinitions({found.id})",
                                   {"displayname": variable.display.en, "description": variable.description.en}))
            else:
                plan.keep("environment variable", name)
        value = wanted.get(name)
        current = found.value if found else None
        if name == API_KEY and pages.webhook_key and current == pages.webhook_key:
            plan.notes.append(f"{name} {'held' if value else 'holds'} SMSC_WEBHOOK_KEY, which every CRM user can "
                              "read: " + ("it is replaced by SMSC_FORM_KEY; " if value else
                                         "set SMSC_FORM_KEY and run again to replace it, then ")
                              + "change SMSC_WEBHOOK_KEY (app setting, then deploy --update-key)")
        if value is None:
            if not (found and found.value_id):
                plan.notes.append(_MISSING_VALUE[name])
            continue
        body_value: Any = value if name == API_BASE_URL else Secret(value)      # the keys are never shown
        definition_ref = Ref(key, "environmentvariabledefinitions")
        if found is None or found.value_id is None:
            plan.add(Operation("environment variable value", name, Result.CREATED, "POST", "environmentvariablevalues",
                               {"schemaname": name, "value": body_value,
                                "EnvironmentVariableDefinitionId@odata.bind": definition_ref}))
        elif current != value:
            plan.add(Operation("environment variable value", name, Result.UPDATED, "PATCH",
                               f"environmentvariablevalues({found.value_id})", {"value": body_value}))
        else:
            plan.keep("environment variable value", name)


_MISSING_VALUE = {
    API_BASE_URL: f"{API_BASE_URL} has no value (no --api-url nor webhook URL): the SMS pages cannot reach the "
                  "connector until it is set to the function app's https://<app>.azurewebsites.net",
    API_FUNCTION_KEY: f"{API_FUNCTION_KEY} has no value (--api-functions-key): set it to a function key of the "
                      "function app, else the pages get 401 from the host (unless their routes are anonymous)",
    API_KEY: f"SMSC_FORM_KEY is not set: {API_KEY} is left empty, so the SMS pages send no key and the preview, "
             "workflow and credit routes refuse them (401); set SMSC_FORM_KEY (never SMSC_WEBHOOK_KEY) and run again",
}


def workflow_step(registration: StepRegistration, prefix: str) -> Step:
    """The step an active workflow needs (table, message, filtering and pre image columns)."""
    return Step(f"{prefix}: workflows {registration.table} {registration.message}", registration.table,
                registration.message, tuple(registration.filtering_columns), tuple(registration.pre_image_columns))


def endpoint_steps(definition: SolutionDefinition, workflow_steps: Sequence[StepRegistration] = ()) -> list[Step]:
    """The definition's steps, then one per (table, message) the active workflows need."""
    steps = list(definition.endpoint.steps)
    if definition.endpoint.include_workflow_steps:
        steps += [workflow_step(registration, definition.endpoint.name) for registration in workflow_steps]
    return steps


def _step_body(step: Step) -> dict[str, Any]:
    message, table = f"message:{step.message}", f"filter:{step.message}:{step.table}"
    body: dict[str, Any] = {
        "name": step.name, "description": f"{step.message} of {step.table}: posted to the SMS connector",
        "stage": int(step.stage), "mode": int(step.mode), "rank": 1, "supporteddeployment": 0,
        "asyncautodelete": step.mode == Mode.ASYNCHRONOUS,
        "eventhandler_serviceendpoint@odata.bind": Ref("endpoint", "serviceendpoints"),
        "sdkmessageid@odata.bind": Ref(message, "sdkmessages"),
        "sdkmessagefilterid@odata.bind": Ref(table, "sdkmessagefilters"),
    }
    if step.message == "Update" and step.filtering_columns:
        body["filteringattributes"] = ",".join(step.filtering_columns)
    return body


def _step_lookups(step: Step) -> tuple[Lookup, ...]:
    message, table = f"message:{step.message}", f"filter:{step.message}:{step.table}"
    return (Lookup(message, "sdkmessages", f"name eq {literal(step.message)}", "sdkmessageid"),
            Lookup(table, "sdkmessagefilters", f"_sdkmessageid_value eq {{0}} and primaryobjecttypecode eq "
                                               f"{literal(step.table)}", "sdkmessagefilterid", after=(message,)))


def _webhook_operations(plan: Plan, definition: SolutionDefinition, state: OrgState, webhook: Webhook | None,
                        steps: Sequence[Step], update_key: bool) -> None:
    endpoint = definition.endpoint
    if webhook is None:
        plan.notes.append("no webhook URL (--webhook-url or SMSC_WEBHOOK_URL): the service endpoint and its "
                          f"{len(steps)} steps were skipped; SMS are not sent until they are registered")
        return
    if "code=" not in urlsplit(webhook.url).query:
        plan.notes.append(f"the webhook URL {webhook.shown_url} has no ?code=<function key>: the function app "
                          "refuses calls without it (401) unless its events route is anonymous")
    secret = Secret(auth_value(endpoint.auth_header, webhook.key))
    wanted = {"url": webhook.url, "contract": WEBHOOK_CONTRACT, "authtype": HTTP_HEADER_AUTH,
              "messageformat": JSON_FORMAT}
    found = state.endpoint
    if found is None:
        plan.add(Operation("service endpoint", endpoint.name, Result.CREATED, "POST", "serviceendpoints",
                           {"name": endpoint.name, **wanted, "authvalue": secret, "connectionmode": 1,
                            "description": f"SMS connector webhook: {webhook.shown_url}"}, produces="endpoint"))
    else:
        plan.ids["endpoint"] = found.id
        current = {"url": found.url, "contract": found.contract, "authtype": found.auth_type,
                   "messageformat": found.message_format}
        if current != wanted or update_key:
            # AuthValue cannot be read back: it is sent again whenever the endpoint is written.
            plan.add(Operation("service endpoint", endpoint.name, Result.UPDATED, "PATCH",
                               f"serviceendpoints({found.id})", {**wanted, "authvalue": secret}))
        else:
            plan.keep("service endpoint", endpoint.name)
    for step in steps:
        step_key = f"step:{step.name}"
        found_step = state.steps.get(step.name)
        if found_step is None:
            plan.add(Operation("step", step.name, Result.CREATED, "POST", "sdkmessageprocessingsteps",
                               _step_body(step), produces=step_key, lookups=_step_lookups(step)))
        else:
            plan.ids[step_key] = found_step.id
            filtering = frozenset(step.filtering_columns) if step.message == "Update" else frozenset()
            if (found_step.filtering, found_step.stage, found_step.mode) != (filtering, int(step.stage),
                                                                               int(step.mode)):
                plan.add(Operation("step", step.name, Result.UPDATED, "PATCH",
                                   f"sdkmessageprocessingsteps({found_step.id})",
                                   {"filteringattributes": ",".join(sorted(filtering)) or None,
                                    "stage": int(step.stage), "mode": int(step.mode)}))
            else:
                plan.keep("step", step.name)
        if not step.pre_image_columns or step.message == "Create":
            continue                               # a Create has no pre image
        columns = ",".join(step.pre_image_columns)
        image = found_step.images.get(PRE_IMAGE) if found_step else None
        if image is None:
            plan.add(Operation("step image", f"{step.name} {PRE_IMAGE}", Result.CREATED, "POST",
                               "sdkmessageprocessingstepimages",
                               {"name": PRE_IMAGE, "entityalias": PRE_IMAGE, "imagetype": 0,
                                "messagepropertyname": "Target", "attributes": columns,
                                "sdkmessageprocessingstepid@odata.bind": Ref(step_key, "sdkmessageprocessingsteps")}))
        elif image[1] != frozenset(step.pre_image_columns):
            plan.add(Operation("step image", f"{step.name} {PRE_IMAGE}", Result.UPDATED, "PATCH",
                               f"sdkmessageprocessingstepimages({image[0]})", {"attributes": columns}))
        else:
            plan.keep("step image", f"{step.name} {PRE_IMAGE}")


def _visual_operations(plan: Plan, definition: SolutionDefinition, state: OrgState) -> None:
    """The views the charts show, the charts, the dashboards: created with their ids, or patched where their
    XML differs (the ids are the zip's: an imported zip's rows are found). A created row is named in the
    base language; `SetLocLabels` then gives it both names, and gives a found row whose names differ its
    names again (read per language by `RetrieveLocLabels`: the column reads in the caller's language)."""
    for visual in visuals(definition):
        plan.ids[visual.key] = visual.row_id
        found = state.visuals.get(visual.key)
        wanted = wanted_labels(visual.label, state.base_language, state.languages)
        if found is None:
            body = visual.created_body(state.base_language)
            plan.add(Operation(visual.kind, visual.name, Result.CREATED, "POST", visual.entity_set, body))
            named = {state.base_language: body[NAME]}
        else:
            named = state.visual_labels.get(visual.key, {})
            if changed := differing(visual, found):
                plan.add(Operation(visual.kind, visual.name, Result.UPDATED, "PATCH",
                                   f"{visual.entity_set}({visual.row_id})", changed))
            else:
                plan.keep(visual.kind, visual.name)
        if any(named.get(code) != text for code, text in wanted.items()):
            plan.add(Operation("labels", f"{visual.kind} {visual.name}", Result.UPDATED, "POST", SET_LABELS, {
                "EntityMoniker": visual.moniker, "AttributeName": NAME,
                "Labels": [{"Label": text, "LanguageCode": code} for code, text in wanted.items()]}))
        else:
            plan.keep("labels", f"{visual.kind} {visual.name}")


SITE_MAP_TYPE, TABLE_TYPE, FORM_TYPE = 62, 1, 60      # appmodulecomponent.componenttype


def site_map_xml(app: ModelDrivenApp) -> str:
    """The `sitemapxml` sent: the same <SiteMap> as the package's (both languages' titles)."""
    return ET.tostring(site_map_element(app), encoding="unicode")


def _app_operations(plan: Plan, definition: SolutionDefinition, state: OrgState) -> None:
    """The site map, the app, the components the app lacks (AddAppComponents: the site map, its dashboards
    by form id and every table it lists, by MetadataId); roles are not assigned here (see the note)."""
    for app in definition.apps:
        name = app.unique_name
        map_key, app_key = f"sitemap:{name}", f"appmodule:{name}"
        xml = site_map_xml(app)
        found_map = state.site_maps.get(name)
        if found_map is None:
            plan.add(Operation("site map", name, Result.CREATED, "POST", "sitemaps",
                               {"sitemapname": text_in(app.display, state.base_language),
                                "sitemapnameunique": name, "sitemapxml": xml,
                                "isappaware": True}, produces=map_key))
        else:
            plan.ids[map_key] = found_map.id
            if found_map.xml != xml:
                plan.add(Operation("site map", name, Result.UPDATED, "PATCH", f"sitemaps({found_map.id})",
                                   {"sitemapxml": xml}))
            else:
                plan.keep("site map", name)
        found_app = state.apps.get(name)
        if found_app is None:
            plan.add(Operation("app", name, Result.CREATED, "POST", "appmodules",
                               {"uniquename": name, "name": text_in(app.display, state.base_language),
                                "description": text_in(app.description, state.base_language),
                                "webresourceid": app.icon_web_resource_id, "clienttype": 4, "formfactor": 1,
                                "navigationtype": 0}, produces=app_key))
        else:
            plan.ids[app_key] = found_app.id
            plan.keep("app", name)
        present = found_app.components if found_app else frozenset()
        missing_map = found_map is None or (SITE_MAP_TYPE, found_map.id.lower()) not in present
        missing_tables = [t for t in app.tables
                          if state.metadata_ids.get(t) is None or (TABLE_TYPE, state.metadata_ids[t]) not in present]
        missing_dashboards = [d for d in app.dashboards if (FORM_TYPE, d.dashboard_id.lower()) not in present]
        if not (missing_map or missing_tables or missing_dashboards):
            plan.keep("app components", name)
            continue
        components: list[dict[str, Any]] = []
        if missing_map:
            components.append({"sitemapid": IdOf(map_key), "@odata.type": "Microsoft.Dynamics.CRM.sitemap"})
        components += [{"formid": d.dashboard_id, "@odata.type": "Microsoft.Dynamics.CRM.systemform"}
                       for d in missing_dashboards]
        lookups = []
        for table in missing_tables:
            key = f"entity:{table}"
            if table in state.metadata_ids:
                plan.ids[key] = state.metadata_ids[table]
            else:                                    # a table this run creates: its id is read once it exists
                lookups.append(Lookup(key, "EntityDefinitions", f"LogicalName eq {literal(table)}", "MetadataId"))
            components.append({"entityid": IdOf(key), "@odata.type": "Microsoft.Dynamics.CRM.entity"})
        plan.add(Operation("app components", name, Result.CREATED, "POST", "AddAppComponents",
                           {"AppId": IdOf(app_key), "Components": components}, in_solution=False,
                           lookups=tuple(lookups)))
        if found_app is None:
            roles = ", ".join(app.roles)
            plan.notes.append(f"app {name}: open to System Administrators and Customizers; give it to the roles "
                              f"{roles} in the app designer (the solution package carries that role map)")


def _seed_operations(plan: Plan, definition: SolutionDefinition, state: OrgState, seeds: Sequence[SeedRow]) -> None:
    for row in seeds:
        name = f"{row.table} {row.values.get('smsc_name', '')}".strip()
        found = state.seeds.get(row.table)
        missing = (found is None or (not row.match and not found.has_rows)
                   or (row.match and tuple(row.values[c] for c in row.match) not in found.matched))
        if missing:
            plan.add(Operation("row", name, Result.CREATED, "POST", definition.table(row.table).entity_set,
                               dict(row.values), in_solution=False))
        else:
            plan.keep("row", name)


def read_web_resource_file(resource: WebResource) -> bytes:
    return (WEB_RESOURCES_DIR / resource.path).read_bytes()


def plan(definition: SolutionDefinition, state: OrgState, *, seeds: Sequence[SeedRow] = (),
         webhook: Webhook | None = None, steps: Sequence[Step] = (), update_key: bool = False,
         read_file: Callable[[WebResource], bytes] = read_web_resource_file,
         pages: PageSettings = PageSettings()) -> Plan:
    """The operations still needed to turn `state` into `definition` (pure: no request)."""
    result = Plan()
    publisher = definition.publisher
    if state.publisher_id is None:
        result.add(Operation("publisher", publisher.unique_name, Result.CREATED, "POST", "publishers", {
            "uniquename": publisher.unique_name, "friendlyname": publisher.display.en,
            "customizationprefix": publisher.prefix,
            "customizationoptionvalueprefix": publisher.option_value_prefix}, in_solution=False, produces="publisher"))
    else:
        result.ids["publisher"] = state.publisher_id
        result.keep("publisher", publisher.unique_name)
    if state.solution_id is None:
        result.add(Operation("solution", definition.unique_name, Result.CREATED, "POST", "solutions", {
            "uniquename": definition.unique_name, "friendlyname": definition.display.en,
            "description": definition.description.en, "version": definition.version,
            "publisherid@odata.bind": Ref("publisher", "publishers")}, in_solution=False, produces="solution"))
    elif state.solution_version not in (None, definition.version):
        result.add(Operation("solution", definition.unique_name, Result.UPDATED, "PATCH",
                             f"solutions({state.solution_id})", {"version": definition.version}, in_solution=False))
    else:
        result.keep("solution", definition.unique_name)
    _schema_operations(result, definition, state)
    _web_resource_operations(result, definition, state, read_file)
    _webhook_operations(result, definition, state, webhook, steps, update_key)
    _environment_variable_operations(result, definition, state, pages)
    _visual_operations(result, definition, state)
    _app_operations(result, definition, state)
    scope = PublishScope(tuple(t.logical_name for t in definition.tables), tuple(c.name for c in definition.choices),
                         tuple(f"webresource:{r.name}" for r in definition.web_resources),
                         tuple(f"sitemap:{a.unique_name}" for a in definition.apps),
                         tuple(f"appmodule:{a.unique_name}" for a in definition.apps),
                         tuple(d.dashboard_id for d in definition.dashboards))
    result.add(Operation("customizations", definition.unique_name, Result.PUBLISHED, "POST", "PublishXml",
                         {"ParameterXml": scope}, in_solution=False))
    _seed_operations(result, definition, state, seeds)
    return result


# --- execution and report ------------------------------------------------------------------------------------

@dataclass
class Report:
    plan: Plan
    done: list[Operation] = field(default_factory=list)
    dry_run: bool = False
    failed: str | None = None


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def _resolve_lookups(api: MetadataApi, operation: Operation, ids: dict[str, str]) -> None:
    for lookup in operation.lookups:
        if lookup.key in ids:
            continue
        condition = lookup.filter.format(*(_id(ids, key) for key in lookup.after))
        answer = api.read(lookup.entity_set, {"$select": lookup.id_column, "$filter": condition, "$top": 1}) or {}
        rows = answer.get("value") or []
        if not rows:
            raise DeployError(f"{lookup.entity_set} has no row where {condition}")
        ids[lookup.key] = rows[0][lookup.id_column]


def execute(result: Plan, api: MetadataApi, solution: str) -> Report:
    """Sends the plan's operations in order; the first failure raises DeployError(report) naming the component."""
    report = Report(result)
    ids = dict(result.ids)
    for operation in result.operations:
        try:
            _resolve_lookups(api, operation, ids)
            body = resolved(operation.body, ids)
            in_solution = solution if operation.in_solution else None
            if operation.method == "POST":
                new_id = api.create(operation.path, body, solution=in_solution)
                if operation.produces and new_id:
                    ids[operation.produces] = new_id
            else:
                api.update(operation.path, body, solution=in_solution)
        except SmscError as error:
            report.failed = f"{operation.component}: {_one_line(error)}"
            raise DeployError(report.failed, report) from None
        report.done.append(operation)
    return report


def workflow_drafts(definition: SolutionDefinition, root: Path = PROJECT_ROOT) -> tuple[SeedRow, ...]:
    """The shipped hook workflows (`definition.workflow_drafts`) as smsc_workflow rows, inactive."""
    from workflows.definition import load_definition

    rows = []
    for path in sorted(root.glob(definition.workflow_drafts)):
        text = path.read_text(encoding="utf-8")
        workflow = load_definition(text)
        rows.append(SeedRow("smsc_workflow", {"smsc_name": workflow.name, "smsc_entity": workflow.entity,
                                              "smsc_definition": text, "smsc_active": False}, match=("smsc_name",)))
    return tuple(rows)


def deploy(definition: SolutionDefinition, api: MetadataApi, *, webhook: Webhook | None = None,
           dry_run: bool = False, update_key: bool = False,
           active_workflow_steps: Callable[[], Sequence[StepRegistration]] = list,
           pages: PageSettings | None = None) -> Report:
    """Reads the organisation, plans, and (unless `dry_run`) executes. `active_workflow_steps` reads the
    steps the active workflows need; asked only when the workflow table exists. `pages`: the environment
    variables' values (default: the base URL from the webhook URL's origin, no key)."""
    if pages is None:
        pages = PageSettings(api_base_url(webhook.url) if webhook else None,
                             webhook_key=webhook.key if webhook else None)
    seeds = tuple(definition.seed) + workflow_drafts(definition)
    state = read_state(api, definition, seeds=seeds, with_endpoint=webhook is not None)
    registrations: Sequence[StepRegistration] = []
    if state.tables.get("smsc_workflow") is not None:
        with reading("the active workflows' steps"):
            registrations = active_workflow_steps()
    steps = endpoint_steps(definition, registrations)
    if webhook is not None:
        read_steps(api, state, ((step.name, bool(step.pre_image_columns) and step.message != "Create")
                                for step in steps))
    result = plan(definition, state, seeds=seeds, webhook=webhook, steps=steps, update_key=update_key, pages=pages)
    if dry_run:
        return Report(result, dry_run=True)
    return execute(result, api, definition.unique_name)


def deploy_with_crm(definition: SolutionDefinition, crm: Any, **options: Any) -> Report:
    """`deploy` on the app's Dataverse client: the metadata adapter and the active workflows' steps."""
    from connector.bootstrap import workflow_repositories
    from connector.crm.metadata_writer import metadata_writer
    from workflows.engine import required_steps

    return deploy(definition, metadata_writer(crm),
                  active_workflow_steps=lambda: required_steps(workflow_repositories(crm)), **options)


KINDS = ("publisher", "solution", "choice", "option", "table", "column", "relationship", "key", "web resource",
         "service endpoint", "step", "step image", "environment variable", "environment variable value",
         "view", "chart", "dashboard", "labels", "site map", "app", "app components", "customizations", "row")


def summary_rows(report: Report) -> list[tuple[str, int, int, int]]:
    """(kind, created, updated, left alone) per component kind, what a dry run would do counted as done."""
    done = report.plan.operations if report.dry_run else report.done
    rows = []
    for kind in KINDS:
        created = sum(1 for o in done if o.kind == kind and o.result in (Result.CREATED, Result.PUBLISHED))
        updated = sum(1 for o in done if o.kind == kind and o.result is Result.UPDATED)
        alone = sum(1 for k, _ in report.plan.unchanged if k == kind)
        if created or updated or alone:
            rows.append((kind, created, updated, alone))
    return rows


def render(report: Report, console: Any) -> None:
    """The rich table of what was created, updated and left alone, the details, and the notes."""
    from rich.table import Table as RichTable

    dry = report.dry_run
    title = ("Deploy plan (dry run: nothing written)" if dry
             else "Stopped at a refusal: done before it" if report.failed else "Deployed")
    table = RichTable(title=title)
    table.add_column("component")
    for heading in (("to create", "to update") if dry else ("created", "updated")) + ("left alone",):
        table.add_column(heading, justify="right")
    for kind, created, updated, alone in summary_rows(report):
        table.add_row(kind, str(created), str(updated), str(alone))
    console.print(table)
    for operation in (report.plan.operations if dry else report.done):
        verb = {Result.CREATED: "create", Result.UPDATED: "update", Result.PUBLISHED: "publish"}[operation.result]
        console.print(f"  {'would ' + verb if dry else operation.result.value}: {operation.component}",
                      highlight=False, markup=False)
    if report.failed:
        left = len(report.plan.operations) - len(report.done) - 1
        console.print(f"failed: {report.failed} ({left} later operations not attempted)", highlight=False,
                      markup=False)
    for note in report.plan.notes:
        console.print(f"note: {note}", highlight=False, markup=False)
