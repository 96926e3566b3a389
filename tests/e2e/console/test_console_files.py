"""The console's files over HTTP through devhost: the page, its hashed assets, and nothing else."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.utils.browser import require_console_build


@pytest.fixture(scope="module")
def page(app_host: str) -> httpx.Response:
    require_console_build()
    return httpx.get(f"{app_host}/console")


def test_the_page_is_public_html_that_references_only_hashed_files(page: httpx.Response):
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="\./(assets/[^"]+)"', page.text)
    assert any(a.endswith(".js") for a in assets)
    assert any(a.endswith(".css") for a in assets)
    assert all(re.search(r"-[A-Za-z0-9_-]{8}\.(js|css)$", a) for a in assets), assets


def test_assets_are_typed_cached_for_a_year_and_gzipped(app_host: str, page: httpx.Response):
    for name in re.findall(r'(?:src|href)="\./(assets/[^"]+)"', page.text):
        response = httpx.get(f"{app_host}/console/{name}", headers={"accept-encoding": "gzip"})
        assert response.status_code == 200, name
        expected = "text/javascript" if name.endswith(".js") else "text/css"
        assert response.headers["content-type"].startswith(expected)
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["x-content-type-options"] == "nosniff"
        if len(response.content) > 1024:
            assert response.headers["content-encoding"] == "gzip"


def test_unknown_files_and_paths_out_of_the_build_are_404(app_host: str):
    with httpx.Client(base_url=app_host) as client:
        for path in (
            "/console/assets/nope-12345678.js",
            "/console/.built",
            "/console/assets/..%2f..%2f..%2fhost.json",
            "/console/%2e%2e/%2e%2e/function_app.py",
            "/console/..%5c..%5cfunction_app.py",
        ):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"] == "application/problem+json"


def test_the_page_is_always_served_at_one_url(app_host: str):
    for path in ("/console/", "/console/index.html"):
        response = httpx.get(f"{app_host}{path}")
        assert response.status_code == 308
        assert response.headers["location"].endswith("/api/console")
