"""The deployable project: requirements in step with pyproject, app wiring, host.json."""
import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_requirements_txt_matches_pyproject_dependencies():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    required = [line for line in lines if line and not line.startswith("#")]
    assert sorted(required) == sorted(declared)


def test_every_dependency_has_a_compatible_range():
    for spec in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        assert re.search(r">=[\d.]+,<[\d.]+$", spec), spec


def test_function_app_registers_the_documented_routes():
    from functions.local_host import registered_functions

    names = {getattr(f.get_trigger(), "route", None) for f in registered_functions()}
    assert {"dataverse/events", "textmessages/preview", "credit", "health"} <= names


def test_function_app_only_registers_blueprints():
    source = (ROOT / "function_app.py").read_text()
    assert "@app." not in source and "register_functions" in source


def test_host_json_is_v2_with_the_extension_bundle():
    host = json.loads((ROOT / "host.json").read_text())
    assert host["version"] == "2.0"
    assert host["extensionBundle"]["id"] == "Microsoft.Azure.Functions.ExtensionBundle"
    assert host["extensions"]["http"]["routePrefix"] == "api"


def test_core_never_imports_azure_functions():
    for path in list((ROOT / "connector").rglob("*.py")) + list((ROOT / "workflows").rglob("*.py")):
        assert "azure.functions" not in path.read_text(), path


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
    assert f"\n{command}\n" in readme
    assert command in (ROOT / ".ci" / "run").read_text()
