"""Real-browser journeys: Playwright for Python drives Debian's headless Chromium
against pytest-django's live server.

- One Chromium per test package run (``chromium`` fixture); each person in a
  journey gets a browser context of their own (their own cookies), at the
  viewport of the test (``phone`` 390x844 or ``desktop`` 1280x800).
- ``person.check("name")`` is called on every key page: axe-core (vendored in
  assets/axe.min.js) must find no serious or critical violation, the page must
  have logged no script error, and with ``--screenshots`` a full-page PNG goes to
  tests/e2e/screenshots/<viewport>-<name>.png.
- Chromium missing is a loud failure. ``--skip-browser`` (and only that) skips.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SOURCE = HERE / "assets" / "axe.min.js"
SCREENSHOTS = HERE / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
# Impacts that fail a page; moderate and minor ones are listed in the report only.
BLOCKING_IMPACTS = {"serious", "critical"}
# WCAG 2.1 A and AA plus axe's best practices (landmarks, one h1, ...).
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}
# Every visible, enabled control a mouse can use is in the Tab order (keyboard alone).
OUT_OF_TAB_ORDER = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary')]
  .filter(el => el.tabIndex < 0 && !el.disabled && el.getClientRects().length > 0)
  .map(el => el.outerHTML.slice(0, 160))"""
# Playwright waits at most this long for a page or an element (a loaded 2-core CI machine).
TIMEOUT_MS = 20_000


@pytest.fixture(scope="package")
def seed_rows(django_db_setup, django_db_blocker):
    """The migrations' rows (alert rules, analytes, diary thresholds) as pytest-django
    serialized them when it created the test database, read before Playwright starts.

    Playwright's sync API leaves its asyncio loop set as this thread's running loop,
    and Django then hands the thread a fresh connection object without the
    serialized copy: ``serialized_rollback`` would silently restore nothing after
    another transactional test flushed the database. ``open_browser`` restores it."""
    from django.db import connection

    contents = getattr(connection, "_test_serialized_contents", None)
    yield contents
    # The last journey's teardown flushed the database: leave it as the migrations
    # made it for the tests that follow in this process (their own fixtures expect
    # the seeded rules, analytes and thresholds).
    with django_db_blocker.unblock():
        restore_seed_rows(contents, always=True)


@pytest.fixture(scope="package")
def chromium(request, seed_rows):
    """Debian's Chromium under Playwright, one per package run.

    Playwright's sync API keeps an asyncio loop in this thread, which Django's
    ORM takes for an async context: DJANGO_ALLOW_ASYNC_UNSAFE is set for as long
    as the browser lives (these tests call the ORM from the test thread only;
    the live server answers from its own thread)."""
    if request.config.getoption("skip_browser"):
        pytest.skip("browser journeys skipped on request (--skip-browser)")
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs it (apt-get install -y chromium); "
            "pass --skip-browser to skip the browser journeys on purpose.",
            pytrace=False,
        )
    from playwright.sync_api import expect, sync_playwright

    # expect() waits 5 s by default: too short on a loaded 2-core CI machine.
    expect.set_options(timeout=TIMEOUT_MS)

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class PageCheck:
    viewport: str
    name: str
    url: str
    violations: list[dict]
    enforced: bool = True


