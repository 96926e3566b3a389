"""Which handler runs each job kind. The same handlers run as queue-triggered functions where a
kind is short enough (``functions/media.py``)."""

from __future__ import annotations

from shared.jobs.context import Handler
from shared.jobs.queues import ANALYZE, EXTRACT, ML, SPEECH, TRANSCRIBE


def handler_for(kind: str) -> Handler:
    """The handler of ``kind``; KeyError for a kind without one. Imports only that feature."""
    if kind == SPEECH:
        from shared.media.handlers import read_aloud

        return read_aloud
    if kind == EXTRACT:
        from shared.media.handlers import extract_text

        return extract_text
    if kind == TRANSCRIBE:
        from shared.voice.handlers import transcribe_audio

        return transcribe_audio
    if kind == ML:
        from shared.ml.handlers import run_batch

        return run_batch
    if kind == ANALYZE:
        from shared.core.handlers import run_analyze

        return run_analyze
    raise KeyError(kind)


KINDS = (SPEECH, EXTRACT, TRANSCRIBE, ML, ANALYZE)
