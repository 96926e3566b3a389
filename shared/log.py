"""Structured logging: context fields (request id, invocation id, function) on every record.

Handlers bind context with ``log_context(...)``; a log-record factory, installed when this module
is imported, copies the bound fields onto every record as attributes, so any handler and formatter
(the Functions worker's, a host's, or the JSON one here) can use them. It also copies the current
OpenTelemetry trace and span ids (``trace_id``, ``span_id``, hex) when a span is active, so a log
line names the trace it belongs to beside the request id. Payloads and secrets are never logged:
the redaction filter masks secret setting values that slip into a message anyway.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from opentelemetry import trace  # already imported by the web framework: costs nothing here

if TYPE_CHECKING:
    from shared.config import Settings

_context: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("log_context", default={})  # noqa: B039 - never mutated

CONTEXT_FIELDS = ("request_id", "invocation_id", "function", "job_id", "trace_id", "span_id")
# The app's own loggers: LOG_LEVEL applies to them in every process, the worker's included. Not
# devhost's: it stands in for the Functions host, whose own lines (routes, "Listening on") follow
# host.json's logging level, as the real host's do, whatever the app's LOG_LEVEL says.
APP_LOGGERS = ("shared", "functions", "function_app", "jobs")


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
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        record.trace_id = f"{span.trace_id:032x}"
        record.span_id = f"{span.span_id:016x}"
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
        redacted = self._masked(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # An exception's text can quote a connection string: format it now, masked; every
            # formatter reuses ``exc_text``.
            record.exc_text = self._masked(logging.Formatter().formatException(record.exc_info))
        return True

    def _masked(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


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
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Readable lines, the context fields (request, job and trace ids) at the end."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = [f"{k}={v}" for k in CONTEXT_FIELDS if (v := getattr(record, k, None)) is not None]
        return f"{text} [{' '.join(fields)}]" if fields else text


def secret_values(settings: Settings) -> list[str]:
    """Every secret the settings hold, and the passwords and account keys inside them."""
    values: list[str] = []
    for name in type(settings).model_fields:
        secret = getattr(settings, name)
        if hasattr(secret, "get_secret_value") and (text := secret.get_secret_value()):
            values.append(text)
            values.extend(_embedded_secrets(text))
    # Longest first: a password inside a masked DSN must not leave half of the DSN readable.
    return sorted(set(values), key=len, reverse=True)


def _embedded_secrets(text: str) -> list[str]:
    found = []
    if "://" in text:
        password = urlsplit(text.strip()).password
        if password:
            found.append(password)
    for part in text.split(";"):
        name, _, value = part.partition("=")
        if name.strip().lower() in {"accountkey", "sharedaccesskey", "instrumentationkey"}:
            found.append(value.strip())
    return [f for f in found if len(f) >= 6]  # never mask short common words


def apply_log_level(level: str) -> None:
    """``LOG_LEVEL`` on the app's own loggers (the worker's and the host's stay theirs)."""
    for name in APP_LOGGERS:
        logging.getLogger(name).setLevel(level.upper())


def configure_from_settings(settings: Settings, *, root: bool = True) -> None:
    """Our own processes' logging: JSON lines (``LOG_FORMAT``) with trace ids, secrets masked,
    ``LOG_LEVEL`` on the app's loggers (and on the root logger too when ``root``)."""
    configure_logging(
        settings.log_level if root else logging.getLevelName(logging.getLogger().level),
        json_lines=settings.log_format == "json",
        secrets=secret_values(settings),
    )
    apply_log_level(settings.log_level)
    logging.getLogger("azure").setLevel(logging.WARNING)  # one INFO line per storage call


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
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root.addHandler(handler)
