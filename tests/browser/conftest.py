"""Browser tests: the smsc web resources in headless Chromium (Debian's `chromium`, driven by Playwright
for Python with that executable: no browser download), against `smsc console` served in-process on
127.0.0.1 with fresh emulators for each test. One browser per session; a screenshot of each test's page
goes to tests/browser/artifacts/ (git-ignored): look at them.

Chromium missing is a failure, not a skip: `bash tests/browser/setup.sh` installs it (.ci/run calls it).
"""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("the browser tests need Debian's chromium: run `bash tests/browser/setup.sh` (as root)",
                    pytrace=False)
    return found


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        yield launched
        launched.close()


class RunningConsole:
    def __init__(self, stack, console, url: str):
        self.stack, self.console, self.url = stack, console, url

    def form(self, entity: str, **args: str) -> str:
        query = "&".join(f"{name}={value}" for name, value in {"entity": entity, **args}.items())
        return f"{self.url}/console/form?{query}"


@pytest.fixture
def console() -> Iterator[RunningConsole]:
    from connector import bootstrap
    from emulators.stack import local_stack
    from smsc.console import Console
    from smsc.serve import BackgroundServer

    with local_stack(on_environment_change=bootstrap.reset) as stack:
        app = Console(stack)
        with BackgroundServer(app) as server:
            yield RunningConsole(stack, app, server.url)


@pytest.fixture
def page(browser, request) -> Iterator:
    """A fresh page; its JavaScript errors fail the test; its screenshot is kept as an artefact."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="fr-FR")
    context.set_default_timeout(8000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
