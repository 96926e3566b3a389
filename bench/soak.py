"""``python -m bench soak [--short]``: a mixed HTTP workload through devhost while dependencies and
processes fail, and the invariants that must hold through it.

Everything runs on the soak's own servers (``bench/_soak_services.py``: Redis, PostgreSQL and
Azurite on free ports, state in a temporary folder), its own devhost on a fixed free port, and
the job executions that devhost's scaler starts (``python -m jobs run speech``), so the shared
services and hosts of the machine are never touched.

The load (``bench/_soak_load.py``, locust in a subprocess) offers a fixed rate per route:
embeddings; ``/api/predict`` with idempotency keys and deliberate retries; chat and speech (low
rates: they are model-heavy); uploads; speech jobs. After a baseline with no faults, the
schedule runs one fault at a time: Redis, PostgreSQL and Azurite each stopped by pid and started
again on the same port and data; the job execution SIGKILLed in the middle of a job; devhost
SIGTERMed and started again. Reported: per route p50/p99 and error rates before, during and after
each fault; answered requests per second per core and the p99 of the whole mix, with no faults
(the baseline) and under the faults, same load, same run. Checked (``bench/_soak_checks.py``):
no 5xx but documented 503s (problem+json, ``Retry-After``) while something is down; every job
succeeds, exactly once; every idempotent retry answered 2xx is the first answer byte for byte;
no job lease, job slot or idempotency lease left behind; each store recovered within the
breaker's open interval (plus a margin) of coming back.

The short form (``--short``, about 2 minutes) is what ``tests/e2e/test_soak.py`` runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench._soak_checks import (
    Fault,
    Invariants,
    completions_by_job,
    fault_report,
    notes_of,
    replay_mismatches,
    requests_of,
    slow_recoveries,
    throughput,
    unexcused_failures,
)
from bench._soak_services import SoakServices, free_port
from devhost.testing import PROJECT_ROOT, DevhostProcess, start_devhost

logger = logging.getLogger("bench.soak")

BREAKER_OPEN_SECONDS = 5.0
TERMINAL = ("succeeded", "failed", "cancelled")
RECOVERY_MARGIN = 5.0  # a probe's own time, the health checker's back-off, a slow start


@dataclass(frozen=True)
class Profile:
    """How long each part runs (seconds) and the offered rate per route (requests/s)."""

    baseline: float
    gap: float  # between faults: the "after" of one and the "before" of the next
    down: float  # how long a stopped server stays down
    rates: dict[str, float]


LONG = Profile(
    baseline=60,
    gap=30,
    down=8,
    rates={"embeddings": 3, "predict": 2, "upload": 0.5, "job": 0.4, "speech": 0.1, "chat": 0.05},
)
SHORT = Profile(
    baseline=10,
    gap=10,
    down=3,
    rates={"embeddings": 1, "predict": 1, "upload": 0.3, "job": 0.4, "speech": 0.1, "chat": 0.05},
)


def app_settings(services: SoakServices) -> dict[str, str]:
    """The app's settings on the soak's servers, with short breaker and lease intervals."""
    return {
        **services.app_env(),
        "BREAKER_OPEN_SECONDS": str(BREAKER_OPEN_SECONDS),
        "JOB_MAX_EXECUTIONS_SPEECH": "1",
        "JOB_VISIBILITY_TIMEOUT_SECONDS": "10",
        "JOB_VISIBILITY_RENEW_SECONDS": "3",
        "JOB_RETRY_DELAY_SECONDS": "2",
        "JOB_POLLING_INTERVAL_SECONDS": "1",
        "TTS_RATE_LIMIT": "100000",
        "TTS_THREADS": "1",
        "MAX_CONCURRENT_JOBS": "100000",
        # INFO: the exactly-once check counts each job's "succeeded" line in the workers' log
        "LOG_LEVEL": "INFO",
    }


def make_pdf(path: Path, pages: int) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 8, f"Page {page}. The soak reads this page aloud while things fail.")
    path.write_bytes(bytes(pdf.output()))
    return path


def wait_for(what: str, check: Callable[[], bool], timeout: float, every: float = 0.25) -> float:
    """Poll ``check`` until it is true; the time it was. RuntimeError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return time.time()
        except httpx.HTTPError:
            pass
        time.sleep(every)
    raise RuntimeError(f"soak: {what} not within {timeout} s")


