"""Lifecycle: load settings, index the app, serve HTTP and queues, shut down cleanly.

Contract: :func:`run` returns the process exit code. 0 after a clean stop on SIGINT/SIGTERM: HTTP
stops accepting connections and queue listeners stop fetching at once, in-flight invocations
get ``grace`` seconds to finish (a second signal cuts that short), and messages whose
invocation did not finish are made visible again. 1 when the app cannot be served (the reason
is logged). If sync invocations are still running in pool threads after the grace period, the
process leaves with ``os._exit(0)`` because Python cannot interrupt those threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import signal
import socket
import sys
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from azure.core.exceptions import AzureError

from devhost.auth import KeyChecker
from devhost.http_server import FunctionsHttpApp, build_app, route_table
from devhost.indexing import IndexedApp, IndexingError, function_table, index_app
from devhost.invocation import Invoker, thread_pool_size
from devhost.queues import DEFAULT_LEASE_SECONDS, QueueListener, connection_string_for
from devhost.scaler import JobScaler, ScalerConfig
from devhost.settings import (
    DEFAULT_PORT,
    HostConfig,
    SettingsError,
    apply_settings,
    load_host_config,
    load_local_settings,
)

logger = logging.getLogger(__name__)

# 404 (default) is what the real host answers for a known route with a method it does not
# accept (Azure/azure-functions-host#10098); 405 is available for those who prefer RFC 9110.
METHOD_STATUS_SETTING = "DEVHOST_METHOD_NOT_ALLOWED_STATUS"
# The host refuses (413) a request whose body is larger (its default: 100 MiB).
BODY_LIMIT_SETTING = "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"
DEFAULT_BODY_LIMIT = 104_857_600
# The host leases fetched messages for 10 minutes; tests shorten it to exercise renewal.
LEASE_SETTING = "DEVHOST_QUEUE_LEASE_SECONDS"


@dataclass(frozen=True)
class Options:
    """Command-line options of ``python -m devhost``."""

    script_root: Path
    host: str = "127.0.0.1"
    port: int | None = None  # None: local.settings.json Host.LocalHttpPort, else 7071
    grace: float = 30.0


class _Server(uvicorn.Server):
    """uvicorn server whose signals devhost handles itself (so queues stop too)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class StartupError(RuntimeError):
    """The app cannot be served; the message says why."""


def run(options: Options) -> int:
    """Serve the app under ``options.script_root`` until SIGINT/SIGTERM; return the exit code."""
    try:
        # Import and index outside the event loop, as the app's module code may use asyncio.
        loaded = _load(options)
        return asyncio.run(_serve(options, loaded))
    except (StartupError, IndexingError, SettingsError) as exc:
        logger.error("devhost cannot start: %s", exc)
        return 1


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # accepted sockets inherit it. With proto 0 Nagle's algorithm meets the client's delayed ACK
    # and every keep-alive response waits ~40 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StartupError(f"cannot listen on {host}:{port}: {exc}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


@dataclass(frozen=True)
class _Loaded:
    config: HostConfig
    app: IndexedApp
    port: int
    cors_origins: list[str]
    cors_credentials: bool


def _load(options: Options) -> _Loaded:
    root = options.script_root.resolve()
    if not root.is_dir():
        raise StartupError(f"script root {root} is not a directory")
    local = load_local_settings(root)
    applied = apply_settings(local.values)
    if local.source is not None:
        logger.info("Loaded %d setting(s) from %s", len(applied), local.source.name)
    _start_app_telemetry()
    config = load_host_config(root)
    logging.getLogger().setLevel(config.log_level)
    # The worker runs with the script root as working directory; relative paths depend on it.
    os.chdir(root)
    app = index_app(root, only=config.function_names)
    port = options.port if options.port is not None else (local.local_http_port or DEFAULT_PORT)
    return _Loaded(config, app, port, local.cors_origins, local.cors_credentials)


def _start_app_telemetry() -> None:
    """The platform's telemetry (shared/telemetry) and LOG_LEVEL for this process, which runs the
    app in-process as the worker does; with ``LOG_FORMAT=json`` explicitly set, the platform's
    JSON lines (trace ids, secrets masked) instead of devhost's readable ones."""
    try:
        from shared.config import get_settings, reset_settings
        from shared.log import apply_log_level, configure_from_settings
        from shared.telemetry import start_telemetry

        reset_settings()  # the settings just applied from local.settings.json
        settings = get_settings()
        if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
            configure_from_settings(settings, root=False)
        else:  # devhost's own readable lines (they name the trace id too)
            apply_log_level(settings.log_level)
        start_telemetry("api", settings)
    except Exception as exc:  # another app's settings (tests): devhost still serves it
        logger.warning("platform logging and telemetry not configured: %s", exc)


def _flush_app_telemetry() -> None:
    with contextlib.suppress(Exception):
        from shared.telemetry import flush_telemetry

        flush_telemetry()