@dataclass
class Report:
    """Every checked page and what axe said about it, written at the end of the run."""

    checks: list[PageCheck] = field(default_factory=list)

    def write(self, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = ["# Pages checked by the browser journeys (axe-core " + axe_version() + ")", ""]
        lines.append("| viewport | page | path | serious/critical | moderate/minor |")
        lines.append("|---|---|---|---|---|")
        for check in self.checks:
            blocking = [v for v in check.violations if v["impact"] in BLOCKING_IMPACTS]
            other = [v for v in check.violations if v["impact"] not in BLOCKING_IMPACTS]
            listed = [
                ", ".join(f"{v['id']} ({v['impact']}: {' '.join(v['nodes'][:3])})" for v in group) or "0"
                for group in (blocking, other)
            ]
            scope = "" if check.enforced else " (Django admin, reported only)"
            lines.append(f"| {check.viewport} | {check.name}{scope} | {check.url} | {listed[0]} | {listed[1]} |")
        target.write_text("\n".join(lines) + "\n")


def axe_version() -> str:
    match = re.search(r"axe v([\d.]+)", AXE_SOURCE.read_text()[:200])
    return match.group(1) if match else "?"


@pytest.fixture(scope="package")
def axe_report(request):
    report = Report()
    yield report
    if report.checks:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        report.write(SCREENSHOTS / f"axe-report-{worker}.md")


class Person:
    """One person at one browser: their page, and the checks run on it."""

    def __init__(self, *, context, base_url: str, who: str, viewport: str, report: Report, screenshots: bool):
        self.context = context
        self.base_url = base_url
        self.who = who
        self.viewport = viewport
        self.report = report
        self.screenshots = screenshots
        self.script_errors: list[str] = []
        self.page = context.new_page()
        self.page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        self.page.on("console", self._console)
        self.page.on("response", self._response)

    def _console(self, message) -> None:
        # A failed load is reported by _response, with its address.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.script_errors.append(message.text)

    def _response(self, response) -> None:
        # Django admin's pages name no icon, so the browser asks for /favicon.ico.
        if (
            response.status >= 400
            and response.request.resource_type != "document"
            and not response.url.endswith("/favicon.ico")
        ):
            self.script_errors.append(f"{response.status} for {response.url}")

    def go(self, path: str):
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path}: HTTP {response.status if response else '?'}"
        return self.page

    def check(self, name: str, *, enforce: bool = True) -> None:
        """axe-core on the page as it is now; then (optionally) a screenshot.

        ``enforce=False`` records the violations in the report without failing: for
        Django admin's own pages, which this project does not template."""
        page = self.page
        page.wait_for_load_state("load")
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(AXE_SOURCE.read_text())
        results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        violations = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [" ".join(n["target"]) if isinstance(n["target"], list) else n["target"] for n in v["nodes"]],
                "summary": [n.get("failureSummary", "") for n in v["nodes"][:3]],
            }
            for v in results["violations"]
        ]
        # The report names pages by path; an invitation's token stays out of it.
        path = re.sub(r"^/invitations/[^/]+/", "/invitations/<token>/", urlsplit(page.url).path)
        self.report.checks.append(PageCheck(self.viewport, f"{self.who}-{name}", path, violations, enforce))
        if self.screenshots:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{self.viewport}-{self.who}-{name}.png"), full_page=True)
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS] if enforce else []
        assert not blocking, f"axe on {self.who}-{name} ({path}, {self.viewport}):\n" + json.dumps(blocking, indent=2)
        unreachable = page.evaluate(OUT_OF_TAB_ORDER) if enforce else []
        assert not unreachable, f"controls Tab never reaches on {self.who}-{name} ({path}): {unreachable}"
        assert not self.script_errors, f"script errors on {self.who}-{name} ({path}): {self.script_errors}"


def restore_seed_rows(seed_rows: str | None, *, always: bool = False) -> None:
    """What ``serialized_rollback`` does at set-up, when it could not: empty the
    tables (a flushed database, or the migrations' rows) and load the serialized rows."""
    from django.core.management import call_command
    from django.db import connection

    if seed_rows is None or (hasattr(connection, "_test_serialized_contents") and not always):
        return
    call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
    connection.creation.deserialize_db_from_string(seed_rows)


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def open_browser(request, chromium, seed_rows, live_server, viewport, axe_report, settings):
    """``open_browser("patient")`` -> a Person with a fresh browser context (own cookies)."""
    # Links in emails (invitations) point at the live server.
    settings.AFTERCARE_SITE_URL = live_server.url
    restore_seed_rows(seed_rows)
    contexts, people = [], []

    def make(who: str) -> Person:
        context = chromium.new_context(
            viewport=VIEWPORTS[viewport],
            base_url=live_server.url,
            locale="en-GB",
            timezone_id="UTC",
            reduced_motion="reduce",
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(path=str(AXE_SOURCE))
        contexts.append(context)
        person = Person(
            context=context,
            base_url=live_server.url,
            who=who,
            viewport=viewport,
            report=axe_report,
            screenshots=request.config.getoption("screenshots"),
        )
        people.append(person)
        return person

    yield make
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        # What each person had on screen when the journey failed (in the pytest output),
        # and a picture of it next to the screenshots.
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for person in people:
            try:
                text = " ".join(person.page.locator("body").inner_text(timeout=2000).split())
                person.page.screenshot(path=str(SCREENSHOTS / f"FAILED-{viewport}-{person.who}.png"), full_page=True)
            except Exception as error:
                text = f"(page unreadable: {error})"
            print(f"\n--- {person.who} at {person.page.url}:\n{text[:3000]}")
    for context in contexts:
        context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
