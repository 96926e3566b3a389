"""Start devhost as a real subprocess for tests.

Typical use (tests need nothing else; ``base_url`` has no route prefix)::

    from devhost.testing import run_devhost

    with run_devhost(REPO_ROOT, env={"DEVHOST_FUNCTION_KEY": "k"}) as base_url:
        response = httpx.get(f"{base_url}/api/health", headers={"x-functions-key": "k"})

:func:`run_devhost` starts ``python -m devhost --script-root ROOT --port 0`` (or the given
port), waits until it logs "Listening on ..." (the app is imported, queues are created and the
socket accepts requests), yields the base URL such as ``http://127.0.0.1:40123``, and on exit
stops it with SIGTERM (SIGKILL if it has not exited within ``stop_timeout``). When the body of
the ``with`` block succeeded but devhost did not exit with status 0, it raises
:class:`DevhostError` carrying devhost's log, so broken shutdowns fail tests.

``env`` is added to a copy of this process's environment; because existing environment variables
win over ``local.settings.json`` ``Values``, ``env`` overrides the app's local settings.

For finer control (sending signals mid-request, reading the log, checking the exit status), use
:func:`start_devhost`, which returns a :class:`DevhostProcess`.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_LISTENING = re.compile(r"Listening on (http://[^\s\"]+)")  # a plain or a JSON log line


class DevhostError(RuntimeError):
    """devhost did not start, or did not stop cleanly; the message ends with its log."""


class DevhostProcess:
    """A running ``python -m devhost`` subprocess and its collected log (stdout + stderr)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.base_url = ""
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._reader = threading.Thread(target=self._read, name="devhost-log", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def output(self) -> str:
        """Everything devhost has logged so far."""
        with self._lock:
            return "".join(self._lines)

    def wait_for_log(self, pattern: str, timeout: float = 10.0) -> re.Match[str]:
        """Block until a log line matches the regex ``pattern``; DevhostError on timeout/exit."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self._lines[seen:]:
                    found = regex.search(line)
                    if found is not None:
                        return found
                seen = len(self._lines)
                remaining = deadline - time.monotonic()
                exited = self.process.poll() is not None and not self._reader.is_alive()
                if remaining <= 0 or exited:
                    break
                self._changed.wait(min(remaining, 0.2))
        state = "exited" if exited else "timed out"
        raise DevhostError(f"devhost {state} before logging {pattern!r}\n{self.output()}")

    def send_signal(self, sig: int) -> None:
        """Send ``sig`` to devhost (e.g. signal.SIGTERM to begin a graceful stop)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)

    def wait(self, timeout: float) -> int:
        """Exit status once devhost has exited; SIGKILL and DevhostError after ``timeout``."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            self._reader.join(timeout=5)
            raise DevhostError(
                f"devhost did not exit within {timeout} s; killed\n{self.output()}"
            ) from None
        self._reader.join(timeout=5)
        return code

    def stop(self, timeout: float = 45.0) -> int:
        """SIGTERM, then :meth:`wait`; returns the exit status."""
        self.send_signal(signal.SIGTERM)
        return self.wait(timeout)


def start_devhost(
    script_root: str | os.PathLike[str],
    *,
    port: int = 0,
    env: Mapping[str, str] | None = None,
    host: str = "127.0.0.1",
    grace_period: float | None = None,
    extra_args: Sequence[str] = (),
    startup_timeout: float = 30.0,
) -> DevhostProcess:
    """Start devhost for ``script_root`` and return once it accepts requests.

    ``port`` 0 lets devhost pick a free port (no race with other tests); the URL it listens on
    is in ``.base_url``. Raises DevhostError (with devhost's log) if it exits or does not get
    ready within ``startup_timeout`` seconds; the process is killed in that case.
    """
    environment = dict(os.environ)
    environment.update(env or {})
    environment["PYTHONUNBUFFERED"] = "1"
    command = [
        sys.executable,
        "-m",
        "devhost",
        "--script-root",
        str(Path(script_root).resolve()),
        "--host",
        host,
        "--port",
        str(port),
    ]
    if grace_period is not None:
        command += ["--grace-period", str(grace_period)]
    command += list(extra_args)
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,  # so that "-m devhost" resolves to this package
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    devhost = DevhostProcess(process)
    try:
        found = devhost.wait_for_log(_LISTENING.pattern, timeout=startup_timeout)
    except DevhostError:
        if process.poll() is None:
            process.kill()
        process.wait()
        raise
    devhost.base_url = found.group(1)
    return devhost


@contextmanager
def run_devhost(
    script_root: str | os.PathLike[str],
    port: int = 0,
    env: Mapping[str, str] | None = None,
    *,
    grace_period: float | None = None,
    startup_timeout: float = 30.0,
    stop_timeout: float = 45.0,
) -> Iterator[str]:
    """Run devhost for the ``with`` block and yield its base URL (see the module docstring)."""
    devhost = start_devhost(
        script_root,
        port=port,
        env=env,
        grace_period=grace_period,
        startup_timeout=startup_timeout,
    )
    try:
        yield devhost.base_url
    except BaseException:
        with suppress(DevhostError):
            devhost.stop(stop_timeout)
        raise
    code = devhost.stop(stop_timeout)
    if code != 0:
        raise DevhostError(f"devhost exited with status {code}\n{devhost.output()}")


def resident_bytes(pid: int) -> int:
    """A process's resident memory now (``VmRSS``), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise DevhostError(f"process {pid} reports no VmRSS")


class PeakMemory:
    """The highest resident memory of a process above its value at the start, sampled every
    20 ms until ``stop()`` (or the end of a ``with`` block): what a transfer made it hold."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.baseline = resident_bytes(pid)
        self.peak = self.baseline
        self._stopped = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stopped.wait(0.02):
            self.peak = max(self.peak, resident_bytes(self.pid))

    def stop(self) -> int:
        """Stop sampling; the growth over the baseline, in bytes."""
        self._stopped.set()
        self._sampler.join()
        return self.peak - self.baseline

    def __enter__(self) -> PeakMemory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
