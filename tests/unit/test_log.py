"""Structured logging: context on every record, JSON lines, secrets masked."""

from __future__ import annotations

import json
import logging

from shared.log import JsonFormatter, RedactingFilter, log_context


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.getLogger("t").makeRecord("t", logging.INFO, __file__, 1, message, args, None)


def test_json_lines_carry_the_bound_context():
    with log_context(request_id="r1", invocation_id="i1", function="f"):
        record = _record("done %s", "ok")
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "done ok"
    assert (entry["request_id"], entry["invocation_id"], entry["function"]) == ("r1", "i1", "f")


def test_context_ends_with_its_block():
    with log_context(request_id="r1"):
        pass
    assert not hasattr(_record("x"), "request_id")


def test_secret_values_are_masked_wherever_they_appear():
    record = _record("connecting with %s", "postgresql://app:s3cret-pass@db/app")
    RedactingFilter(["s3cret-pass"]).filter(record)
    assert record.getMessage() == "connecting with postgresql://app:***@db/app"
