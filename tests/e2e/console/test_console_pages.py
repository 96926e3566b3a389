"""The console's Documents, Jobs and Keys pages in headless Chromium against devhost, as a person
uses them: upload a generated 3-page PDF, open page 2, read it aloud and hear it; follow and
cancel a job, download a result; issue, list and revoke a key. Each page is screenshotted and
checked with axe-core."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.utils.browser import axe_violations, console_context, page_errors, screenshot, sign_in
from tests.utils.pdfs import make_pdf

JOB_SECONDS = 120_000  # ms: a speech job on a busy 2-core machine, worker start included


@pytest.fixture
def page(browser: Browser, console_url: str, api_key: str) -> Iterator[Page]:
    with console_context(browser) as context:
        opened = context.new_page()
        errors = page_errors(opened)
        sign_in(opened, console_url, api_key)
        yield opened
        # nothing the page needed was refused (its CSP, a worker, a request) and nothing threw
        assert errors == []


@pytest.fixture
def api(app_host: str, api_key: str) -> Iterator[httpx.Client]:
    headers = {"authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=app_host, headers=headers, timeout=30) as client:
        yield client


def wait_for(api: httpx.Client, job: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get(f"/jobs/{job['id']}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.25)
    raise AssertionError(f"job {job['id']} did not end: {job}")


def test_upload_view_page_two_and_read_it_aloud(page: Page, tmp_path: Path):
    document = tmp_path / "three-pages.pdf"
    document.write_bytes(make_pdf(3, "Text of page {n}."))
    page.get_by_role("link", name="Documents").click()
    expect(page.get_by_role("heading", name="Documents", level=1)).to_be_visible()

    # upload: the progress bar reaches 100 %, then the document opens on page 1
    page.get_by_label("PDF file").set_input_files(str(document))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Upload 100%")).to_be_visible()
    expect(page.get_by_role("heading", name="three-pages.pdf", level=2)).to_be_visible()
    expect(page.get_by_role("img", name="Page 1 of three-pages.pdf")).to_be_visible()

    # page 2: drawn by PDF.js, with the text the API extracted from it
    page.get_by_role("button", name="Next page").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    canvas = page.get_by_role("img", name="Page 2 of three-pages.pdf")
    expect(canvas).to_be_visible()
    expect(page.get_by_role("heading", name="Text of page 2")).to_be_visible()
    expect(page.locator(".extracted")).to_contain_text("Text of page 2.", timeout=JOB_SECONDS)
    page.wait_for_function(
        """() => {  // something was drawn: the canvas is not blank
            const c = document.querySelector('canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 0; i < d.length; i += 4) if (d[i] < 128) return true;
            return false;
        }"""
    )
    screenshot(page, "documents")
    assert axe_violations(page) == []

    # read aloud from page 2: the job's progress, then page 2's audio plays and is named
    page.get_by_role("button", name="Read aloud from page 2").click()
    expect(page.get_by_text("Reading page 2")).to_be_visible(timeout=JOB_SECONDS)
    page.wait_for_function(
        "() => { const a = document.querySelector('audio'); return a && a.currentTime > 0; }"
    )
    assert page.evaluate("document.querySelector('audio').paused") is False
    expect(page.get_by_role("img", name="Page 2 of three-pages.pdf")).to_be_visible()
    screenshot(page, "documents-reading")
    # then page 3 follows, and the viewer turns to it
    expect(page.get_by_text("Reading page 3")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("img", name="Page 3 of three-pages.pdf")).to_be_visible()
    assert axe_violations(page) == []


def test_jobs_page_follows_cancels_and_downloads(page: Page, api: httpx.Client):
    # given a finished extract job and a long speech job, both the caller's
    small = api.post("/media/upload", files={"file": ("small.pdf", make_pdf(1))}).json()
    done = wait_for(api, api.post(f"/media/{small['id']}/extract").json())
    assert done["status"] == "succeeded"
    long = api.post("/media/upload", files={"file": ("long.pdf", make_pdf(40))}).json()
    speech = api.post(f"/media/{long['id']}/speech", json={}).json()
    short_id = speech["id"][:8]

    # the running job is followed live: the page opens its events stream
    with page.expect_request(lambda r: r.url.endswith(f"/api/jobs/{speech['id']}/events")):
        page.get_by_role("link", name="Jobs").click()
    expect(page.get_by_role("heading", name="Jobs", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text=short_id)
    expect(row).to_contain_text("speech")
    screenshot(page, "jobs")
    assert axe_violations(page) == []

    # cancel: the row follows the job to its end, and so does the API
    row.get_by_role("button", name=f"Cancel job {short_id}").click()
    expect(row).to_contain_text("cancelled", timeout=JOB_SECONDS)
    assert wait_for(api, speech)["status"] == "cancelled"

    # download a result file of the finished job
    with page.expect_download() as download:
        page.get_by_role("button", name=f"Download pages.jsonl of job {done['id'][:8]}").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert json.loads(lines[0])["page"] == 1


def test_keys_page_issues_lists_and_revokes(page: Page, app_host: str):
    page.get_by_role("link", name="Keys").click()
    expect(page.get_by_role("heading", name="API keys", level=1)).to_be_visible()
    page.get_by_label("User").fill("reporter")
    page.get_by_label("What it is for").fill("console test")
    page.get_by_label("admin").uncheck()
    page.get_by_role("button", name="Issue key").click()

    issued = page.get_by_label("Key", exact=True)
    expect(issued).to_have_value(re.compile(r"^mlp_"))
    key = issued.input_value()
    whoami = httpx.get(f"{app_host}/auth/whoami", headers={"authorization": f"Bearer {key}"})
    assert whoami.json()["user"] == "reporter"
    row = page.get_by_role("row").filter(has_text="console test")
    expect(row.get_by_role("cell").nth(3)).to_have_text("chat files ml voice")  # admin unticked
    screenshot(page, "keys")
    assert axe_violations(page) == []

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=re.compile(r"^Revoke key .* of reporter$")).click()
    expect(row).to_contain_text("revoked")
    refused = httpx.get(f"{app_host}/auth/whoami", headers={"authorization": f"Bearer {key}"})
    assert refused.status_code == 401
