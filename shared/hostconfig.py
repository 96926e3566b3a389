"""Values the app needs from ``host.json`` (deployed beside ``function_app.py``)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from shared.config import PROJECT_ROOT


@functools.cache
def host_json(path: Path = PROJECT_ROOT / "host.json") -> dict[str, Any]:
    """The parsed host.json, or an empty dict when the file is absent."""
    try:
        document: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return document


def route_prefix() -> str:
    """``extensions.http.routePrefix``; the host's default is ``api``."""
    prefix = host_json().get("extensions", {}).get("http", {}).get("routePrefix", "api")
    return str(prefix)