class Soak:
    """One run: servers, host, load, faults, checks (see the module docstring)."""

    def __init__(self, profile: Profile, workdir: Path) -> None:
        from bench._http_auth import auth_headers

        self.profile = profile
        self.workdir = workdir
        self.services = SoakServices(workdir / "state")
        self.port = free_port()
        self.user = f"soak-{uuid.uuid4().hex[:8]}"
        self.headers = auth_headers(self.user)
        self.predict_headers: dict[str, str] = {}
        self.logs: list[str] = []
        self.host: DevhostProcess | None = None
        self.faults: list[Fault] = []
        self.retried: dict[str, int] = {}  # job id -> attempts, for jobs that needed more than one
        self.stale_slots: list[str] = []  # slots of finished jobs, freed lazily
        self.pdf = workdir / "page.pdf"
        self.big_pdf = workdir / "pages.pdf"

    # -- processes ---------------------------------------------------------------------------

    def start_host(self) -> None:
        self.host = start_devhost(
            PROJECT_ROOT, port=self.port, env=app_settings(self.services), startup_timeout=90
        )

    def stop_host(self) -> int:
        assert self.host is not None
        code = self.host.stop(90)
        self.logs.append(self.host.output())
        self.host = None
        return code

    def log(self) -> str:
        return "".join(self.logs) + (self.host.output() if self.host else "")

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.api, headers=self.headers, timeout=60)

    # -- probes ------------------------------------------------------------------------------

    def predict(self, key: str) -> httpx.Response:
        from bench._soak_payloads import PREDICT_BODY

        headers = {**self.predict_headers, "Idempotency-Key": f'"{key}"'}
        with httpx.Client(base_url=self.api, timeout=60) as client:
            return client.post("/predict", json=PREDICT_BODY, headers=headers)

    def upload(self, pdf: Path) -> str:
        with self.client() as client:
            done = client.post("/media/upload", files={"file": ("probe.pdf", pdf.read_bytes())})
            done.raise_for_status()
            return str(done.json()["id"])

    def probe(self, service: str) -> bool:
        with self.client() as client:
            if service == "redis":
                return self.predict(uuid.uuid4().hex).status_code == 200
            if service == "postgres":
                return client.get("/jobs", params={"limit": 1}).status_code == 200
            if service == "azurite":
                data = self.pdf.read_bytes() + f"%{uuid.uuid4().hex}".encode()
                return client.post("/media/upload", files={"file": ("p.pdf", data)}).is_success
            return client.post("/embeddings", json={"texts": ["back"]}).status_code == 200

    def job(self, job_id: str) -> dict[str, Any]:
        with self.client() as client:
            found = client.get(f"/jobs/{job_id}")
            found.raise_for_status()
            return dict(found.json())

    # -- faults ------------------------------------------------------------------------------

    def restart_store(self, service: str) -> Fault:
        fault = Fault(service, time.time(), details={"breaker_bound": True})
        self.services.kill(service)
        time.sleep(self.profile.down)
        self.services.revive()
        fault.back = time.time()
        fault.recovered = wait_for(f"{service} recovery", lambda: self.probe(service), 120)
        return fault

    def kill_worker(self) -> Fault:
        file_id = self.upload(self.big_pdf)
        with self.client() as client:
            submitted = client.post(f"/media/{file_id}/speech", json={})
            submitted.raise_for_status()
        job_id = str(submitted.json()["id"])
        wait_for("the job to start", lambda: self.job(job_id)["status"] == "running", 120)
        assert self.host is not None
        workers = job_executions(self.host.process.pid)
        fault = Fault("worker", time.time(), details={"job": job_id, "killed": workers})
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        fault.back = time.time()
        fault.recovered = wait_for(
            "the killed job to succeed", lambda: self.job(job_id)["status"] == "succeeded", 180
        )
        fault.details["attempts"] = self.job(job_id)["attempts"]
        return fault

    def restart_host(self) -> Fault:
        fault = Fault("host", time.time())
        fault.details["exit_status"] = self.stop_host()
        self.start_host()
        fault.back = time.time()
        fault.recovered = wait_for("the host to answer", lambda: self.probe("host"), 60)
        return fault

    # -- the run -----------------------------------------------------------------------------

    def prepare(self) -> None:
        from bench._http_auth import FUNCTION_KEY

        make_pdf(self.pdf, 1)
        make_pdf(self.big_pdf, 6)
        self.services.start()
        self.start_host()
        with httpx.Client(base_url=self.api, timeout=60) as client:
            admin = {"x-functions-key": FUNCTION_KEY, **_admin()}
            issued = client.post(
                "/auth/keys",
                headers=admin,
                json={"user": self.user, "name": "soak", "scopes": ["predict"]},
            )
            issued.raise_for_status()
        self.predict_headers = {"x-functions-key": FUNCTION_KEY, "X-API-Key": issued.json()["key"]}
        self.warm_up()

    def warm_up(self) -> None:
        """One call of each route before the clock starts (models load on first use)."""
        with self.client() as client:
            calls = [
                client.post("/embeddings", json={"texts": ["warm"]}),
                client.post("/chat", json={"message": "Hi.", "options": {"max_tokens": 4}}),
                client.post("/v1/audio/speech", json={"input": "Warm.", "response_format": "wav"}),
                self.predict(uuid.uuid4().hex),
            ]
            submitted = client.post(f"/media/{self.upload(self.pdf)}/speech", json={})
        for response in [*calls, submitted]:
            if not response.is_success:
                raise RuntimeError(f"warm-up failed: {response.status_code} {response.text}")
        job_id = str(submitted.json()["id"])
        wait_for("the warm-up job", lambda: self.job(job_id)["status"] == "succeeded", 180)

    def start_load(self) -> tuple[subprocess.Popen[bytes], Path, Path]:
        config = {
            "base_url": self.api,
            "headers": self.headers,
            "predict_headers": self.predict_headers,
            "rates": self.profile.rates,
            "pdf": str(self.pdf),
            "stop_file": str(self.workdir / "stop"),
            "max_seconds": 3600,
        }
        config_path = self.workdir / "load.json"
        config_path.write_text(json.dumps(config))
        out = self.workdir / "requests.jsonl"
        command = [sys.executable, "-m", "bench._soak_load", str(config_path), str(out)]
        return subprocess.Popen(command, cwd=PROJECT_ROOT), out, self.workdir / "stop"

    def run(self) -> dict[str, Any]:
        self.prepare()
        logger.info("ready: load starts")
        load, out, stop = self.start_load()
        try:
            time.sleep(3)  # the users spawn
            baseline = (time.time(), time.time() + self.profile.baseline)
            time.sleep(self.profile.baseline)
            for fault in ("redis", "postgres", "azurite", "worker", "host"):
                time.sleep(self.profile.gap)
                self.faults.append(self.do(fault))
            time.sleep(self.profile.gap)
        finally:
            stop.touch()
            load.wait(120)
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        return self.report(lines, baseline)

    def do(self, fault: str) -> Fault:
        logger.info("fault: %s", fault)
        if fault == "worker":
            return self.kill_worker()
        if fault == "host":
            return self.restart_host()
        return self.restart_store(fault)

    def close(self) -> None:
        try:
            if self.host is not None:
                self.stop_host()
        finally:
            self.services.stop()

    # -- checks ------------------------------------------------------------------------------

    def report(self, lines: list[dict[str, Any]], baseline: tuple[float, float]) -> dict[str, Any]:
        requests = requests_of(lines)
        cores = len(os.sched_getaffinity(0))
        job_ids = [note["id"] for note in notes_of(lines, "job")]
        job_ids += [str(f.details["job"]) for f in self.faults if "job" in f.details]
        self.drain(job_ids)
        invariants = Invariants(
            server_errors=unexcused_failures(
                requests, self.faults, BREAKER_OPEN_SECONDS + RECOVERY_MARGIN
            ),
            replay_mismatches=replay_mismatches(lines),
            slow_recoveries=slow_recoveries(self.faults, BREAKER_OPEN_SECONDS + RECOVERY_MARGIN),
        )
        self.check_jobs(job_ids, invariants)
        self.check_leases(lines, invariants)
        faulted = (self.faults[0].start, self.faults[-1].recovered)
        return {
            "profile": self.profile.__dict__,
            "cores": cores,
            "no_faults": throughput(requests, *baseline, cores),
            "with_faults": throughput(requests, *faulted, cores),
            "faults": [{**f.as_json(), **fault_report(requests, f)} for f in self.faults],
            "jobs": len(job_ids),
            "jobs_retried": self.retried,
            "stale_slots": self.stale_slots,
            "predict_retries": len(notes_of(lines, "retry")),
            "invariants": invariants.as_json(),
        }

    def drain(self, job_ids: list[str]) -> None:
        """Wait for every submitted job to finish (they may have queued behind the faults)."""

        def finished() -> bool:
            return all(self.job(j)["status"] in TERMINAL for j in job_ids)

        with contextlib.suppress(RuntimeError):  # reported as lost jobs below
            wait_for("the jobs to finish", finished, 300, every=2)

    def check_jobs(self, job_ids: list[str], invariants: Invariants) -> None:
        completions = completions_by_job(self.log(), job_ids)
        for job_id in job_ids:
            job = self.job(job_id)
            if job["status"] != "succeeded" or completions[job_id] == 0:
                invariants.lost_jobs.append(f"{job_id}: {job['status']} {job.get('error')}")
            if completions[job_id] > 1:
                invariants.jobs_run_twice.append(f"{job_id}: {completions[job_id]} completions")
            if job["attempts"] > 1:
                # An attempt cut short by a fault is retried: at least once, completed once.
                self.retried[job_id] = job["attempts"]

    def check_leases(self, lines: list[dict[str, Any]], invariants: Invariants) -> None:
        """No job row still claimed, no job slot held, no idempotency key stuck in progress."""
        import psycopg
        import redis

        env = self.services.app_env()
        with psycopg.connect(env["POSTGRES_DSN"]) as conn:
            rows = conn.execute(
                "SELECT id, status FROM jobs WHERE claim_token IS NOT NULL"
                " OR status IN ('pending', 'running')"
            ).fetchall()
            finished = {
                str(row[0])
                for row in conn.execute(
                    "SELECT id FROM jobs WHERE status IN ('succeeded', 'failed', 'cancelled')"
                )
            }
        invariants.orphaned_leases += [f"job {i}: {s}" for i, s in rows]
        client = redis.Redis(port=int(env["REDIS_PORT"]), password=env["REDIS_PASSWORD"])
        for key in client.scan_iter("jobs:active:*"):
            for member in client.zrange(key, 0, -1):
                job_id = member.decode() if isinstance(member, bytes) else str(member)
                # A finished job's slot that Redis was down to free is documented to be freed
                # when the owner next reaches the limit (shared/jobs/limits.py): counted apart.
                if job_id in finished:
                    self.stale_slots.append(job_id)
                else:
                    invariants.orphaned_leases.append(f"slot of job {job_id} (not finished)")
        # A key whose first call got no answer must run now, not 409 (a lease left in Redis).
        for note in notes_of(lines, "unanswered")[:30]:
            status = self.predict(note["key"]).status_code
            if status != 200:
                invariants.orphaned_leases.append(f"predict key {note['key']}: {status}")


