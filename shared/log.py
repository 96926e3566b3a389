"""Structured logging: context fields (request id, invocation id, function) on every record.

Handlers bind context with ``log_context(...)``; a log-record factory, installed when this module
is imported, copies the bound fields onto every record as attributes, so any handler and formatter
(the Functions worker's, a host's, or the JSON one here) can use them. Payloads and secrets are
never logged: the redaction filter masks secret setting values that slip into a message anyway.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

_context: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("log_context", default={})  # noqa: B039 - never mutated

CONTEXT_FIELDS = ("request_id", "invocation_id", "function")


@contextlib.contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Bind fields to every log record emitted inside the block (thread- and task-local)."""
    merged = {**_context.get(), **{k: v for k, v in fields.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, str]:
    """The fields bound by the innermost ``log_context``."""
    return dict(_context.get())


_base_record_factory = logging.getLogRecordFactory()


def _record_with_context(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_record_factory(*args, **kwargs)
    for key, value in _context.get().items():
        setattr(record, key, value)
    return record


# A record factory rather than a handler filter: the worker's handlers are not ours to configure.
logging.setLogRecordFactory(_record_with_context)


class RedactingFilter(logging.Filter):
    """Replaces known secret values in the formatted message with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, "***")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_FIELDS:
            if (value := getattr(record, key, None)) is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    level: str = "INFO", *, json_lines: bool = False, secrets: Iterable[str] = ()
) -> None:
    """Set up the root logger for a local host or job process (the Azure worker has its own).

    Idempotent: calling it twice does not add a second handler.
    """
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in root.handlers:
        if getattr(handler, "_platform_handler", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler._platform_handler = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter(secrets))
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
