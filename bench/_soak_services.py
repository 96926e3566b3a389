"""The soak's own Redis, PostgreSQL and Azurite, which it may stop and start at will.

``scripts/services.sh`` starts them on free ports with a state folder of their own
(``LOCAL_STATE_DIR``), so the shared servers of ``make services`` (6379, 5432, 10000-10002) are
never touched. Redis keeps an append-only file (``REDIS_APPENDONLY=yes``): a restart keeps its
data, as PostgreSQL's and Azurite's keep theirs; its users are saved to an ACL file before it is
stopped and it starts from that file (``REDIS_ACLFILE``), as a production Redis keeps its users
across a restart. :meth:`SoakServices.restart` stops one server
with its own pid and starts it again on the same port with the same data folder; the app's
settings (:meth:`SoakServices.app_env`) come from ``scripts/local_env.py`` with those ports.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from devhost.testing import PROJECT_ROOT

SERVICES = ("redis", "postgres", "azurite")
SCRIPT = PROJECT_ROOT / "scripts" / "services.sh"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class SoakServices:
    """Private servers under ``state`` (a folder that is removed by :meth:`stop`)."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.ports = {
            "REDIS_PORT": free_port(),
            "POSTGRES_PORT": free_port(),
            "AZURITE_BLOB_PORT": free_port(),
            "AZURITE_QUEUE_PORT": free_port(),
            "AZURITE_TABLE_PORT": free_port(),
        }
        self._app_env: dict[str, str] = {}
        self.acl_file = state / "users.acl"

    def _script_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({name: str(port) for name, port in self.ports.items()})
        env.update(
            {
                "LOCAL_STATE_DIR": str(self.state),
                "REDIS_APPENDONLY": "yes",
                "REDIS_ACLFILE": str(self.acl_file),
            }
        )
        return env

    def _script(self, command: str) -> None:
        done = subprocess.run(
            ["bash", str(SCRIPT), command],
            env=self._script_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"services.sh {command} failed:\n{done.stdout}{done.stderr}")

    def start(self) -> None:
        """Start all three (installing Azurite from the project's copy when there is one), then
        migrate the database and create its roles, as ``make services`` does."""
        self.state.mkdir(parents=True, exist_ok=True)
        shared_node = PROJECT_ROOT / ".local" / "node"
        if shared_node.is_dir() and not (self.state / "node").exists():
            (self.state / "node").symlink_to(shared_node.resolve())
        self._script("start")
        env = {**os.environ, **self.app_env()}
        for module in ("shared.stores.migrate", "shared.stores.postgres_roles"):
            subprocess.run(
                [sys.executable, "-m", module],
                env=env,
                cwd=PROJECT_ROOT,
                check=True,
                capture_output=True,
            )

    def stop(self) -> None:
        """Stop all three and remove the state folder."""
        try:
            self._script("stop")
        finally:
            shutil.rmtree(self.state, ignore_errors=True)

    def app_env(self) -> dict[str, str]:
        """The app's settings pointed at these servers (``scripts/local_env.py``)."""
        if not self._app_env:
            printed = subprocess.run(
                [sys.executable, str(PROJECT_ROOT / "scripts" / "local_env.py")],
                env=self._script_env(),
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for line in printed.splitlines():
                name, _, value = line.removeprefix("export ").partition("=")
                self._app_env[name] = shlex.split(value)[0] if value else ""
        return dict(self._app_env)

    def _pid(self, service: str) -> int:
        if service == "postgres":
            return int((self.state / "pgdata" / "postmaster.pid").read_text().split()[0])
        return int((self.state / "run" / f"{service}.pid").read_text().split()[0])

    def _port(self, service: str) -> int:
        name = {"redis": "REDIS_PORT", "postgres": "POSTGRES_PORT"}.get(service)
        return self.ports[name or "AZURITE_QUEUE_PORT"]

    def save_redis_users(self) -> None:
        """Write the running Redis's users (``ACL LIST``: hashed passwords) to the ACL file."""
        import redis

        from shared.stores.redis_acl import ADMIN_USER, admin_password

        port = self.ports["REDIS_PORT"]
        client = redis.Redis(port=port, username=ADMIN_USER, password=admin_password())
        with client:
            users = client.execute_command("ACL", "LIST")
        self.acl_file.write_text("".join(f"{_text(user)}\n" for user in users))

    def kill(self, service: str) -> None:
        """Stop ``service`` by its pid (PostgreSQL: a fast shutdown) and wait until it is gone."""
        if service == "redis":
            self.save_redis_users()
        pid = self._pid(service)
        os.kill(pid, signal.SIGINT if service == "postgres" else signal.SIGTERM)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (_alive(pid) or port_open(self._port(service))):
            time.sleep(0.1)
        if service != "postgres":
            (self.state / "run" / f"{service}.pid").unlink(missing_ok=True)

    def revive(self) -> None:
        """Start whatever is stopped, on the same ports and data folders."""
        self._script("start")

    def restart(self, service: str, down_seconds: float) -> None:
        """:meth:`kill`, stay down ``down_seconds``, :meth:`revive`."""
        self.kill(service)
        time.sleep(down_seconds)
        self.revive()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"
