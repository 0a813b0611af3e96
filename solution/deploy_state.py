"""What the organisation already has, read before anything is written (`read_state`): only GETs.

Each component is read by its name: `EntityDefinitions(LogicalName='t')` with its attributes, then its
`Keys`, `ManyToOneRelationships` and local choices' options, `GlobalOptionSetDefinitions(Name='n')`, the
publisher and solution by unique name, web resources, environment variables (with their value row), the
views, charts and dashboard by their ids (solution.deploy_visuals) with their names per language
(`RetrieveLocLabels`), the organisation's base language (`organizations`), the model-driven app and its site map
by unique name (with the app's components), the service endpoint and the steps by name, and the seed
tables' rows by their match columns. A missing component reads as None.
"""
from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from connector.errors import SmscError
from solution.deploy_visuals import RETRIEVE_LABELS, visuals
from solution.model import ENGLISH, FRENCH, SeedRow, SolutionDefinition

Options = dict[int, dict[int, str]]          # option value -> language code -> label
PICKLISTS = "Microsoft.Dynamics.CRM.PicklistAttributeMetadata"


class DeployError(SmscError):
    """Dataverse refused a read or a write of a component (or the organisation lacks one the definition
    builds on); the message names the component. `report` (solution.deploy.Report) says what was done."""
    error_code, answer_status = "deploy_failed", 502

    def __init__(self, message: str, report: Any = None):
        super().__init__(message)
        self.report = report


@contextmanager
def reading(component: str) -> Iterator[None]:
    """A refusal while reading `component` as one line naming it."""
    try:
        yield
    except DeployError:
        raise
    except SmscError as error:
        raise DeployError(f"reading {component}: {' '.join(str(error).split())}") from None


class MetadataApi(Protocol):
    """The Web API requests the installer needs (connector.crm.metadata_writer.DataverseMetadataWriter)."""

    def read(self, path: str, options: Mapping[str, Any] | None = None) -> dict[str, Any] | None: ...

    def create(self, path: str, body: Mapping[str, Any], *, solution: str | None = None) -> str | None: ...

    def update(self, path: str, body: Mapping[str, Any], *, solution: str | None = None) -> None: ...


@dataclass(frozen=True)
class TableState:
    columns: frozenset[str]
    keys: frozenset[str]
    relationships: frozenset[str]
    options: Mapping[str, Options]             # local choice column -> its options
    types: Mapping[str, str] = field(default_factory=dict)     # column -> AttributeType, when read


@dataclass(frozen=True)
class WebResourceState:
    id: str
    content: bytes
    display: str


@dataclass(frozen=True)
class EndpointState:
    id: str
    url: str
    contract: int | None
    auth_type: int | None
    message_format: int | None


@dataclass(frozen=True)
class StepState:
    id: str
    filtering: frozenset[str]
    stage: int | None
    mode: int | None
    images: Mapping[str, tuple[str, frozenset[str]]]      # alias -> (id, columns)


@dataclass(frozen=True)
class SeedTableState:
    has_rows: bool
    matched: frozenset[tuple[Any, ...]]                   # match-column values of the rows found


@dataclass(frozen=True)
class EnvironmentVariableState:
    id: str
    display: str
    value_id: str | None                                  # its environmentvariablevalue row, when there is one
    value: str | None = field(default=None, repr=False)    # smsc_ApiKey's value is a key: kept out of reprs


@dataclass(frozen=True)
class SiteMapState:
    id: str
    xml: str


@dataclass(frozen=True)
class AppState:
    id: str
    name: str
    components: frozenset[tuple[int, str]]                # (componenttype, objectid) of its components


