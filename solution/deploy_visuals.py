"""The views, charts and dashboards `smsc solution deploy` writes as rows (`savedqueries`,
`savedqueryvisualizations`, `systemforms` of type 0 = Dashboard), with the ids and XML the solution zip
carries (solution.package writes both from the same functions), so an organisation that imported the zip
already has them and a second run finds them.

Only the views the charts show are created (the forms and the other views come with the zip): a chart is
drawn on the rows of a view, and the dashboard names the view and the chart of each of its cells.
Found rows are compared on their XML read as canonical XML (attribute order, quotes and blank text left
aside), and patched when it differs. Their name is a localizable column: created in the organisation's
base language (the column holds that language's label), the other language set by `SetLocLabels`; a found
row's names are read by `RetrieveLocLabels` per language, never from the column (which Dataverse reads
in the caller's language), and set again only where one differs. Both come from the package's Label(fr, en).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from solution.model import ENGLISH, FRENCH, Label, SolutionDefinition, View
from solution.package import chart_data, chart_presentation, dashboard_form, view_fetch, view_layout

DASHBOARD_FORM, ASP_NET_CHART, PUBLIC_VIEW = 0, 0, 0   # systemform.type, savedqueryvisualization.charttype,
#                                                       savedquery.querytype
ACTIVE_FORM = 1                                        # systemform.formactivationstate


@dataclass(frozen=True)
class Visual:
    """One row to find by its id and create (or patch on its `compared` columns)."""
    kind: str                        # view, chart, dashboard
    name: str
    entity_set: str
    id_column: str
    row_id: str
    body: Mapping[str, Any]          # the create's body, its id included
    compared: tuple[str, ...]        # the XML columns: read, compared, patched
    label: Label                     # its name in both languages (the localizable `name` column)
    logical_name: str                # savedquery, savedqueryvisualization, systemform

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.row_id}"

    def created_body(self, base_language: int) -> dict[str, Any]:
        """The create's body, named in the organisation's base language (English when it is neither)."""
        return {**self.body, NAME: text_in(self.label, base_language)}

    @property
    def moniker(self) -> dict[str, str]:
        """The EntityMoniker of SetLocLabels: the row as a typed entity reference."""
        return {"@odata.type": f"Microsoft.Dynamics.CRM.{self.logical_name}", self.id_column: self.row_id}

    @property
    def label_query(self) -> dict[str, str]:
        """RetrieveLocLabels' parameter aliases: the row, its name column, unpublished labels included."""
        return {"@p1": f"{{'@odata.id':'{self.entity_set}({self.row_id})'}}", "@p2": f"'{NAME}'", "@p3": "true"}


NAME = "name"
RETRIEVE_LABELS = "RetrieveLocLabels(EntityMoniker=@p1,AttributeName=@p2,IncludeUnpublished=@p3)"
SET_LABELS = "SetLocLabels"


def text_in(label: Label, language: int) -> str:
    return label.fr if language == FRENCH else label.en


def wanted_labels(label: Label, base_language: int, languages: frozenset[int]) -> dict[int, str]:
    """{language: text} of the provisioned languages among French and English, the base language first."""
    order = (base_language,) + tuple(code for code in (ENGLISH, FRENCH) if code != base_language)
    return {code: label.by_language()[code] for code in order if code in languages and code in (ENGLISH, FRENCH)}


def _xml(element: ET.Element) -> str:
    return ET.tostring(element, encoding="unicode")


def canonical(text: str | None) -> str:
    """XML as C14N 2.0 without blank text: the same document whatever the attribute order or quotes."""
    if not text:
        return ""
    try:
        return ET.canonicalize(text, strip_text=True)
    except ET.ParseError:
        return text


def chart_views(definition: SolutionDefinition) -> tuple[View, ...]:
    """The definition's views that its charts show, in the charts' order, once each."""
    wanted = {(chart.table, chart.view.en) for chart in definition.charts}
    found = {(v.table, v.name.en): v for v in definition.views}
    missing = wanted - set(found)
    assert not missing, f"charts on views the definition lacks: {sorted(missing)}"
    order = dict.fromkeys((chart.table, chart.view.en) for chart in definition.charts)
    return tuple(found[key] for key in order)


def visuals(definition: SolutionDefinition) -> tuple[Visual, ...]:
    """The views the charts show, the charts, then the dashboards: the order they are created in."""
    rows: list[Visual] = []
    for view in chart_views(definition):
        table = definition.table(view.table)
        rows.append(Visual("view", view.name.en, "savedqueries", "savedqueryid", view.view_id, {
            "savedqueryid": view.view_id, "name": view.name.en, "returnedtypecode": view.table,
            "querytype": PUBLIC_VIEW, "fetchxml": _xml(view_fetch(view, table)),
            "layoutxml": _xml(view_layout(view, table)), "isdefault": False, "isquickfindquery": False},
            ("fetchxml", "layoutxml"), view.name, "savedquery"))
    for chart in definition.charts:
        rows.append(Visual("chart", chart.name.en, "savedqueryvisualizations", "savedqueryvisualizationid",
                           chart.chart_id, {
                               "savedqueryvisualizationid": chart.chart_id, "name": chart.name.en,
                               "primaryentitytypecode": chart.table, "charttype": ASP_NET_CHART,
                               "datadescription": _xml(chart_data(chart)),
                               "presentationdescription": _xml(chart_presentation(chart)), "isdefault": False},
                           ("datadescription", "presentationdescription"), chart.name,
                           "savedqueryvisualization"))
    for dashboard in definition.dashboards:
        rows.append(Visual("dashboard", dashboard.name.en, "systemforms", "formid", dashboard.dashboard_id, {
            "formid": dashboard.dashboard_id, "name": dashboard.name.en, "objecttypecode": "none",
            "type": DASHBOARD_FORM, "formxml": _xml(dashboard_form(dashboard)), "isdefault": False,
            "istabletenabled": True, "formactivationstate": ACTIVE_FORM}, ("formxml",), dashboard.name,
            "systemform"))
    return tuple(rows)


def differing(visual: Visual, found: Mapping[str, Any]) -> dict[str, Any]:
    """The compared columns whose value in the organisation is not the definition's."""
    return {column: visual.body[column] for column in visual.compared
            if canonical(found.get(column)) != canonical(visual.body[column])}
