"""The Chat page in headless Chromium against devhost: a question about an uploaded PDF is
answered with its citation, which opens the cited page in the Documents viewer; a question the
documents do not answer is marked "no source"; sessions can be reopened."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from shared.chat.no_source import NO_SOURCE_ANSWER
from tests.chat_support import ORBITS, ZORBLANDIA
from tests.utils.browser import axe_violations, console_context, page_errors, screenshot, sign_in


def two_page_pdf(first: str, second: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in (first, second):
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


@pytest.fixture(scope="module")
def atlas(app_host: str, api_key: str) -> str:
    """An uploaded two-page PDF (Zorblandia on page 2) added to the caller's chat documents;
    returns its media file id."""
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=app_host, timeout=120) as client:
        pdf = two_page_pdf(ORBITS, ZORBLANDIA)
        uploaded = client.post("/media/upload", headers=headers, files={"file": ("atlas.pdf", pdf)})
        assert uploaded.status_code == 201, uploaded.text
        file_id: str = uploaded.json()["id"]
        added = client.post("/chat/documents", headers=headers, json={"file_id": file_id})
        assert added.status_code == 201, added.text
    return file_id


def ask(page: Page, question: str) -> None:
    page.get_by_label("Message").fill(question)
    page.get_by_role("button", name="Send").click()


def test_an_answer_cites_the_pdf_page_and_the_citation_opens_the_viewer(
    browser: Browser, console_url: str, api_key: str, atlas: str
):
    with console_context(browser) as context:
        page = context.new_page()
        errors = page_errors(page)
        sign_in(page, console_url, api_key)
        page.get_by_role("link", name="Chat").click()
        expect(page.get_by_role("heading", name="Chat", level=1)).to_be_visible()

        with page.expect_request(re.compile(r"/api/chat$")) as sent:
            ask(page, "How tall is Mount Ossery in Zorblandia?")
        assert (sent.value.post_data_json or {}).get(
            "stream"
        ) is True  # the answer is read as it streams

        answer = page.locator(".msg.assistant").last
        expect(answer).to_contain_text("2,113", timeout=120_000)
        expect(answer.get_by_text("grounded", exact=True)).to_be_visible()
        citation = answer.get_by_role("link", name="atlas.pdf, page 2").first
        expect(citation).to_be_visible()
        screenshot(page, "chat")
        assert axe_violations(page) == []

        # the citation opens the Documents viewer on that file and page
        citation.click()
        expect(page).to_have_url(re.compile(r"#/documents\?"))
        query = parse_qs(page.url.split("#/documents?", 1)[1])
        assert query == {"file": [atlas], "page": ["2"]}
        # ... where PDF.js draws the cited page, beside the text extracted from it
        expect(page.get_by_role("img", name="Page 2 of atlas.pdf")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("heading", name="Text of page 2")).to_be_visible()
        assert errors == []


def test_a_question_without_a_source_is_marked_and_the_session_reopens(
    browser: Browser, console_url: str, api_key: str, atlas: str
):
    with console_context(browser) as context:
        page = context.new_page()
        errors = page_errors(page)
        sign_in(page, console_url, api_key)
        page.get_by_role("link", name="Chat").click()
        # from the keyboard: Enter sends (Shift+Enter would add a line)
        page.get_by_label("Message").fill("Who painted the Mona Lisa?")
        page.get_by_label("Message").press("Enter")

        answer = page.locator(".msg.assistant").last
        expect(answer).to_contain_text(NO_SOURCE_ANSWER, timeout=120_000)
        expect(answer.get_by_text("no source", exact=True)).to_be_visible()
        expect(answer.get_by_text("grounded", exact=True)).to_have_count(0)
        expect(answer.get_by_role("link")).to_have_count(0)
        screenshot(page, "chat-no-source")

        # the new session is listed; a new chat is empty; opening the session shows its turn
        session = page.get_by_role("button", name=re.compile("Mona Lisa"))
        expect(session).to_be_visible()
        page.get_by_role("button", name="New chat").click()
        expect(page.locator(".msg")).to_have_count(0)
        session.click()
        expect(page.locator(".msg.user")).to_contain_text("Who painted the Mona Lisa?")
        reopened = page.locator(".msg.assistant")
        expect(reopened).to_contain_text(NO_SOURCE_ANSWER)
        expect(reopened.get_by_text("no source", exact=True)).to_be_visible()
        assert errors == []
