"""Debian's Chromium, headless, driven by Playwright: for the web console's tests and benchmark.

Playwright's own browser download cannot work on these machines, so the browser is the system's
``/usr/bin/chromium`` (``scripts/system-deps.sh`` installs it) launched with ``executable_path``,
with every background network feature off (no update checks, no sync, no QUIC probes): the only
traffic is the page's own. A missing Chromium fails loudly with the command to run. Beside
``devhost.testing`` because tests and benchmarks both use it (they share nothing else).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

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
