"""``python -m bench console``: how much the web console ships and how soon its first page can be
used, measured in the browser (Debian's Chromium through Playwright, ``devhost/browser.py``).

- size: every file of the build (``console/dist``) raw and gzipped as the app sends it (level 9),
  in total, for the first page (``index.html`` and what it loads before anyone signs in), and for
  the Documents page's lazy chunks (PDF.js and its worker). Goal: first page under 300 KB gzip.
- first page: ``GET /api/console`` through devhost in a fresh browser profile (cold cache) and
  reloaded (warm: hashed files from the cache, the page revalidated by ETag): the time from
  navigation start until the sign-in field is in the page with its handlers (a person can type
  a key; recorded by a MutationObserver in the page), first contentful paint, DOMContentLoaded,
  load, and the bytes transferred (Resource/Navigation Timing). Goal: under 1 s.

Peers, in the same run, interleaved: the same build from a plain static server (Starlette
``StaticFiles`` + gzip on uvicorn, ``bench/_console_peer.py``): what serving through the function
app (devhost routing, the endpoint layer) costs next to a file server; and a minimal page with the
same form and no script, from that server: the floor of the measure in this browser here.
Medians of ``--runs`` rounds (default 11: the machine is shared, single visits are noisy).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.report import print_table, ratio, write_results
from devhost.testing import PROJECT_ROOT, start_devhost

DIST = PROJECT_ROOT / "console" / "dist"
GOAL_FIRST_PAGE_GZIP_KB = 300
GOAL_INTERACTIVE_MS = 1000
HOST_ENV = {"LOG_LEVEL": "WARNING", "DEVHOST_JOBS_ENABLED": "false"}

# Records when the sign-in field exists (Preact attaches its handlers as it inserts it).
READY_PROBE = """
window.__signInReady = null;
new MutationObserver((_, observer) => {
  const field = document.getElementById('credential');
  if (field && !field.disabled && window.__signInReady === null) {
    window.__signInReady = performance.now();
    observer.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
"""
TIMINGS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const resources = performance.getEntriesByType('resource');
  const sum = (key) => resources.reduce((total, r) => total + r[key], nav[key]);
  return {
    interactive_ms: window.__signInReady,
    first_contentful_paint_ms: paint ? paint.startTime : null,
    response_start_ms: nav.responseStart,
    dom_content_loaded_ms: nav.domContentLoadedEventEnd,
    load_ms: nav.loadEventEnd,
    requests: resources.length + 1,
    transferred_bytes: sum('transferSize'),
    encoded_bytes: sum('encodedBodySize'),
  };
}"""


# --- sizes ------------------------------------------------------------------------------------


def _gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def first_page_files(dist: Path) -> list[str]:
    """``index.html`` and the files it references (``./assets/...``): what loads before sign-in."""
    html = (dist / "index.html").read_text()
    return ["index.html", *re.findall(r'(?:src|href)="\./(assets/[^"]+)"', html)]


def sizes(dist: Path) -> dict[str, Any]:
    files = {p.relative_to(dist).as_posix(): p for p in dist.rglob("*") if p.is_file()}
    files = {name: p for name, p in files.items() if not name.startswith(".")}
    measured = {name: (p.stat().st_size, _gzip_size(p)) for name, p in files.items()}
    first = first_page_files(dist)
    pdf = [n for n in measured if re.search(r"assets/(pdf|documents)", n)]

    def total(names: list[str], index: int) -> float:
        return round(sum(measured[n][index] for n in names) / 1024, 1)

    return {
        "files": len(measured),
        "total_kb": total(list(measured), 0),
        "total_gzip_kb": total(list(measured), 1),
        "first_page_files": first,
        "first_page_kb": total(first, 0),
        "first_page_gzip_kb": total(first, 1),
        "documents_lazy_gzip_kb": total(pdf, 1),
        "goal_first_page_gzip_kb": GOAL_FIRST_PAGE_GZIP_KB,
    }


# --- first page in the browser ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _peer() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench._console_peer", str(port), str(DIST)], cwd=PROJECT_ROOT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/minimal", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the static peer did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(30)


def _visit(browser: Any, url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(cold, warm) timings of one page: a fresh profile, then a reload in it."""
    context = browser.new_context()
    try:
        context.add_init_script(READY_PROBE)
        page = context.new_page()
        measured = []
        for load in (
            lambda: page.goto(url, wait_until="load"),
            lambda: page.reload(wait_until="load"),
        ):
            load()
            page.wait_for_function("window.__signInReady !== null")
            measured.append(page.evaluate(TIMINGS))
        return measured[0], measured[1]
    finally:
        context.close()


def _median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each figure over the runs that have it (Chromium now and then records no
    paint entry for a page that draws only text: that figure is left out of that run)."""
    medians = {}
    for key in runs[0]:
        present = [r[key] for r in runs if r[key] is not None]
        if present:
            medians[key] = round(statistics.median(present), 1)
    return medians


def first_page(runs: int) -> dict[str, Any]:
    from devhost.browser import chromium

    host = start_devhost(PROJECT_ROOT, env=HOST_ENV)
    samples: dict[str, list[dict[str, Any]]] = {}
    try:
        with _peer() as peer, chromium() as browser:
            targets = {
                "console (function app, devhost)": f"{host.base_url}/api/console",
                "console (static server peer)": f"{peer}/api/console",
                "minimal form, no script (peer)": f"{peer}/minimal",
            }
            _visit(browser, targets["console (function app, devhost)"])  # first request: warm-up
            for _ in range(runs):  # interleaved: a busy moment of the machine hits every side
                for name, url in targets.items():
                    cold, warm = _visit(browser, url)
                    samples.setdefault(f"{name}, cold", []).append(cold)
                    samples.setdefault(f"{name}, warm", []).append(warm)
    finally:
        host.stop()
    return {name: {**_median_of(found), "runs": len(found)} for name, found in samples.items()}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench console")
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args(argv)
    if not (DIST / "index.html").exists():
        raise SystemExit("the console is not built: run `make console`")
    size = sizes(DIST)
    pages = first_page(args.runs)
    ours = pages["console (function app, devhost), cold"]["interactive_ms"]
    peer = pages["console (static server peer), cold"]["interactive_ms"]
    results = {
        "size": size,
        "first_page": pages,
        "goal_interactive_ms": GOAL_INTERACTIVE_MS,
        "interactive_cold_ratio_vs_static_peer": ratio(ours, peer),
    }
    path = write_results("console", results)
    print_table(
        "Shipped assets (KB)",
        ["what", "raw", "gzip"],
        [
            [
                "first page (" + ", ".join(size["first_page_files"]) + ")",
                size["first_page_kb"],
                size["first_page_gzip_kb"],
            ],
            ["Documents page, lazy (PDF.js + worker + page)", None, size["documents_lazy_gzip_kb"]],
            [f"all {size['files']} files", size["total_kb"], size["total_gzip_kb"]],
        ],
    )
    print_table(
        f"First page, median of {args.runs} (ms from navigation start; goal {GOAL_INTERACTIVE_MS})",
        ["page", "sign-in usable", "FCP", "DOMContentLoaded", "load", "requests", "KB transferred"],
        [
            [
                name,
                m.get("interactive_ms"),
                m.get("first_contentful_paint_ms"),
                m.get("dom_content_loaded_ms"),
                m.get("load_ms"),
                m.get("requests"),
                round(m.get("transferred_bytes", 0) / 1024, 1),
            ]
            for name, m in pages.items()
        ],
    )
    print(f"\nresults: {path}")
