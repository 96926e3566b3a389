"""The web console in headless Chromium against devhost: sign in, the Status page, accessibility.

Screenshots of each page are kept in .local/test-artefacts/console/ (tests.utils.browser).
"""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Browser, expect

from devhost.testing import PROJECT_ROOT, start_devhost
from tests.utils.auth import mint_jwt
from tests.utils.browser import axe_violations, console_context, screenshot, sign_in


def test_sign_in_page_shows_how_to_issue_a_key_and_passes_axe(browser: Browser, console_url: str):
    with console_context(browser) as context:
        page = context.new_page()
        page.goto(console_url)
        # the first-run hint names the README's command
        expect(page.locator("#first-run pre")).to_contain_text(
            "python -m shared.auth issue-key --tenant"
        )
        screenshot(page, "sign-in")
        assert axe_violations(page) == []


def test_a_wrong_key_is_refused_with_the_apis_reason(browser: Browser, console_url: str):
    with console_context(browser) as context:
        page = context.new_page()
        page.goto(console_url)
        page.get_by_label("API key or bearer token").fill("mlp_nope_notakey")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("Unauthorized (401)")
        assert page.evaluate("sessionStorage.length") == 0


def test_sign_in_keeps_the_key_in_session_storage_only_and_shows_status(
    browser: Browser, console_url: str, api_key: str
):
    with console_context(browser) as context:
        page = context.new_page()
        calls: list[dict[str, str]] = []
        page.on("request", lambda r: calls.append({"url": r.url, **r.headers}))
        sign_in(page, console_url, api_key)

        # the Status page: every required service up, each breaker's state, the models
        expect(page.get_by_role("heading", name="Status", level=1)).to_be_visible()
        services = page.get_by_role("table").first
        expect(services.get_by_role("row", name=re.compile(r"^redis ok yes"))).to_be_visible()
        expect(services).to_contain_text("closed")
        expect(page.get_by_role("heading", name="Models")).to_be_visible()
        expect(page.get_by_role("table").nth(1)).to_contain_text("all-MiniLM-L6-v2")
        queues = page.get_by_role("region", name="Job queues")
        expect(queues.get_by_role("row", name=re.compile(r"^speech "))).to_be_visible()
        screenshot(page, "status")
        assert axe_violations(page) == []

        # the key: in this tab's session storage, sent as a bearer header, never in a URL
        assert api_key in page.evaluate("JSON.stringify(sessionStorage)")
        assert page.evaluate("localStorage.length") == 0
        api_calls = [c for c in calls if "/api/" in c["url"] and "/api/console" not in c["url"]]
        assert api_calls
        assert all(c["authorization"] == f"Bearer {api_key}" for c in api_calls)
        assert all(api_key not in c["url"] for c in calls)
        assert api_key not in page.url

        # a reload keeps the session; signing out forgets it
        page.reload()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_label("API key or bearer token")).to_be_visible()
        assert page.evaluate("sessionStorage.length") == 0


def test_a_bearer_token_signs_in_too(browser: Browser, console_url: str):
    token = mint_jwt(f"jwt-{uuid.uuid4().hex[:6]}", tenant="tests", scopes=["ml"])
    with console_context(browser, axe=False) as context:
        page = context.new_page()
        sign_in(page, console_url, token)
        expect(page.get_by_text(re.compile(r"^tests / jwt-"))).to_be_visible()
        # the pages are offered by scope: an ml-only caller sees ML but neither Documents nor Keys
        navigation = page.get_by_role("navigation", name="Pages")
        expect(navigation.get_by_role("link")).to_have_text(["Status", "ML", "Jobs"])


def test_the_status_page_refreshes_live(browser: Browser, console_url: str, api_key: str):
    with console_context(browser, axe=False) as context:
        page = context.new_page()
        sign_in(page, console_url, api_key)
        updated = page.get_by_text(re.compile(r"^Updated "))
        expect(updated).to_be_visible()
        with page.expect_request(re.compile(r"/api/services/status$"), timeout=15_000):
            pass  # the next refresh asks again, without any click
        page.get_by_label(re.compile("Refresh every")).uncheck()
        expect(page.get_by_label(re.compile("Refresh every"))).not_to_be_checked()


def test_the_console_is_usable_with_the_keyboard_alone(
    browser: Browser, console_url: str, api_key: str
):
    with console_context(browser, axe=False) as context:
        page = context.new_page()
        page.goto(console_url)
        page.keyboard.press("Tab")  # the first stop is the key field
        expect(page.get_by_label("API key or bearer token")).to_be_focused()
        page.keyboard.type(api_key)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Status", level=1)).to_be_visible()
        # Tab through the header to a page link, open it with Enter; the page's content gets focus
        jobs = page.get_by_role("link", name="Jobs")
        for _ in range(10):
            page.keyboard.press("Tab")
            if jobs.evaluate("link => link === document.activeElement"):
                break
        expect(jobs).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Jobs", level=1)).to_be_visible()
        expect(page.locator("main")).to_be_focused()


def test_a_key_revoked_mid_session_returns_to_sign_in(
    browser: Browser, console_url: str, app_host: str, api_key: str
):
    admin = {"authorization": f"Bearer {api_key}"}
    body = {"user": f"temp-{uuid.uuid4().hex[:6]}", "name": "revoked mid-session", "scopes": ["ml"]}
    issued = httpx.post(f"{app_host}/auth/keys", headers=admin, json=body).json()
    with console_context(browser, axe=False) as context:
        page = context.new_page()
        sign_in(page, console_url, issued["key"])
        revoked = httpx.delete(f"{app_host}/auth/keys/{issued['id']}", headers=admin)
        assert revoked.status_code == 200
        # its next API call (the Status page refreshes every 5 s) is refused: 401, back to sign-in
        expect(page.get_by_label("API key or bearer token")).to_be_visible(timeout=30_000)
        assert page.evaluate("sessionStorage.length") == 0


def test_the_key_never_reaches_the_hosts_log(browser: Browser, api_key: str):
    host = start_devhost(PROJECT_ROOT, env={"LOG_LEVEL": "DEBUG", "DEVHOST_JOBS_ENABLED": "false"})
    try:
        with console_context(browser, axe=False) as context:
            page = context.new_page()
            sign_in(page, f"{host.base_url}/api/console", api_key)
            expect(page.get_by_role("region", name="Job queues")).to_be_visible()
            page.get_by_role("link", name="Jobs").click()
            expect(page.get_by_role("heading", name="Jobs", level=1)).to_be_visible()
    finally:
        host.stop()
    log = host.output()
    assert "/api/auth/whoami" in log or "auth_whoami" in log  # the calls were logged...
    secret = api_key.rsplit("_", 1)[1]
    assert secret not in log  # ...without the key
