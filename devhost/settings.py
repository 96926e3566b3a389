"""host.json and local.settings.json, read the way ``func start`` reads them.

Contract:

* :func:`load_local_settings` reads ``local.settings.json`` from the script root, or
  ``local.settings.sample.json`` when the former is absent (neither: no settings).
* :func:`apply_settings` copies ``Values`` into ``os.environ`` without overwriting variables
  that are already set, so the caller's environment (tests, CI) always wins.
* :func:`load_host_config` reads ``host.json`` into a :class:`HostConfig` with the documented
  defaults of the Functions host for everything devhost uses.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

LOCAL_SETTINGS = "local.settings.json"
SAMPLE_SETTINGS = "local.settings.sample.json"
HOST_JSON = "host.json"
DEFAULT_PORT = 7071

_TIMESPAN = re.compile(r"(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)")
_LOG_LEVELS = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "information": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "none": logging.CRITICAL + 10,
}


class SettingsError(ValueError):
    """A settings file devhost cannot use; the message says which and why."""


def parse_timespan(value: str) -> float:
    """Seconds in a .NET TimeSpan string such as ``00:01:00`` or ``1.02:03:04.5``."""
    found = _TIMESPAN.fullmatch(value.strip())
    if found is None:
        raise SettingsError(f"not a TimeSpan (expected [d.]hh:mm:ss[.fff]): {value!r}")
    days, hours, minutes, seconds = found.groups()
    return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)


@dataclass(frozen=True)
class LocalSettings:
    """The parts of local.settings.json devhost uses."""

    source: Path | None
    values: dict[str, str] = field(default_factory=dict)
    host: dict[str, Any] = field(default_factory=dict)

    @property
    def local_http_port(self) -> int | None:
        """``Host.LocalHttpPort``, which ``func start`` uses when no ``--port`` is given."""
        port = self.host.get("LocalHttpPort")
        return int(port) if port is not None else None

    @property
    def cors_origins(self) -> list[str]:
        """``Host.CORS`` as a list of origins (``*`` allowed); empty when CORS is off."""
        raw = str(self.host.get("CORS") or "")
        return [origin.strip() for origin in raw.split(",") if origin.strip()]

    @property
    def cors_credentials(self) -> bool:
        """``Host.CORSCredentials``."""
        return bool(self.host.get("CORSCredentials", False))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        # utf-8-sig: files saved by Windows editors often start with a BOM.
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{path} must contain a JSON object")
    return data


def _as_setting(name: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        # func reads Values as strings; JSON true/false come through as "True"/"False".
        return str(value)
    if isinstance(value, int | float):
        return str(value)
    raise SettingsError(f"setting {name!r} must be a string, got {type(value).__name__}")


def load_local_settings(script_root: Path) -> LocalSettings:
    """Read local.settings.json (or the sample next to it) from ``script_root``."""
    for name in (LOCAL_SETTINGS, SAMPLE_SETTINGS):
        path = script_root / name
        if path.is_file():
            break
    else:
        logger.info("No %s or %s in %s", LOCAL_SETTINGS, SAMPLE_SETTINGS, script_root)
        return LocalSettings(source=None)
    data = _read_json(path)
    if data.get("IsEncrypted"):
        raise SettingsError(f"{path} is encrypted; devhost only reads plain settings")
    raw_values = data.get("Values") or {}
    host = data.get("Host") or {}
    if not isinstance(raw_values, dict) or not isinstance(host, dict):
        raise SettingsError(f"{path}: 'Values' and 'Host' must be JSON objects")
    values = {str(k): _as_setting(str(k), v) for k, v in raw_values.items()}
    return LocalSettings(source=path, values=values, host=host)


def apply_settings(
    values: Mapping[str, str], environ: MutableMapping[str, str] | None = None
) -> list[str]:
    """Put ``values`` into the environment; variables already set win. Returns names set."""
    target = os.environ if environ is None else environ
    applied = []
    for name, value in values.items():
        if name not in target:
            target[name] = value
            applied.append(name)
    return applied


@dataclass(frozen=True)
class QueueOptions:
    """``extensions.queues`` of host.json, with the host's documented defaults."""

    batch_size: int = 16
    new_batch_threshold: int = 8
    max_polling_interval: float = 60.0
    visibility_timeout: float = 0.0
    max_dequeue_count: int = 5
    message_encoding: str = "base64"

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> QueueOptions:
        """Build from the host.json section; raises SettingsError on out-of-range values."""
        batch_size = int(raw.get("batchSize", 16))
        if not 1 <= batch_size <= 32:
            raise SettingsError("extensions.queues.batchSize must be between 1 and 32")
        threshold = int(raw.get("newBatchThreshold", batch_size // 2))
        if threshold < 0:
            raise SettingsError("extensions.queues.newBatchThreshold must not be negative")
        polling = parse_timespan(str(raw.get("maxPollingInterval", "00:01:00")))
        if polling < 0.1:
            raise SettingsError("extensions.queues.maxPollingInterval must be at least 100 ms")
        visibility = parse_timespan(str(raw.get("visibilityTimeout", "00:00:00")))
        max_dequeue = int(raw.get("maxDequeueCount", 5))
        if max_dequeue < 1:
            raise SettingsError("extensions.queues.maxDequeueCount must be at least 1")
        encoding = str(raw.get("messageEncoding", "base64")).lower()
        if encoding not in {"base64", "none"}:
            raise SettingsError("extensions.queues.messageEncoding must be 'base64' or 'none'")
        return cls(
            batch_size=batch_size,
            new_batch_threshold=threshold,
            max_polling_interval=polling,
            visibility_timeout=visibility,
            max_dequeue_count=max_dequeue,
            message_encoding=encoding,
        )


@dataclass(frozen=True)
class HostConfig:
    """The parts of host.json devhost honours."""

    route_prefix: str = "api"
    queues: QueueOptions = field(default_factory=QueueOptions)
    log_level: int = logging.INFO
    function_names: tuple[str, ...] | None = None  # host.json "functions": load only these


def load_host_config(script_root: Path) -> HostConfig:
    """Read host.json from ``script_root``; a missing file gives the host defaults."""
    path = script_root / HOST_JSON
    if not path.is_file():
        # The real host refuses to start without host.json; say so, but keep going.
        logger.warning("No %s in %s: using the host defaults", HOST_JSON, script_root)
        return HostConfig()
    data = _read_json(path)
    extensions = data.get("extensions") or {}
    http = extensions.get("http") or {}
    prefix = http.get("routePrefix", "api")
    if not isinstance(prefix, str):
        raise SettingsError(f"{path}: extensions.http.routePrefix must be a string")
    queues = QueueOptions.from_json(extensions.get("queues") or {})
    level_name = str(((data.get("logging") or {}).get("logLevel") or {}).get("default", ""))
    functions = data.get("functions")
    return HostConfig(
        route_prefix=prefix.strip().strip("/"),
        queues=queues,
        log_level=_LOG_LEVELS.get(level_name.lower(), logging.INFO),
        function_names=tuple(str(f) for f in functions) if isinstance(functions, list) else None,
    )