@dataclass
class OrgState:
    languages: frozenset[int] = frozenset({ENGLISH, FRENCH})
    base_language: int = ENGLISH                        # organization.languagecode
    publisher_id: str | None = None
    solution_id: str | None = None
    solution_version: str | None = None
    global_choices: dict[str, Options | None] = field(default_factory=dict)
    tables: dict[str, TableState | None] = field(default_factory=dict)
    web_resources: dict[str, WebResourceState | None] = field(default_factory=dict)
    endpoint: EndpointState | None = None
    steps: dict[str, StepState | None] = field(default_factory=dict)
    seeds: dict[str, SeedTableState | None] = field(default_factory=dict)   # None: the table is not there
    environment_variables: dict[str, EnvironmentVariableState | None] = field(default_factory=dict)
    site_maps: dict[str, SiteMapState | None] = field(default_factory=dict)
    apps: dict[str, AppState | None] = field(default_factory=dict)
    metadata_ids: dict[str, str] = field(default_factory=dict)       # table -> MetadataId (read for the apps)
    visuals: dict[str, dict[str, Any] | None] = field(default_factory=dict)   # Visual.key -> its compared columns
    visual_labels: dict[str, dict[int, str]] = field(default_factory=dict)    # Visual.key -> its names by language


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_languages(api: MetadataApi) -> frozenset[int]:
    """French and English as far as the organisation has them (labels in other languages are refused);
    both when the function is not answered (the emulator), English alone when neither is provisioned."""
    try:
        answer = api.read("RetrieveProvisionedLanguages()")
    except SmscError:                   # an emulator or proxy that does not know the function: write both
        answer = None
    if not answer or not isinstance(answer.get("RetrieveProvisionedLanguages"), list):
        return frozenset({ENGLISH, FRENCH})
    provisioned = frozenset(answer["RetrieveProvisionedLanguages"]) & {ENGLISH, FRENCH}
    return provisioned or frozenset({ENGLISH})


def read_base_language(api: MetadataApi) -> int:
    """The organisation's base language (`organization.languagecode`): the language the localizable column
    of a row (a view's or a chart's name) is written in; English when not answered."""
    answer = api.read("organizations", {"$select": "languagecode"}) or {}
    rows = answer.get("value") or []
    code = rows[0].get("languagecode") if rows else None
    return int(code) if isinstance(code, int) else ENGLISH


def read_labels(api: MetadataApi, path: str, query: Mapping[str, str]) -> dict[int, str]:
    """RetrieveLocLabels' answer as {language code: label}."""
    answer = api.read(path, query) or {}
    labels = (answer.get("Label") or {}).get("LocalizedLabels") or ()
    return {int(item["LanguageCode"]): str(item.get("Label") or "") for item in labels}


def options_of(option_set: Mapping[str, Any] | None) -> Options:
    found: Options = {}
    for option in (option_set or {}).get("Options") or ():
        labels = ((option.get("Label") or {}).get("LocalizedLabels")) or ()
        found[int(option["Value"])] = {int(item["LanguageCode"]): str(item.get("Label") or "") for item in labels}
    return found


def read_table(api: MetadataApi, logical_name: str) -> TableState | None:
    """The table's columns (the expand the connector's own metadata reads use), then its keys, lookups'
    relationships and local choices, each from its own collection (a collection not answered reads empty)."""
    definition = f"EntityDefinitions(LogicalName={literal(logical_name)})"
    entity = api.read(definition, {"$select": "LogicalName",
                                   "$expand": "Attributes($select=LogicalName,AttributeType)"})
    if entity is None:
        return None
    keys = api.read(f"{definition}/Keys", {"$select": "LogicalName,KeyAttributes"}) or {}
    relationships = api.read(f"{definition}/ManyToOneRelationships", {"$select": "SchemaName"}) or {}
    picklists = api.read(f"{definition}/Attributes/{PICKLISTS}",
                         {"$select": "LogicalName", "$expand": "OptionSet($select=Options,IsGlobal)"}) or {}
    options = {row["LogicalName"]: options_of(row.get("OptionSet")) for row in picklists.get("value", ())
               if not (row.get("OptionSet") or {}).get("IsGlobal")}
    attributes = entity.get("Attributes") or ()
    return TableState(frozenset(a["LogicalName"] for a in attributes),
                      frozenset(k["LogicalName"] for k in keys.get("value") or ()),
                      frozenset(r["SchemaName"] for r in relationships.get("value") or ()), options,
                      {a["LogicalName"]: a["AttributeType"] for a in attributes if a.get("AttributeType")})


def _first(api: MetadataApi, entity_set: str, filter: str, select: Sequence[str]) -> dict[str, Any] | None:
    answer = api.read(entity_set, {"$select": ",".join(select), "$filter": filter, "$top": 1}) or {}
    rows = answer.get("value") or []
    return rows[0] if rows else None


