"""Repository ports: what the services need from the CRM, as typed domain models.

One module per aggregate (the port — a Protocol — and its models). The Dataverse implementations
live in `connector/crm/` (the only layer that knows column names, OData filters and quoting); the
in-memory fakes used by the unit tests live in `tests/fakes/`.
"""
