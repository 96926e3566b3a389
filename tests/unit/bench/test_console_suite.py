"""``python -m bench console``: which files count as the first page, and how sizes add up."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from bench import console


def test_the_first_page_is_the_html_and_what_it_references(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(
        '<base href="console/"><script type="module" src="./assets/index-a1.js"></script>'
        '<link rel="stylesheet" href="./assets/index-b2.css">'
    )
    script = b"console.log('first');\n" * 200
    (tmp_path / "assets" / "index-a1.js").write_bytes(script)
    (tmp_path / "assets" / "index-b2.css").write_text("body{}")
    (tmp_path / "assets" / "pdf-c3.js").write_bytes(os.urandom(8192))  # lazy: not the first page
    (tmp_path / ".built").write_text("")  # the build stamp is not shipped

    measured = console.sizes(tmp_path)

    assert console.first_page_files(tmp_path) == [
        "index.html",
        "assets/index-a1.js",
        "assets/index-b2.css",
    ]
    assert measured["files"] == 4
    expected_first = sum(
        len(gzip.compress(p.read_bytes(), compresslevel=9, mtime=0))
        for p in (
            tmp_path / "index.html",
            tmp_path / "assets/index-a1.js",
            tmp_path / "assets/index-b2.css",
        )
    )
    assert measured["first_page_gzip_kb"] == round(expected_first / 1024, 1)
    assert measured["first_page_gzip_kb"] < measured["total_gzip_kb"]
    assert measured["documents_lazy_gzip_kb"] > 0