def read_web_resource(api: MetadataApi, name: str) -> WebResourceState | None:
    row = _first(api, "webresourceset", f"name eq {literal(name)}", ("webresourceid", "name", "displayname", "content"))
    if row is None:
        return None
    return WebResourceState(row["webresourceid"], base64.b64decode(row.get("content") or ""),
                            row.get("displayname") or "")


def read_endpoint(api: MetadataApi, name: str) -> EndpointState | None:
    row = _first(api, "serviceendpoints", f"name eq {literal(name)}",
                 ("serviceendpointid", "name", "url", "contract", "authtype", "messageformat"))
    if row is None:
        return None
    return EndpointState(row["serviceendpointid"], row.get("url") or "", row.get("contract"), row.get("authtype"),
                         row.get("messageformat"))


def read_site_map(api: MetadataApi, unique_name: str) -> SiteMapState | None:
    row = _first(api, "sitemaps", f"sitemapnameunique eq {literal(unique_name)}", ("sitemapid", "sitemapxml"))
    return SiteMapState(row["sitemapid"], row.get("sitemapxml") or "") if row else None


def read_app(api: MetadataApi, unique_name: str) -> AppState | None:
    """The app by its unique name, with its components (`appmodulecomponents` of its appmoduleidunique)."""
    row = _first(api, "appmodules", f"uniquename eq {literal(unique_name)}",
                 ("appmoduleid", "name", "appmoduleidunique"))
    if row is None:
        return None
    components: frozenset[tuple[int, str]] = frozenset()
    if row.get("appmoduleidunique"):
        answer = api.read("appmodulecomponents", {"$select": "componenttype,objectid",
                                                  "$filter": f"_appmoduleidunique_value eq {row['appmoduleidunique']}"})
        components = frozenset((int(c["componenttype"]), str(c["objectid"]).lower())
                               for c in (answer or {}).get("value") or ())
    return AppState(row["appmoduleid"], row.get("name") or "", components)


def read_metadata_id(api: MetadataApi, table: str) -> str | None:
    row = _first(api, "EntityDefinitions", f"LogicalName eq {literal(table)}", ("MetadataId",))
    return str(row["MetadataId"]).lower() if row else None


def read_step(api: MetadataApi, name: str, with_images: bool) -> StepState | None:
    row = _first(api, "sdkmessageprocessingsteps", f"name eq {literal(name)}",
                 ("sdkmessageprocessingstepid", "name", "filteringattributes", "stage", "mode"))
    if row is None:
        return None
    step_id = row["sdkmessageprocessingstepid"]
    images: dict[str, tuple[str, frozenset[str]]] = {}
    if with_images:
        answer = api.read("sdkmessageprocessingstepimages", {
            "$select": "sdkmessageprocessingstepimageid,entityalias,attributes",
            "$filter": f"_sdkmessageprocessingstepid_value eq {step_id}"}) or {}
        images = {image["entityalias"]: (image["sdkmessageprocessingstepimageid"], _names(image.get("attributes")))
                  for image in answer.get("value") or ()}
    return StepState(step_id, _names(row.get("filteringattributes")), row.get("stage"), row.get("mode"), images)


def read_environment_variable(api: MetadataApi, schema_name: str) -> EnvironmentVariableState | None:
    """The definition by its schema name, then its value row (the first: Dataverse keeps one per definition)."""
    row = _first(api, "environmentvariabledefinitions", f"schemaname eq {literal(schema_name)}",
                 ("environmentvariabledefinitionid", "schemaname", "displayname"))
    if row is None:
        return None
    definition_id = row["environmentvariabledefinitionid"]
    value = _first(api, "environmentvariablevalues", f"_environmentvariabledefinitionid_value eq {definition_id}",
                   ("environmentvariablevalueid", "value"))
    return EnvironmentVariableState(definition_id, row.get("displayname") or "",
                                    value["environmentvariablevalueid"] if value else None,
                                    value.get("value") if value else None)


def _names(text: str | None) -> frozenset[str]:
    return frozenset(name.strip() for name in (text or "").split(",") if name.strip())


