"""``python -m bench stream``: its parts, and ``--only`` keeping the other parts' last figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import stream


def test_the_suite_measures_every_part_it_names() -> None:
    assert stream.PARTS == ("speech", "transcription", "chat", "converse")
    assert set(stream.MEASURES) == set(stream.PARTS)


def test_only_one_part_keeps_the_others_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "RESULTS_DIR", tmp_path)
    (tmp_path / "stream.json").write_text(
        json.dumps({"suite": "stream", "when": "x", "speech": {"rows": [1]}, "chat": None})
    )
    assert stream._previous() == {"speech": {"rows": [1]}, "chat": None}


def test_the_paragraph_has_twelve_sentences() -> None:
    assert len(stream.PARAGRAPH) == 12
    assert all(sentence.endswith(".") for sentence in stream.PARAGRAPH)
