"""tests/utils/proxy.py against a tiny echo server: forwards both ways, a stop is seen at once by
live clients and refuses new ones, a start serves again on the same port."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.utils.proxy import TcpProxy
from tests.utils.servers import free_port


@pytest.fixture
def echo_port() -> Iterator[int]:
    """An echo server on 127.0.0.1 (one thread per connection)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stopping = threading.Event()

    def echo(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            while data := conn.recv(4096):
                conn.sendall(data)

    def serve() -> None:
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(None)
            threading.Thread(target=echo, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stopping.set()
    thread.join()
    listener.close()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=2)


def roundtrip(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(payload)
    received = b""
    while len(received) < len(payload):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def test_forwards_both_ways_and_passes_a_half_close_on(echo_port: int) -> None:
    with TcpProxy("127.0.0.1", echo_port) as proxy, connect(proxy.port) as client:
        assert proxy.port != echo_port
        payload = bytes(range(256)) * 1024  # larger than one chunk
        assert roundtrip(client, payload) == payload
        client.shutdown(socket.SHUT_WR)
        assert client.recv(10) == b""  # the echo server saw EOF and closed its side


def test_stop_closes_live_connections_at_once_and_refuses_new_ones(echo_port: int) -> None:
    proxy = TcpProxy("127.0.0.1", echo_port).start()
    client = connect(proxy.port)
    try:
        assert roundtrip(client, b"ping") == b"ping"
        assert proxy.live_connections() == 1
        started = time.perf_counter()
        proxy.stop()
        assert time.perf_counter() - started < 1
        assert proxy.live_connections() == 0
        with contextlib.suppress(ConnectionResetError):
            assert client.recv(10) == b""  # EOF, not a wait for the 2 s timeout
        with pytest.raises(ConnectionRefusedError):
            connect(proxy.port)
        proxy.stop()  # stopping again does nothing
    finally:
        client.close()
        proxy.stop()


def test_start_again_listens_on_the_same_port(echo_port: int) -> None:
    proxy = TcpProxy("127.0.0.1", echo_port)
    with proxy:
        port = proxy.port
        with connect(port) as client:
            assert roundtrip(client, b"one") == b"one"
    assert not proxy.running
    with proxy:
        assert proxy.port == port
        with connect(port) as client:
            assert roundtrip(client, b"two") == b"two"
        with pytest.raises(RuntimeError, match="already running"):
            proxy.start()


def test_a_connection_to_an_unreachable_target_is_closed() -> None:
    with (
        TcpProxy("127.0.0.1", free_port(), connect_timeout=1) as proxy,
        connect(proxy.port) as client,
        contextlib.suppress(ConnectionResetError),
    ):
        assert client.recv(10) == b""