def read_seed_table(api: MetadataApi, entity_set: str, rows: Iterable[SeedRow]) -> SeedTableState:
    """Whether the table has rows, and which of `rows` (matched on their `match` columns) exist: one
    plain `eq` read per row, the simplest filter every Web API (and emulator) answers."""
    any_row = api.read(entity_set, {"$top": 1}) or {}
    matched: set[tuple[Any, ...]] = set()
    for row in rows:
        if not row.match:
            continue
        condition = " and ".join(f"{column} eq {_literal(row.values[column])}" for column in row.match)
        answer = api.read(entity_set, {"$select": ",".join(row.match), "$filter": condition, "$top": 1}) or {}
        if answer.get("value"):
            matched.add(tuple(row.values[column] for column in row.match))
    return SeedTableState(bool(any_row.get("value")), frozenset(matched))


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return literal(str(value))


def read_state(api: MetadataApi, definition: SolutionDefinition, *, seeds: Sequence[SeedRow],
               with_endpoint: bool = False) -> OrgState:
    """Everything the plan compares with, in GETs (the steps apart: `read_steps`, once the endpoint is known)."""
    state = OrgState(languages=read_languages(api))
    with reading("the organisation's base language"):
        state.base_language = read_base_language(api)
    with reading(f"publisher {definition.publisher.unique_name}"):
        publisher = _first(api, "publishers", f"uniquename eq {literal(definition.publisher.unique_name)}",
                           ("publisherid", "uniquename"))
    state.publisher_id = publisher["publisherid"] if publisher else None
    with reading(f"solution {definition.unique_name}"):
        solution = _first(api, "solutions", f"uniquename eq {literal(definition.unique_name)}",
                          ("solutionid", "uniquename", "version"))
    state.solution_id = solution["solutionid"] if solution else None
    state.solution_version = solution.get("version") if solution else None
    for choice in definition.choices:
        with reading(f"choice {choice.name}"):
            found = api.read(f"GlobalOptionSetDefinitions(Name={literal(choice.name)})")
        state.global_choices[choice.name] = None if found is None else options_of(found)
    for table in definition.tables:
        with reading(f"table {table.logical_name}"):
            state.tables[table.logical_name] = read_table(api, table.logical_name)
    for resource in definition.web_resources:
        with reading(f"web resource {resource.name}"):
            state.web_resources[resource.name] = read_web_resource(api, resource.name)
    for variable in definition.environment_variables:
        with reading(f"environment variable {variable.schema_name}"):
            state.environment_variables[variable.schema_name] = read_environment_variable(api, variable.schema_name)
    for visual in visuals(definition):
        with reading(f"{visual.kind} {visual.name}"):
            state.visuals[visual.key] = found = _first(api, visual.entity_set,
                                                       f"{visual.id_column} eq {visual.row_id}",
                                                       (visual.id_column, *visual.compared))
            if found is not None:
                state.visual_labels[visual.key] = read_labels(api, RETRIEVE_LABELS, visual.label_query)
    for app in definition.apps:
        with reading(f"app {app.unique_name}"):
            state.site_maps[app.unique_name] = read_site_map(api, app.unique_name)
            state.apps[app.unique_name] = found_app = read_app(api, app.unique_name)
        if found_app is not None:                  # its components name the tables by their MetadataId
            for app_table in app.tables:
                if app_table not in state.metadata_ids:
                    with reading(f"table {app_table}"):
                        metadata_id = read_metadata_id(api, app_table)
                    if metadata_id:
                        state.metadata_ids[app_table] = metadata_id
    if with_endpoint:
        with reading(f"service endpoint {definition.endpoint.name}"):
            state.endpoint = read_endpoint(api, definition.endpoint.name)
    by_table: dict[str, list[SeedRow]] = {}
    for row in seeds:
        by_table.setdefault(row.table, []).append(row)
    for table_name, rows in by_table.items():
        if state.tables.get(table_name) is None:
            state.seeds[table_name] = None                    # created by this run: every row is missing
        else:
            with reading(f"rows of {table_name}"):
                state.seeds[table_name] = read_seed_table(api, definition.table(table_name).entity_set, rows)
    return state


def read_steps(api: MetadataApi, state: OrgState, steps: Iterable[tuple[str, bool]]) -> None:
    """The steps (name, has a pre image) of the endpoint found; none to read when it is not there yet."""
    if state.endpoint is not None:
        for name, with_images in steps:
            with reading(f"step {name}"):
                state.steps[name] = read_step(api, name, with_images)
