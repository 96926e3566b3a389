"""``python -m devhost``: serve a function app like ``func start`` does.

Usage: ``python -m devhost [--script-root DIR] [--host 127.0.0.1] [--port 7071]
[--grace-period 30]``. ``--port 0`` picks a free port; the chosen URL is logged as
"Listening on http://HOST:PORT". Exit status: 0 after a clean stop, 1 when the app cannot be
served, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from devhost.server import Options, run

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Command-line arguments -> :class:`devhost.server.Options`."""
    parser = argparse.ArgumentParser(
        prog="python -m devhost",
        description="Local stand-in for the Azure Functions host (HTTP and queue triggers).",
    )
    parser.add_argument(
        "--script-root",
        type=Path,
        default=Path.cwd(),
        help="folder with function_app.py and host.json (default: current directory)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="port (default: local.settings.json Host.LocalHttpPort, else 7071; 0: any free port)",
    )
    parser.add_argument(
        "--grace-period",
        type=float,
        default=30.0,
        help="seconds in-flight invocations may run after SIGINT/SIGTERM (default 30)",
    )
    args = parser.parse_args(argv)
    return Options(
        script_root=args.script_root, host=args.host, port=args.port, grace=args.grace_period
    )


class _ContextFormatter(logging.Formatter):
    """Appends the invocation's context (request id, invocation id, function) when a record
    carries it; the app binds these as record attributes while it handles a call."""

    FIELDS = ("request_id", "invocation_id", "function", "trace_id")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = [f"{n}={v}" for n in self.FIELDS if (v := getattr(record, n, None)) is not None]
        return f"{text} [{' '.join(context)}]" if context else text


def configure_logging() -> None:
    """Log to stderr; the Azure SDK's per-request INFO lines are noise here."""
    handler = logging.StreamHandler(sys.stderr)
    # Replaced by the app's JSON lines once its settings are loaded (see server._load).
    handler._platform_handler = True  # type: ignore[attr-defined]
    handler.setFormatter(_ContextFormatter(LOG_FORMAT))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("azure").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    options = parse_args(argv)
    configure_logging()
    return run(options)


if __name__ == "__main__":
    sys.exit(main())
