"""The console's built files as the app serves them: only what the build produced, with the
right type, caching and compression (pure logic over a folder made by the test)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from shared.console.assets import IMMUTABLE, REVALIDATE, ConsoleBundle, console_bundle
from shared.console.responses import asset_response

SCRIPT = b"export const answer = 42;\n" * 100


@pytest.fixture
def build(tmp_path: Path) -> Path:
    # given a build like Vite's: index.html, hashed assets, a hidden stamp, and a secret beside it
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>console</title>")
    (root / "assets" / "index-AbC123.js").write_bytes(SCRIPT)
    (root / "assets" / "index-AbC123.css").write_text("body{}")
    (root / "assets" / "pdf.worker-Zz9.mjs").write_text("self.onmessage=()=>{}")
    (root / ".built").write_text("")
    (tmp_path / "secret.txt").write_text("not for the browser")
    (root / "assets" / "escape.txt").symlink_to(tmp_path / "secret.txt")
    return root


def test_only_files_the_build_produced_are_served(build: Path):
    bundle = ConsoleBundle(build)
    assert set(bundle.assets) == {
        "index.html",
        "assets/index-AbC123.js",
        "assets/index-AbC123.css",
        "assets/pdf.worker-Zz9.mjs",
    }
    outside = ("../secret.txt", "assets/../../secret.txt", "/etc/passwd", "assets/escape.txt")
    for name in (*outside, ".built", ""):
        assert bundle.get(name) is None, name


def test_types_and_caching_follow_the_file(build: Path):
    bundle = ConsoleBundle(build)
    page, script = bundle.get("index.html"), bundle.get("assets/index-AbC123.js")
    assert page is not None
    assert script is not None
    assert page.content_type == "text/html; charset=utf-8"
    assert page.cache_control == REVALIDATE  # a new build is seen at once
    assert script.content_type == "text/javascript; charset=utf-8"
    assert script.cache_control == IMMUTABLE  # hashed name: never changes
    worker = bundle.get("assets/pdf.worker-Zz9.mjs")
    assert worker is not None
    assert worker.content_type == "text/javascript; charset=utf-8"
    style = bundle.get("assets/index-AbC123.css")
    assert style is not None
    assert style.content_type == "text/css; charset=utf-8"


def test_a_script_is_gzipped_for_clients_that_accept_it_and_revalidated_by_etag(build: Path):
    script = ConsoleBundle(build).get("assets/index-AbC123.js")
    assert script is not None
    zipped = asset_response(script, {"accept-encoding": "gzip, deflate, br"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == SCRIPT
    plain = asset_response(script, {"accept-encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in plain.headers
    assert plain.body == SCRIPT
    again = asset_response(script, {"if-none-match": script.etag})
    assert again.status_code == 304
    assert again.body == b""


def test_the_page_carries_a_policy_allowing_only_its_own_scripts(build: Path):
    page = ConsoleBundle(build).get("index.html")
    assert page is not None
    headers = asset_response(page, {}).headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_no_build_means_no_bundle_and_a_rebuild_is_picked_up(build: Path, tmp_path: Path):
    assert console_bundle(tmp_path / "missing") is None
    first = console_bundle(build)
    assert first is not None
    assert console_bundle(build) is first
    (build / "assets" / "index-New456.js").write_text("export {}")
    index = build / "index.html"
    index.write_text("<!doctype html><title>new build</title>")
    stat = index.stat()
    os.utime(index, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = console_bundle(build)
    assert second is not first
    assert second is not None
    assert second.get("assets/index-New456.js") is not None
