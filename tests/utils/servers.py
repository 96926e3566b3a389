"""Throwaway servers for tests that must stop a service mid-run without harming the shared one."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import redis


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    """Block until 127.0.0.1:port accepts connections, or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class RedisServer:
    """A private redis-server on a free port; ``stop()`` and ``start()`` it at will.

    Every start gives it the ACL users of the shared local Redis (``acl=False``: an open default
    user), so the app's settings authenticate against it as they do against the shared one;
    ``admin_client()`` may do anything there.
    """

    port: int = field(default_factory=free_port)
    extra_args: tuple[str, ...] = ()
    acl: bool = True
    _process: subprocess.Popen[bytes] | None = None
    _dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="redis-test-")))

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise AssertionError("redis-server is not installed: run scripts/services.sh start")
        self._process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._dir),
                *self.extra_args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        if self.acl:
            self._apply_acl()

    def _apply_acl(self) -> None:
        import redis

        from shared.config import Settings
        from shared.stores import redis_acl

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)
        try:
            redis_acl.apply(client, Settings())
        finally:
            client.close()

    def admin_client(self, **kwargs: Any) -> redis.Redis:
        """A client as ``admin`` (the default user when ``acl=False``)."""
        import redis

        from shared.stores import redis_acl

        if self.acl:
            kwargs = {
                "username": redis_acl.ADMIN_USER,
                "password": redis_acl.admin_password(),
                **kwargs,
            }
        return redis.Redis(host="127.0.0.1", port=self.port, **kwargs)

    def kill(self) -> None:
        """SIGKILL: the server dies at once, as a crashed host would (no shutdown, no save)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
            self._process = None

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


@contextlib.contextmanager
def redis_server(*extra_args: str) -> Iterator[RedisServer]:
    """Start a private Redis for the block; it is gone afterwards."""
    with RedisServer(extra_args=extra_args) as server:
        yield server


AZURITE_BIN = Path(__file__).resolve().parents[2] / ".local/node/node_modules/.bin/azurite"


@dataclass
class AzuriteServer:
    """A private Azurite (blob + queue + table) on free ports, keeping its state in a temporary
    folder so that ``stop()`` then ``start()`` is a restart with the data still there."""

    blob_port: int = field(default_factory=free_port)
    queue_port: int = field(default_factory=free_port)
    table_port: int = field(default_factory=free_port)
    _process: subprocess.Popen[bytes] | None = None
    _dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="azurite-test-")))

    @property
    def connection_string(self) -> str:
        from shared.config import AZURITE_ACCOUNT, AZURITE_KEY

        base = f"http://127.0.0.1:{{}}/{AZURITE_ACCOUNT}"
        return (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint={base.format(self.blob_port)};"
            f"QueueEndpoint={base.format(self.queue_port)};"
            f"TableEndpoint={base.format(self.table_port)};"
        )

    def start(self) -> None:
        if not AZURITE_BIN.exists():
            raise AssertionError(f"{AZURITE_BIN} is missing: run scripts/services.sh start")
        # The flags of scripts/services.sh, on this server's own ports and folder.
        self._process = subprocess.Popen(
            [
                str(AZURITE_BIN),
                "--silent",
                "--disableTelemetry",
                "--skipApiVersionCheck",
                "--loose",
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(self.blob_port),
                "--queueHost",
                "127.0.0.1",
                "--queuePort",
                str(self.queue_port),
                "--tableHost",
                "127.0.0.1",
                "--tablePort",
                str(self.table_port),
                "--location",
                str(self._dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.queue_port, 30)
        wait_for_port(self.blob_port, 10)

    def kill(self) -> None:
        """SIGKILL: the server dies at once, as a crashed host would (no shutdown, no save)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
            self._process = None

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None

    def __enter__(self) -> AzuriteServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