def job_executions(host_pid: int) -> list[int]:
    """The pids of devhost's ``python -m jobs run`` children."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == host_pid and b"jobs" in command and b"run" in command:
            found.append(int(entry.name))
    return found


def _admin() -> dict[str, str]:
    from bench._http_auth import bearer

    return {"authorization": bearer("soak-admin", scopes=["admin"])}


def run_soak(profile: Profile, log: Path | None = None) -> dict[str, Any]:
    """Run the soak once; its results (see :meth:`Soak.report`). ``log``: where to write
    devhost's log (the app's and the job executions' output) afterwards."""
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        os.chmod(folder, 0o755)  # PostgreSQL runs as its own user when we are root
        soak = Soak(profile, Path(folder))
        try:
            return soak.run()
        finally:
            soak.close()
            if log is not None:
                log.write_text(soak.log())


def main(argv: list[str]) -> None:
    from bench._soak_report import print_report
    from bench.report import write_results

    parser = argparse.ArgumentParser(prog="python -m bench soak")
    parser.add_argument("--short", action="store_true", help="the test's 2-minute form")
    parser.add_argument("--log", type=Path, help="write devhost's log to this file")
    parser.add_argument("--json", type=Path, help="write the results to this file as well")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    # A stopped run still stops its servers and host (the finally blocks run on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.getLogger("httpx").setLevel(logging.WARNING)
    results = run_soak(SHORT if args.short else LONG, args.log)
    print_report(results)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    if not args.short:
        write_results("soak", results)
