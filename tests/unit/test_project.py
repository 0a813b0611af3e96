"""The deployable project: requirements.txt a lock of pyproject, app wiring, host.json, CI."""
import json
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def declared_dependencies() -> dict[str, Requirement]:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {canonicalize_name(req.name): req for req in map(Requirement, declared)}


def locked_packages() -> dict[str, dict]:
    """requirements.txt as uv writes it: `name==version [; marker] \\`, `--hash=` lines, `# via` lines."""
    locked: dict[str, dict] = {}
    current: dict = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        entry = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if entry:
            current = {"version": Version(entry[2]), "hashes": 0, "via": []}
            locked[canonicalize_name(entry[1])] = current
        elif line.strip().startswith("--hash=sha256:"):
            current["hashes"] += 1
        elif line.startswith("    #"):
            current["via"].append(line.strip(" #"))
        else:
            assert not line.strip() or line.startswith("#"), f"not a pinned requirement: {line!r}"
    return locked


def test_requirements_txt_pins_every_declared_dependency_within_its_range():
    locked = locked_packages()
    for name, requirement in declared_dependencies().items():
        assert name in locked, f"{name} is declared in pyproject.toml but not in requirements.txt"
        assert requirement.specifier.contains(locked[name]["version"]), (name, locked[name]["version"])


def test_requirements_txt_is_the_lock_of_exactly_the_declared_dependencies():
    locked = locked_packages()
    direct = {name for name, package in locked.items() if any("(pyproject.toml)" in via for via in package["via"])}
    assert direct == set(declared_dependencies())
    assert all(package["hashes"] for package in locked.values())        # pip's hash-checking mode needs all
    assert "uv pip compile pyproject.toml" in (ROOT / "requirements.txt").read_text().splitlines()[1]


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


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = "bash tests/setup.sh && python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
    assert f"\n{command}\n" in readme
    assert command in (ROOT / ".ci" / "run").read_text()


def test_ci_runs_the_linter_the_type_checker_and_the_import_contracts_after_the_tests():
    ci = (ROOT / ".ci" / "run").read_text()
    steps = [".venv/bin/pytest", ".venv/bin/ruff check .", ".venv/bin/mypy", ".venv/bin/lint-imports"]
    assert all(step in ci for step in steps)
    assert [ci.rindex(step) for step in steps] == sorted(ci.rindex(step) for step in steps)
