"""A real browser for the web console's tests and benchmark: Debian's Chromium driven by Playwright.

Playwright's own browser download cannot work on these machines, so the browser is the system's
``/usr/bin/chromium`` (``scripts/system-deps.sh`` installs it) launched with ``executable_path``,
headless, with every background network feature off (no update checks, no sync, no QUIC probes):
the only traffic is the page's own. A missing Chromium fails loudly with the command to run.

Screenshots go to ``.local/test-artifacts/console/`` (ignored by git; CI keeps the folder as the
run's artefacts). The accessibility check injects axe-core from the console's npm packages as an
init script (through the DevTools protocol, so the page's Content-Security-Policy, which allows
only the app's own scripts, stays on).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from devhost.testing import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # runs as root in containers, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
ARTEFACTS = PROJECT_ROOT / ".local" / "test-artifacts" / "console"
AXE_SCRIPT = PROJECT_ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
CONSOLE_BUILD = PROJECT_ROOT / "console" / "dist" / "index.html"
BLOCKING_IMPACTS = ("serious", "critical")


def require_console_build() -> None:
    """Fail (never skip) when the console has not been bundled."""
    if not CONSOLE_BUILD.exists() or not AXE_SCRIPT.exists():
        raise AssertionError("the web console is not built: run `make console`")


@contextmanager
def chromium(extra_flags: Sequence[str] = ()) -> Iterator[Browser]:
    """Debian's Chromium, headless, for the duration of the block."""
    if not CHROMIUM.exists():
        raise AssertionError(f"{CHROMIUM} is missing: run scripts/system-deps.sh (apt chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[*CHROMIUM_FLAGS, *extra_flags],
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def console_context(browser: Browser, *, axe: bool = True) -> Iterator[BrowserContext]:
    """A fresh profile (empty session storage), with axe-core loaded into every page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if axe:
        require_console_build()
        context.add_init_script(path=str(AXE_SCRIPT))
    try:
        yield context
    finally:
        context.close()


def page_errors(page: Page) -> list[str]:
    """A list that fills with the page's uncaught exceptions and console errors (a blocked
    script or worker, a failed request) from now on."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    return errors


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as a test artefact; returns its path."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Page, impacts: Sequence[str] = BLOCKING_IMPACTS) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 A/AA violations on the page as it is now, of the given impacts, each
    as ``{id, impact, help, targets}``."""
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await window.axe.run(document, {
                runOnly: {
                    type: 'tag',
                    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
                },
            });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map((n) => n.target.join(' ')),
            }));
        }"""
    )
    return [violation for violation in found if violation["impact"] in impacts]


def sign_in(page: Page, console_url: str, secret: str) -> None:
    """Open the console and sign in with ``secret`` (an API key or a bearer token) as a person
    would; returns once the navigation is shown."""
    page.goto(console_url)
    page.get_by_label("API key or bearer token").fill(secret)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
