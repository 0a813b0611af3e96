"""Shared test setup.

Being in the `tests` package, this conftest makes pytest put the repository root on `sys.path`
(prepend import mode), so `from tests.fakes.records import FakeRecords` works under a plain `pytest`.
"""