def _listeners(
    app: IndexedApp, config: HostConfig, invoker: Invoker, io_pool: ThreadPoolExecutor
) -> list[QueueListener]:
    lease = int(os.environ.get(LEASE_SETTING, "") or DEFAULT_LEASE_SECONDS)
    listeners = []
    for function in app.queue_functions:
        connection = connection_string_for(function.connection, os.environ)
        if connection is None:
            raise StartupError(
                f"function {function.name!r}: connection setting {function.connection!r} "
                "is not set (add it to local.settings.json Values or the environment)"
            )
        listeners.append(
            QueueListener(
                function, config.queues, connection, invoker, io_pool, lease_seconds=lease
            )
        )
    return listeners


def _job_scaler(script_root: Path, io_pool: ThreadPoolExecutor) -> JobScaler | None:
    """The Container Apps job stand-in, when the app has jobs to run (see devhost/scaler.py)."""
    config = ScalerConfig.from_settings(os.environ, script_root)
    if config is None:
        return None
    connection = connection_string_for("AzureWebJobsStorage", os.environ)
    if connection is None:
        raise StartupError("job queues are configured but AzureWebJobsStorage is not set")
    return JobScaler(config, connection, script_root, io_pool)


def _body_size_limit() -> int:
    raw = os.environ.get(BODY_LIMIT_SETTING, "").strip()
    if not raw:
        return DEFAULT_BODY_LIMIT
    if not raw.isdigit():
        raise StartupError(f"{BODY_LIMIT_SETTING} must be a number of bytes, not {raw!r}")
    return int(raw)


def _method_mismatch_status() -> int:
    raw = os.environ.get(METHOD_STATUS_SETTING, "404").strip()
    if raw not in {"404", "405"}:
        raise StartupError(f"{METHOD_STATUS_SETTING} must be 404 or 405, not {raw!r}")
    return int(raw)


async def _serve(options: Options, loaded: _Loaded) -> int:
    config, app = loaded.config, loaded.app
    invoker = Invoker(thread_pool_size(os.environ))
    io_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="devhost-io")
    listeners = _listeners(app, config, invoker, io_pool)
    scaler = _job_scaler(options.script_root.resolve(), io_pool)
    for listener in listeners:
        try:
            await listener.prepare()
        except AzureError as exc:
            raise StartupError(
                f"queue '{listener.queue_name}' is unreachable: {exc} "
                "(is Azurite running? scripts/services.sh start)"
            ) from exc
    sock = _bind(options.host, loaded.port)
    port = sock.getsockname()[1]
    base_url = f"http://{options.host}:{port}"
    endpoint = FunctionsHttpApp(
        route_table(app.http_functions, config.route_prefix),
        KeyChecker.from_settings(os.environ),
        invoker,
        method_mismatch_status=_method_mismatch_status(),
        body_size_limit=_body_size_limit(),
    )
    server = _Server(
        uvicorn.Config(
            build_app(
                endpoint,
                cors_origins=loaded.cors_origins,
                cors_credentials=loaded.cors_credentials,
            ),
            log_config=None,
            access_log=False,
            lifespan="off",
            ws="none",
            server_header=False,
            timeout_graceful_shutdown=max(1, math.ceil(options.grace)),
        )
    )
    stop = asyncio.Event()
    force = asyncio.Event()
    _install_signals(stop, force, server)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    if serving.done():
        await serving
        return 1
    for listener in listeners:
        listener.start()
    if scaler is not None:
        scaler.start()
    logger.info("%s", function_table(app, base_url, config.route_prefix))
    logger.info("Listening on %s", base_url)
    logger.info("Press Ctrl+C to stop")
    await _first_done(stop, serving)
    server.should_exit = True
    # Close the listening socket now rather than at uvicorn's next tick (up to 100 ms later).
    for listening in server.servers:
        listening.close()
    for listener in listeners:
        listener.stop_fetching()
    logger.info("Stopped accepting requests and fetching messages")
    await asyncio.gather(
        *(listener.stop(options.grace, force) for listener in listeners),
        *([scaler.stop(options.grace)] if scaler is not None else []),
    )
    await serving
    io_pool.shutdown(wait=True)
    if invoker.running_sync:
        logger.warning(
            "%d sync invocation(s) still running after the grace period; exiting anyway",
            invoker.running_sync,
        )
        _flush_app_telemetry()
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    invoker.shutdown(wait=True)
    _flush_app_telemetry()
    logger.info("devhost stopped")
    return 0


def _install_signals(stop: asyncio.Event, force: asyncio.Event, server: uvicorn.Server) -> None:
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        if not stop.is_set():
            logger.info("Received %s: stopping (in-flight invocations may finish)", sig.name)
            stop.set()
        else:
            logger.warning("Received %s again: stopping now", sig.name)
            force.set()
            server.force_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)


async def _first_done(event: asyncio.Event, task: asyncio.Task[None]) -> None:
    waiter = asyncio.create_task(event.wait())
    try:
        await asyncio.wait([waiter, task], return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
