"""`smsc solution package`: a well-formed unmanaged solution zip shaped like a real Dataverse export.

The real export compared with is read from ../shared/reference/samples/solution-export-quiz/ (never
copied into the project). XML is parsed with ElementTree: these are files this test just wrote and a
trusted sample, not input from outside.
"""
import re
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from smsc.cli import main
from solution.definition import DEFINITION, WEB_RESOURCES_DIR
from solution.model import ChoiceColumn
from solution.package import relationships, write_package

_SAMPLE_PATH = Path("shared/reference/samples/solution-export-quiz")
# The repository's sibling ../shared (found from a checkout or a worktree nested deeper).
SAMPLE = next((parent / _SAMPLE_PATH for parent in Path(__file__).resolve().parents
               if (parent / _SAMPLE_PATH).is_dir()), Path("..") / _SAMPLE_PATH)
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> dict[str, bytes]:
    path = tmp_path_factory.mktemp("solution") / "SmsConnector.zip"
    write_package(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def _xml(data: bytes) -> ET.Element:
    return ET.fromstring(data.removeprefix(BOM))


def _sample(name: str) -> ET.Element:
    return _xml((SAMPLE / name).read_bytes())


@pytest.fixture(scope="module")
def customizations(package) -> ET.Element:
    return _xml(package["customizations.xml"])


@pytest.fixture(scope="module")
def manifest(package) -> ET.Element:
    return _xml(package["solution.xml"])


def test_the_reference_export_is_there():
    assert (SAMPLE / "customizations.xml").is_file(), f"the real export to compare with is missing: {SAMPLE}"


def test_the_zip_holds_the_three_documents_and_every_xml_is_well_formed(package):
    assert {"[Content_Types].xml", "solution.xml", "customizations.xml"} <= set(package)
    for name in ("[Content_Types].xml", "solution.xml", "customizations.xml"):
        _xml(package[name])


def test_content_types_is_written_as_dataverse_writes_it(package):
    ours, theirs = package["[Content_Types].xml"], (SAMPLE / "[Content_Types].xml").read_bytes()
    assert ours.startswith(BOM + b'<?xml version="1.0" encoding="utf-8"?><Types') and theirs.startswith(BOM)
    assert _xml(ours).tag == _xml(theirs).tag
    overrides = {o.get("PartName") for o in _xml(ours) if o.tag.endswith("Override")}
    assert overrides == {"/" + name for name in package if name.startswith("WebResources/")}


def test_the_manifest_has_the_structure_of_a_real_export(manifest):
    sample = _sample("solution.xml")
    assert manifest.tag == sample.tag == "ImportExportXml"
    assert set(sample.attrib) <= set(manifest.attrib)
    ours, theirs = manifest.find("SolutionManifest"), sample.find("SolutionManifest")
    assert [c.tag for c in ours] == [c.tag for c in theirs]
    assert [c.tag for c in ours.find("Publisher")] == [c.tag for c in theirs.find("Publisher")]
    assert [c.tag for c in ours.find("Publisher/Addresses/Address")] == \
        [c.tag for c in theirs.find("Publisher/Addresses/Address")]
    assert ours.findtext("UniqueName") == "SmsConnector" and ours.findtext("Managed") == "0"
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", ours.findtext("Version"))
    assert ours.findtext("Publisher/CustomizationPrefix") == "smsc"
    assert ours.findtext("Publisher/CustomizationOptionValuePrefix") == str(DEFINITION.publisher.option_value_prefix)
    assert {n.get("languagecode") for n in ours.findall("LocalizedNames/LocalizedName")} == {"1033", "1036"}


def test_root_components_list_every_table_and_web_resource(manifest):
    components = [(c.get("type"), c.get("schemaName") or c.get("id")) for c in manifest.iter("RootComponent")]
    tables = {name for kind, name in components if kind == "1"}
    assert {t.logical_name for t in DEFINITION.tables} <= tables
    assert {"contact", "lead", "account"} <= tables          # their grids get the SMS button
    assert {name for kind, name in components if kind == "61"} == {w.name for w in DEFINITION.web_resources}
    sample_types = {c.get("type") for c in _sample("solution.xml").iter("RootComponent")}
    assert {"1", "61"} <= sample_types                        # the same component types as the real export
    assert all(set(c.attrib) <= {"type", "schemaName", "id", "behavior"} for c in manifest.iter("RootComponent"))


def test_customizations_sections_follow_the_real_export(customizations):
    sample = [c.tag for c in _sample("customizations.xml")]
    ours = [c.tag for c in customizations]
    assert customizations.tag == "ImportExportXml"
    assert set(ours) <= set(sample)
    assert ours == [tag for tag in sample if tag in ours]      # the same order
    assert {"Entities", "Roles", "EntityRelationships", "optionsets", "WebResources", "Languages"} <= set(ours)


def _entities(customizations) -> dict[str, ET.Element]:
    return {e.findtext("Name").lower(): e for e in customizations.findall("Entities/Entity")}


def test_entities_are_nested_like_the_real_export(customizations):
    sample_entity = _sample("customizations.xml").find("Entities/Entity")
    # The export's other table has charts: <Visualizations> between the views and the ribbon.
    with_charts = [c.tag for c in _sample("customizations.xml").find("Entities/Entity[Visualizations]")]
    sample_info = [c.tag for c in sample_entity.find("EntityInfo/entity")]
    sample_lookup = next(a for a in _sample("customizations.xml").iter("attribute")
                         if a.findtext("Type") == "lookup" and a.findtext("IsCustomField") == "1")
    sample_attribute = [c.tag for c in sample_lookup]
    entities = _entities(customizations)
    for table in DEFINITION.new_tables:
        entity = entities[table.logical_name]
        expected = with_charts if entity.find("Visualizations") is not None else [c.tag for c in sample_entity]
        assert [c.tag for c in entity] == expected, table.logical_name
        info = [c.tag for c in entity.find("EntityInfo/entity")]
        assert [t for t in info if t != "EntityKeys"] == sample_info, table.logical_name
        assert entity.findtext("EntityInfo/entity/EntitySetName") == table.entity_set
        lookup = entity.find("EntityInfo/entity/attributes/attribute[Type='lookup']")
        if lookup is not None:
            assert [c.tag for c in lookup] == sample_attribute


def test_every_table_and_column_is_declared(customizations):
    entities = _entities(customizations)
    for table in DEFINITION.tables:
        entity = entities[table.logical_name]
        declared = {a.findtext("LogicalName"): a for a in entity.iter("attribute")}
        for column in table.all_columns:
            assert column.logical_name in declared, (table.logical_name, column.logical_name)
            assert declared[column.logical_name].get("PhysicalName") == column.schema_name
        if table.is_new:
            assert table.primary_id in declared and "statecode" in declared


def test_only_the_sms_is_an_activity(customizations):
    flags = {name: e.findtext("EntityInfo/entity/IsActivity") for name, e in _entities(customizations).items()
             if e.find("EntityInfo/entity/IsActivity") is not None}
    assert flags.pop("smsc_textmessage") == "1"
    assert set(flags.values()) == {"0"}
    sms = _entities(customizations)["smsc_textmessage"]
    primary = sms.find("EntityInfo/entity/attributes/attribute[@PhysicalName='Subject']")
    assert primary is not None and "PrimaryName" in primary.findtext("DisplayMask")


def test_the_two_alternate_keys(customizations):
    entities = _entities(customizations)
    keys = {(name, tuple(a.text for a in key.iter("AttributeName")))
            for name, entity in entities.items() for key in entity.iter("EntityKey")}
    assert {("smsc_textmessage", ("smsc_idempotencykey",)), ("smsc_optout", ("smsc_phonenumber",))} <= keys


def test_choices_carry_the_design_numbers_in_both_languages(customizations):
    entities = _entities(customizations)
    global_sets = {o.get("Name"): o for o in customizations.findall("optionsets/optionset")}
    assert set(global_sets) == {"smsc_smstype"}
    for table in DEFINITION.tables:
        attributes = {a.findtext("LogicalName"): a for a in entities[table.logical_name].iter("attribute")}
        for column in table.all_columns:
            if not isinstance(column, ChoiceColumn):
                continue
            attribute = attributes[column.logical_name]
            option_set = global_sets[attribute.findtext("OptionSetName")] if column.choice.is_global \
                else attribute.find("optionset")
            options = {int(o.get("value")): {label.get("languagecode") for label in o.iter("label")}
                       for o in option_set.iter("option")}
            assert list(options) == [o.value for o in column.choice.options], column.logical_name
            assert all(languages == {"1033", "1036"} for languages in options.values())


def test_one_relationship_per_lookup_target(customizations):
    declared = {r.get("Name"): r for r in customizations.findall("EntityRelationships/EntityRelationship")}
    expected = relationships(DEFINITION)
    assert len(declared) == len(expected) == sum(len(lk.targets) for t in DEFINITION.tables for lk in t.lookups)
    for name, table, lookup, target in expected:
        element = declared[name]
        assert name.startswith("smsc_")
        assert element.findtext("ReferencingAttributeName") == lookup.schema_name
        assert element.findtext("ReferencingEntityName") == table.schema_name
        assert element.findtext("ReferencedEntityName").lower() == target
    sample = _sample("customizations.xml").find("EntityRelationships/EntityRelationship")
    ours = next(iter(declared.values()))
    assert [c.tag for c in sample] == [c.tag for c in ours][:len(sample)]


def test_every_web_resource_referenced_is_in_the_zip(package, customizations):
    declared = {w.findtext("Name"): w.findtext("FileName") for w in customizations.findall("WebResources/WebResource")}
    sample = _sample("customizations.xml").find("WebResources/WebResource")
    ours = customizations.find("WebResources/WebResource")
    assert [c.tag for c in sample] == [c.tag for c in ours if c.tag != "DisplayName"]
    for file_name in declared.values():
        assert file_name.startswith("/WebResources/") and file_name[1:] in package
    referenced = {e.findtext("Url") for e in customizations.iter("parameters") if e.find("Url") is not None}
    referenced |= {e.get("name") for e in customizations.iter("Library")}
    referenced |= {e.get("libraryName") for e in customizations.iter("Handler")}
    referenced |= {e.get("Library").removeprefix("$webresource:") for e in customizations.iter("JavaScriptFunction")}
    assert {"smsc_/html/campaign_panel.html", "smsc_/html/conversation.html", "smsc_/js/textmessage_form.js",
            "smsc_/js/grid_sms.js"} <= referenced
    assert referenced <= set(declared)
    for resource in DEFINITION.web_resources:
        assert package[declared[resource.name][1:]] == (WEB_RESOURCES_DIR / resource.path).read_bytes()


def test_forms_carry_the_handlers_and_the_ribbons_the_buttons(customizations):
    entities = _entities(customizations)
    sms = entities["smsc_textmessage"]
    handlers = {(h.get("functionName"), h.get("passExecutionContext")) for h in sms.iter("Handler")}
    assert handlers == {("Smsc.TextMessageForm.onLoad", "true"), ("Smsc.TextMessageForm.onTextChange", "true")}
    assert [lib.get("name") for lib in sms.iter("Library")][:2] == ["smsc_/js/encoding.js", "smsc_/js/api.js"]
    send = [f for f in sms.iter("JavaScriptFunction") if f.get("FunctionName") == "Smsc.TextMessageForm.send"]
    assert [p.get("Value") for p in send[0]] == ["PrimaryControl"]
    for function in ("Smsc.TextMessageForm.applyTemplate", "Smsc.TextMessageForm.preview",
                     "Smsc.TextMessageForm.cancelSend"):
        calls = [f for f in sms.iter("JavaScriptFunction") if f.get("FunctionName") == function]
        assert [[p.get("Value") for p in call] for call in calls] == [["PrimaryControl"]], function
    buttons = {b.get("Id"): b.get("Sequence") for b in sms.iter("Button")}
    assert buttons == {"smsc.smsc_textmessage.Send.Button": "10", "smsc.smsc_textmessage.ApplyTemplate.Button": "20",
                       "smsc.smsc_textmessage.Preview.Button": "30", "smsc.smsc_textmessage.CancelSend.Button": "40"}
    titles = {label.get("Id"): [t.get("description") for t in label.iter("Title")] for label in sms.iter("LocLabel")}
    assert titles["smsc.smsc_textmessage.ApplyTemplate.LabelText"][0] in ("Apply template", "Appliquer le modèle")
    assert set(titles["smsc.smsc_textmessage.Preview.LabelText"]) == {"Preview", "Aperçu"}
    for command in sms.iter("CommandDefinition"):      # the shared libraries load before each button's function
        libraries = [f.get("Library") for f in command.iter("JavaScriptFunction")]
        assert libraries == ["$webresource:smsc_/js/encoding.js", "$webresource:smsc_/js/api.js",
                             "$webresource:smsc_/js/textmessage_form.js"], command.get("Id")
    for table in ("contact", "lead", "account"):
        grid = [f for f in entities[table].iter("JavaScriptFunction") if f.get("FunctionName") == "Smsc.BulkSms.open"]
        assert [p.get("Value") for p in grid[0]] == ["SelectedControlSelectedItemIds", "PrimaryEntityTypeName"]
        assert entities[table].find("RibbonDiffXml/CustomActions/CustomAction").get("Location").startswith(
            f"Mscrm.HomepageGrid.{table}.")
    campaign_tabs = [t for t in entities["campaign"].iter("tab")]
    assert [label.get("description") for label in campaign_tabs[0].find("labels")] == ["SMS", "SMS"]
    sample_ribbon = [c.tag for c in _sample("customizations.xml").find("Entities/Entity/RibbonDiffXml")]
    assert [c.tag for c in sms.find("RibbonDiffXml")] == sample_ribbon


def test_the_sms_form_shows_the_conversation_and_the_provider_history(customizations):
    sms = _entities(customizations)["smsc_textmessage"]
    tabs = [t.get("name") for t in sms.iter("tab")]
    assert tabs == ["general", "conversation", "provider"]
    conversation = next(c for c in sms.iter("control") if c.get("id") == "WebResource_conversation")
    assert conversation.findtext("parameters/Url") == "smsc_/html/conversation.html"
    assert conversation.findtext("parameters/PassParameters") == "true"     # the page reads the activity's id
    grid = next(c for c in sms.iter("control") if c.get("id") == "smsc_providerevents")
    assert grid.get("classid") == "{E7A81278-8635-4d9e-8D4D-59480B391C5B}" and grid.get("indicationOfSubgrid") == "true"
    assert grid.findtext("parameters/TargetEntityType") == "smsc_providerevent"
    relationship = grid.findtext("parameters/RelationshipName")
    declared = customizations.find(f"EntityRelationships/EntityRelationship[@Name='{relationship}']")
    assert declared is not None
    assert (declared.findtext("ReferencingEntityName"), declared.findtext("ReferencedEntityName")) == (
        "smsc_ProviderEvent", "smsc_TextMessage")
    events = _entities(customizations)["smsc_providerevent"]
    views = {q.findtext("savedqueryid"): q for q in events.iter("savedquery")}
    view = views[grid.findtext("parameters/ViewId")]                      # the subgrid's view ships with the table
    order = view.find(".//order")
    assert order.get("attribute") == "smsc_receivedon" and order.get("descending") == "false"   # oldest first


def test_the_campaign_form_shows_the_loop_back_figures_next_to_the_panel(customizations):
    campaign = _entities(customizations)["campaign"]
    fields = {c.get("datafieldname"): c.get("disabled") for c in campaign.iter("control") if c.get("datafieldname")}
    for column in ("smsc_deliveryrate", "smsc_replyrate", "smsc_closedon", "smsc_partstotal", "smsc_partsdone",
                   "smsc_partsfailed"):
        assert fields[column] == "true", column                           # written by the connector only


def test_the_sms_app_and_its_site_map_are_written_as_an_export_writes_them(customizations, manifest):
    sample = _sample("customizations.xml")
    site_map = customizations.find("AppModuleSiteMaps/AppModuleSiteMap")
    assert site_map.findtext("SiteMapUniqueName") == "smsc_SmsConnector"
    ours_tags, sample_tags = [c.tag for c in site_map], [c.tag for c in sample.find("AppModuleSiteMaps/AppModuleSiteMap")]
    assert [t for t in ours_tags if t in sample_tags] == sample_tags          # plus a newer export's Show* flags
    entries = [a.get("Entity") for a in site_map.iter("SubArea") if a.get("Entity")]
    assert entries == ["smsc_textmessage", "smsc_smstemplate", "campaign", "smsc_optout", "contact", "lead", "account",
                       "smsc_providerevent", "smsc_workflow", "smsc_configuration", "smsc_quota"]
    sample_entry = next(a for a in sample.iter("SubArea") if a.get("Entity"))
    assert all(set(a.attrib) - {"Icon", "IntroducedVersion"} <= set(sample_entry.attrib) | {"Id"}
               for a in site_map.iter("SubArea") if a.get("Entity"))
    assert [[t.get("Title") for t in g.find("Titles")] for g in site_map.iter("Group")][0] == ["Messages", "Messages"]
    app = customizations.find("AppModules/AppModule")
    sample_app = [c.tag for c in sample.find("AppModules/AppModule")]
    assert [c.tag for c in app if c.tag in sample_app] == sample_app
    components = [(c.get("type"), c.get("schemaName")) for c in app.find("AppModuleComponents")]
    assert components[0] == ("62", "smsc_SmsConnector") and ("1", "smsc_textmessage") in components
    assert {("1", t) for t in entries} <= set(components)                     # every entry's table is in the app
    roles = {r.get("id") for r in app.find("AppModuleRoleMaps")}
    assert roles == {f"{{{role.role_id}}}" for role in DEFINITION.roles}
    declared_roles = {r.get("id") for r in customizations.findall("Roles/Role")}
    assert roles <= declared_roles
    root = {(c.get("type"), c.get("schemaName")) for c in manifest.iter("RootComponent")}
    assert {("62", "smsc_SmsConnector"), ("80", "smsc_SmsConnector")} <= root
    tags = [c.tag for c in customizations]
    assert tags.index("CustomControls") < tags.index("AppModuleSiteMaps") < tags.index("AppModules") < tags.index(
        "EntityDataProviders")


def test_roles_name_the_table_privileges(customizations):
    roles = {r.get("name"): {p.get("name"): p.get("level") for p in r.iter("RolePrivilege")}
             for r in customizations.findall("Roles/Role")}
    assert roles["SMS Connector User"]["prvCreateActivity"] == "Basic"
    assert roles["SMS Connector Admin"]["prvWritesmsc_configuration"] == "Global"


def test_the_base_language_can_be_french(tmp_path):
    path = tmp_path / "fr.zip"
    write_package(path, language=1036)
    with zipfile.ZipFile(path) as archive:
        manifest = _xml(archive.read("solution.xml"))
        customizations = _xml(archive.read("customizations.xml"))
    assert manifest.get("languagecode") == "1036"
    assert [language.text for language in customizations.iter("Language")] == ["1036", "1033"]
    assert customizations.find("Entities/Entity/Name").get("LocalizedName") == "SMS"


def test_the_cli_writes_the_zip(tmp_path, capsys):
    output = tmp_path / "x.zip"
    assert main(["solution", "package", "--output", str(output)]) == 0
    assert zipfile.is_zipfile(output)
    out = capsys.readouterr().out
    assert str(output) in out and "11 tables" in out


@pytest.mark.parametrize("where", ["missing/x.zip", "."])
def test_a_bad_output_path_is_one_line_and_exit_2(tmp_path, capsys, where):
    assert main(["solution", "package", "--output", str(tmp_path / where)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("smsc: ") and err.count("\n") == 1 and "Traceback" not in err


def _attribute_shapes(root: ET.Element) -> dict[str, list[str]]:
    """XML type -> the child elements of its first custom (or key/state/status) attribute."""
    shapes: dict[str, list[str]] = {}
    for attribute in root.iter("attribute"):
        kind = attribute.findtext("Type")
        if kind in ("primarykey", "state", "status") or attribute.findtext("IsCustomField") == "1":
            shapes.setdefault(kind, [c.tag for c in attribute])
    return shapes


def test_attributes_have_the_elements_of_the_real_export_for_each_type(customizations):
    ours, theirs = _attribute_shapes(customizations), _attribute_shapes(_sample("customizations.xml"))
    compared = set(ours) & set(theirs)
    assert {"nvarchar", "int", "lookup", "primarykey", "state", "status"} <= compared
    for kind in compared:
        assert ours[kind] == theirs[kind], kind
    assert {"ntext", "bit", "picklist", "money", "decimal", "datetime"} <= set(ours)


API_VARIABLES = ("smsc_ApiBaseUrl", "smsc_ApiFunctionKey", "smsc_ApiKey")


def test_the_environment_variables_are_root_components_and_folders_as_an_export_writes_them(package, manifest):
    roots = [(r.get("type"), r.get("schemaName"), r.get("behavior")) for r in manifest.iter("RootComponent")
             if r.get("type") == "380"]
    assert roots == [("380", name, "0") for name in API_VARIABLES]
    folders = sorted(name for name in package if name.startswith("environmentvariabledefinitions/"))
    assert folders == [f"environmentvariabledefinitions/{n}/environmentvariabledefinition.xml" for n in API_VARIABLES]
    for name in API_VARIABLES:
        variable = _xml(package[f"environmentvariabledefinitions/{name}/environmentvariabledefinition.xml"])
        assert variable.tag == "environmentvariabledefinition" and variable.get("schemaname") == name
        assert [c.tag for c in variable] == ["description", "displayname", "introducedversion", "iscustomizable",
                                             "isrequired", "secretstore", "type"]     # no value, no default
        assert variable.findtext("type") == "100000000" and variable.findtext("isrequired") == "0"
        labels = {label.get("languagecode"): label.get("description") for label in variable.find("displayname")}
        assert set(labels) == {"1033", "1036"} and variable.find("displayname").get("default") == labels["1033"]
    described = _xml(package["environmentvariabledefinitions/smsc_ApiKey/environmentvariabledefinition.xml"])
    assert "never SMSC_WEBHOOK_KEY" in described.find("description").get("default")


def test_a_default_value_is_written_only_when_the_definition_has_one():
    from solution.model import EnvironmentVariable, Label
    from solution.package import environment_variable_xml

    with_default = environment_variable_xml(EnvironmentVariable("smsc_X", Label("X", "X"), Label("x", "x"),
                                                                default_value="https://example.org"))
    assert [c.tag for c in with_default][0] == "defaultvalue" and with_default.findtext("defaultvalue") == (
        "https://example.org")


def _columns(table: str) -> set[str]:
    found = DEFINITION.table(table)
    return {c.logical_name for c in found.columns} | set(found.standard_columns) | {
        "createdon", "modifiedon", "activityid" if found.is_activity else found.logical_name + "id"}


def test_the_sms_charts_are_aggregate_fetches_on_existing_columns_as_an_export_writes_them(customizations):
    """Charts (savedqueryvisualization) on the SMS: per month, delivery by status, replies, top templates."""
    sample = _sample("customizations.xml").find("Entities/Entity/Visualizations/visualization")
    charts = _entities(customizations)["smsc_textmessage"].findall("Visualizations/visualization")
    names = {c.find("LocalizedNames/LocalizedName[@languagecode='1036']").get("description"): c for c in charts}
    assert set(names) == {"SMS envoyés par mois", "Taux de réception (par statut)", "Réponses par mois",
                          "Modèles les plus utilisés"}
    columns = _columns("smsc_textmessage")
    for chart in charts:
        assert [c.tag for c in chart] == [c.tag for c in sample]
        assert chart.findtext("savedqueryvisualizationid") in {f"{{{c.chart_id}}}" for c in DEFINITION.charts}
        fetch = chart.find("datadescription/datadefinition/fetchcollection/fetch")
        assert fetch.get("aggregate") == "true" and fetch.find("entity").get("name") == "smsc_textmessage"
        attributes = fetch.findall("entity/attribute")
        assert {a.get("name") for a in attributes} | {c.get("attribute") for c in fetch.iter("condition")} <= columns
        aliases = {a.get("alias") for a in attributes}
        category = chart.find("datadescription/datadefinition/categorycollection/category")
        assert category.get("alias") in aliases and category.find("measurecollection/measure").get("alias") in aliases
        assert chart.find("presentationdescription/Chart/Series/Series").get("ChartType") in {"Column", "Bar", "Pie"}
    month = names["SMS envoyés par mois"].find("datadescription/datadefinition/fetchcollection/fetch/entity")
    assert month.find("attribute[@groupby='true']").attrib == {"name": "createdon", "groupby": "true",
                                                               "alias": "groupby_column", "dategrouping": "month"}
    assert month.find("attribute[@aggregate='sum']").get("name") == "smsc_segments"
    top = names["Modèles les plus utilisés"].find("datadescription/datadefinition/fetchcollection/fetch")
    assert top.get("count") == "10" and top.find("entity/order").attrib == {"alias": "aggregate_column",
                                                                           "descending": "true"}
    assert names["Taux de réception (par statut)"].find("presentationdescription/Chart/Legends") is not None


def test_the_sms_dashboard_shows_the_charts_and_the_app_opens_it(customizations, manifest):
    sample = _sample("customizations.xml").find("Dashboards/Dashboard")
    [dashboard] = customizations.findall("Dashboards/Dashboard")
    assert [c.tag for c in dashboard] == [c.tag for c in sample]
    assert dashboard.find("LocalizedNames/LocalizedName").get("description") == "SMS"
    form_id = dashboard.findtext("FormId")
    assert dashboard.find("FormXml/forms").get("type") == "dashboard"
    controls = list(dashboard.iter("control"))
    charts = {f"{{{c.chart_id}}}" for c in DEFINITION.charts}
    views = {f"{{{v.view_id}}}": v for v in DEFINITION.views}
    sample_parameters = [p.tag for p in sample.find(".//control/parameters")]
    assert {c.findtext("parameters/VisualizationId") for c in controls} == charts
    for control in controls:
        assert control.get("classid") == sample.find(".//control").get("classid")
        assert [p.tag for p in control.find("parameters")] == sample_parameters
        assert control.findtext("parameters/ChartGridMode") == "Chart"
        view = views[control.findtext("parameters/ViewId")]             # a view the solution ships
        assert view.table == control.findtext("parameters/TargetEntityType") == "smsc_textmessage"
    cells = [len(row.findall("cell")) for row in dashboard.iter("row") if row.find("cell") is not None]
    assert cells == [2, 2]                                              # the four charts two by two
    root = {(c.get("type"), c.get("id")) for c in manifest.iter("RootComponent")}
    assert ("60", form_id) in root
    app = customizations.find("AppModules/AppModule/AppModuleComponents")
    assert ("60", form_id) in {(c.get("type"), c.get("id")) for c in app}
    entry = customizations.find("AppModuleSiteMaps/AppModuleSiteMap/SiteMap/Area/Group/SubArea")
    sample_entry = next(a for a in _sample("customizations.xml").iter("SubArea") if a.get("DefaultDashboard"))
    assert set(entry.attrib) == set(sample_entry.attrib) and entry.get("Url") == sample_entry.get("Url")
    assert f"{{{entry.get('DefaultDashboard')}}}" == form_id
    tags = [c.tag for c in customizations]
    assert tags.index("optionsets") < tags.index("Dashboards") < tags.index("WebResources")
