"""Slow database queries, found in the PostgreSQL client spans as they end.

The psycopg instrumentation times every statement; this span processor counts those slower than
``DB_SLOW_QUERY_SECONDS`` (``platform.db.slow_queries``) and logs their statement text, which holds
placeholders only (the instrumentation never captures parameters here). No extra timing code in
the stores, and nothing at all when telemetry is off.
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from shared.telemetry.metrics import instruments

logger = logging.getLogger(__name__)

STATEMENT_ATTRIBUTES = ("db.query.text", "db.statement")
MAX_LOGGED = 200


class SlowQueryProcessor(SpanProcessor):
    """Counts and logs PostgreSQL spans longer than ``threshold_seconds``."""

    def __init__(self, threshold_seconds: float) -> None:
        self._threshold_ns = int(threshold_seconds * 1e9)

    def on_end(self, span: ReadableSpan) -> None:
        attributes: Any = span.attributes or {}
        system = attributes.get("db.system.name") or attributes.get("db.system")
        if system != "postgresql" or span.start_time is None or span.end_time is None:
            return
        elapsed = span.end_time - span.start_time
        if elapsed < self._threshold_ns:
            return
        instruments().db_slow_queries.add(1, {"db.system.name": "postgresql"})
        statement = next((attributes[a] for a in STATEMENT_ATTRIBUTES if a in attributes), "")
        logger.warning("slow query (%.3f s): %s", elapsed / 1e9, str(statement)[:MAX_LOGGED])
