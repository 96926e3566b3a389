"""A stoppable TCP proxy, to take a shared service away from the code under test and give it back
without stopping the service itself (other tests keep using it).

Contract of :class:`TcpProxy`:

- ``start()`` listens on ``127.0.0.1``: on an ephemeral port the first time, on the same port
  every later time (``port`` stays valid across stops, so settings that name it keep working;
  ``start()`` raises ``OSError`` if another process took the port in between).
  Each accepted connection gets its own connection to ``target`` and bytes are copied both ways
  by two threads until either side closes (a half-close is passed on as one).
- ``stop()`` closes the listener (new connections are refused) and every live connection, both
  the client's and the target's side, before it returns: a client sees the outage at once, on
  its next read or write, as it would if the service had stopped. Stopping a stopped proxy does
  nothing; ``start()`` on a running one raises ``RuntimeError``.
- A connection whose target cannot be reached is closed at once (the client reads EOF).
- ``with TcpProxy(host, port) as proxy:`` starts it and stops it on exit.

Threads only, no event loop: it works under any test and next to any driver.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from types import TracebackType

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024
_ACCEPT_POLL_SECONDS = 0.05  # how often the accept loop checks whether it should stop


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target_host:target_port``; see the module docstring."""

    def __init__(self, target_host: str, target_port: int, *, connect_timeout: float = 5.0) -> None:
        self.target = (target_host, target_port)
        self.connect_timeout = connect_timeout
        self._port = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._stopping = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()

    # -- the contract ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The listening port (0 until the first ``start()``)."""
        return self._port

    @property
    def running(self) -> bool:
        return self._listener is not None

    def live_connections(self) -> int:
        """Client connections being forwarded now."""
        with self._lock:
            return sum(1 for t in self._threads if t.name.startswith("proxy-conn"))

    def start(self) -> TcpProxy:
        """Listen (again, on the same port once it has one); returns self."""
        if self._listener is not None:
            raise RuntimeError("the proxy is already running")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # The same port again right after a stop, while closed connections sit in TIME_WAIT.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", self._port))
        except OSError:
            listener.close()
            raise
        listener.listen(128)
        listener.settimeout(_ACCEPT_POLL_SECONDS)
        self._port = int(listener.getsockname()[1])
        self._stopping.clear()
        self._listener = listener
        self._acceptor = threading.Thread(
            target=self._accept_loop, args=(listener,), name=f"proxy-accept-{self._port}"
        )
        self._acceptor.daemon = True
        self._acceptor.start()
        return self

    def stop(self) -> None:
        """Refuse new connections and close every live one; returns once all are closed."""
        listener, acceptor = self._listener, self._acceptor
        if listener is None:
            return
        logger.debug("proxy %d: stopping", self._port)
        self._stopping.set()
        if acceptor is not None:
            acceptor.join()
        listener.close()
        with self._lock:
            sockets, threads = list(self._sockets), list(self._threads)
        for sock in sockets:
            _close(sock)  # wakes the pump threads blocked in recv
        for thread in threads:
            thread.join(timeout=5)
        with self._lock:
            self._sockets.clear()
            self._threads.clear()
        self._listener = None
        self._acceptor = None

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the work --------------------------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            logger.debug("proxy %d: accepted a connection", self._port)
            self._spawn(self._connect, client, name=f"proxy-conn-{self._port}")

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=self.connect_timeout)
        except OSError as exc:
            logger.debug("proxy %d: target unreachable: %s", self._port, exc)
            self._forget(client)
            return
        upstream.settimeout(None)
        with self._lock:
            if self._stopping.is_set():  # stop() ran while this connection was being made
                _close(upstream)
                _close(client)
                return
            self._sockets.add(upstream)
        reverse = self._spawn(self._pump, upstream, client, name=f"proxy-pump-{self._port}")
        self._pump(client, upstream)
        reverse.join()
        self._forget(client)
        self._forget(upstream)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        """Copy ``source`` to ``sink`` until EOF (passed on as a half-close) or an error (both
        sockets are closed: the other direction's pump wakes up and ends too)."""
        try:
            while data := source.recv(_CHUNK):
                sink.sendall(data)
        except OSError as exc:
            logger.debug("proxy %d: connection closed: %s", self._port, exc)
            _close(source)
            _close(sink)
            return
        logger.debug("proxy %d: EOF, passed on", self._port)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def _spawn(
        self, target: Callable[..., None], *args: socket.socket, name: str
    ) -> threading.Thread:
        thread = threading.Thread(target=self._run, args=(target, *args), name=name, daemon=True)
        with self._lock:
            for sock in args:
                self._sockets.add(sock)
            self._threads.add(thread)
        thread.start()
        return thread

    def _run(self, target: Callable[..., None], *args: socket.socket) -> None:
        try:
            target(*args)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _forget(self, sock: socket.socket) -> None:
        _close(sock)
        with self._lock:
            self._sockets.discard(sock)


def _close(sock: socket.socket) -> None:
    # shutdown first: it wakes a thread blocked in recv on this socket (close alone may not).
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
