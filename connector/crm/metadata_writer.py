"""The Web API requests `smsc solution deploy` sends beyond the `Crm` port: metadata definitions
(`EntityDefinitions`, `RelationshipDefinitions`, `GlobalOptionSetDefinitions`), actions (`PublishXml`,
`InsertOptionValue`) and solution-aware creates carrying `MSCRM.SolutionUniqueName`.

It goes through the same `DataverseClient` (session, token, retries, error mapping) as every other
call: no second HTTP stack. Reads answer None on a 404 (no such definition or row), which is how the
installer learns what is missing.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.crm.dataverse import DataverseClient
from connector.crm.odata import _GUID
from connector.crm.port import Crm, CrmError
from connector.errors import ConfigurationError

SOLUTION_HEADER = "MSCRM.SolutionUniqueName"


class DataverseMetadataWriter:
    """Reads and writes of one organisation's definitions and solution components."""

    def __init__(self, client: DataverseClient):
        self.client = client

    def read(self, path: str, options: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """GET `path` (relative to the Web API root); None when Dataverse answers 404."""
        try:
            return self.client._send("GET", self.client._url(path, options)).json()
        except CrmError as error:
            if error.status == 404:
                return None
            raise

    def create(self, path: str, body: Mapping[str, Any], *, solution: str | None = None) -> str | None:
        """POST `body` to `path` (an entity set or an action); the new id when Dataverse names one."""
        response = self.client._send("POST", self.client._url(path), body=body, headers=_solution(solution))
        ids = _GUID.findall(response.headers.get("OData-EntityId", ""))
        return ids[-1] if ids else None

    def update(self, path: str, body: Mapping[str, Any], *, solution: str | None = None) -> None:
        """PATCH a row that exists (`If-Match: *`: never an upsert)."""
        self.client._send("PATCH", self.client._url(path), body=body,
                          headers={"If-Match": "*", **_solution(solution)})


def _solution(name: str | None) -> dict[str, str]:
    return {SOLUTION_HEADER: name} if name else {}


def metadata_writer(crm: Crm) -> DataverseMetadataWriter:
    """The writer over the app's Dataverse client (the only `Crm` that speaks the Web API)."""
    if not isinstance(crm, DataverseClient):
        raise ConfigurationError(f"the metadata API needs the Dataverse Web API client, not {type(crm).__name__}")
    return DataverseMetadataWriter(crm)
