"""``python -m bench jobs``: the jobs platform under devhost, and PDF extraction next to pypdf.

- queue-to-start latency: one-page speech jobs submitted over HTTP one at a time to an idle
  devhost (its scaler polls every ``JOB_POLLING_INTERVAL_SECONDS``, 2 s); latency is the job's
  ``started_at - created_at`` (both from PostgreSQL's clock): scaler poll + process start + claim;
- throughput: 50 one-page speech jobs submitted at once, worked by 1 and then 2 executions
  (``JOB_MAX_EXECUTIONS_SPEECH``); jobs/s from the first submission to the last completion. Peer:
  Piper synthesizing the same page 50 times in one process (no queue, database or storage);
- extraction of a 1,000-page PDF generated now (fpdf2, 40 lines a page): ours is ``python -m jobs
  run extract`` (download from blob, page-by-page text, JSON lines uploaded as the result); the
  peer is pypdf used directly on the local file writing the same JSON lines. Each runs in a fresh
  process; peak memory is its maximum RSS (``wait4``), growth is that minus the same process
  doing nothing (ours: the job on an empty queue; peer: ``import pypdf``).

Every run uses its own queues, so a running ``make run`` is not disturbed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench._http_auth import auth_headers
from bench.report import print_table, ratio, summarize_ms, write_results
from devhost.testing import PROJECT_ROOT, start_devhost

PAGE_TEXT = "Page one. The platform reads this short page aloud for the benchmark."


def _env(tag: str, executions: int) -> dict[str, str]:
    # Executions sharing this machine's cores get one ONNX Runtime thread each (TTS_THREADS);
    # in Container Apps each execution has its own cores and keeps the default.
    return {
        "TTS_THREADS": "1" if executions > 1 else "0",
        "JOB_QUEUE_SPEECH": f"bench-speech-{tag}",
        "JOB_QUEUE_EXTRACT": f"bench-extract-{tag}",
        "JOB_MAX_EXECUTIONS_SPEECH": str(executions),
        "JOB_MAX_EXECUTIONS_EXTRACT": "0",
        "TTS_RATE_LIMIT": "100000",
        "MAX_CONCURRENT_JOBS": "100000",
        "LOG_LEVEL": "WARNING",
    }


def _one_page_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, PAGE_TEXT)
    return bytes(pdf.output())


def _unfinished(ids: list[uuid.UUID]) -> int:
    # One query per poll: polling every job would steal CPU from the workers being measured.
    from shared.stores.postgres import get_pool

    with get_pool().connection() as conn:
        row = conn.execute(
            "SELECT count(*) FROM jobs WHERE id = ANY(%s) AND status IN ('pending', 'running')",
            (ids,),
        ).fetchone()
    return int(row[0]) if row else 0


def _wait_done(job_ids: list[str], timeout: float) -> list[Any]:
    from shared.jobs.service import worker_job_repository

    ids = [uuid.UUID(j) for j in job_ids]
    deadline = time.monotonic() + timeout
    while _unfinished(ids):
        if time.monotonic() > deadline:
            raise RuntimeError(f"jobs not finished within {timeout} s")
        time.sleep(0.5)
    jobs = [worker_job_repository().get(job_id) for job_id in ids]
    failed = [j for j in jobs if j is None or j.status.value != "succeeded"]
    if failed:
        raise RuntimeError(f"{len(failed)} job(s) did not succeed: {failed[0]}")
    return jobs


def _submit(client: httpx.Client, file_id: str) -> str:
    response = client.post(f"/api/media/{file_id}/speech", json={})
    response.raise_for_status()
    return str(response.json()["id"])


def _devhost_run(executions: int, jobs: int, latency_samples: int) -> dict[str, Any]:
    host = start_devhost(PROJECT_ROOT, env=_env(uuid.uuid4().hex[:8], executions))
    try:
        # One user for the run (the function key and a JWT on every request).
        credentials = auth_headers("bench-jobs")
        with httpx.Client(base_url=host.base_url, timeout=60, headers=credentials) as client:
            upload = client.post("/api/media/upload", files={"file": ("p.pdf", _one_page_pdf())})
            file_id = upload.raise_for_status().json()["id"]
            latencies = []
            for _ in range(latency_samples):
                [job] = _wait_done([_submit(client, file_id)], 60)
                latencies.append((job.started_at - job.created_at).total_seconds())
                time.sleep(0.5)  # the execution sees an empty queue and exits: idle again
            ids = [_submit(client, file_id) for _ in range(jobs)]
            done = _wait_done(ids, 600)
    finally:
        host.stop()
    first = min(j.created_at for j in done)
    last = max(j.finished_at for j in done)
    return {
        "jobs": jobs,
        "seconds": round((last - first).total_seconds(), 3),
        "jobs_per_second": round(jobs / (last - first).total_seconds(), 3),
        "run_ms": summarize_ms([(j.finished_at - j.started_at).total_seconds() for j in done]),
        "queue_to_start": summarize_ms(latencies) if latencies else None,
    }


def _peer_synthesis(jobs: int) -> dict[str, Any]:
    from shared.speech.piper import get_synthesizer

    synthesizer = get_synthesizer()
    synthesizer.synthesize("warm up")
    started = time.perf_counter()
    for _ in range(jobs):
        synthesizer.synthesize(PAGE_TEXT).wav()
    seconds = time.perf_counter() - started
    return {"jobs": jobs, "seconds": round(seconds, 3), "jobs_per_second": round(jobs / seconds, 3)}


def _make_big_pdf(path: Path, pages: int) -> float:
    from fpdf import FPDF

    started = time.perf_counter()
    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    line = "The quick brown fox jumps over the lazy dog; page {n}, line {i} of the benchmark."
    for n in range(1, pages + 1):
        pdf.add_page()
        for i in range(40):
            pdf.text(10, 15 + i * 6.5, line.format(n=n, i=i))
    pdf.output(str(path))
    return time.perf_counter() - started


def _measured(module_args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MiB) and stdout (less the peak line) of ``python -m`` in a fresh
    process (see bench/_peak.py for why the peak is measured inside it)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench._peak", *module_args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    *lines, last = done.stdout.strip().splitlines()
    return wall, json.loads(last)["peak_kib"] // 1024, "\n".join(lines)


def _extraction(pages: int, repetitions: int) -> dict[str, Any]:
    from shared.config import reset_settings
    from shared.jobs.service import get_job
    from shared.media.documents import submit_extraction
    from shared.media.service import upload_file

    env = _env(uuid.uuid4().hex[:8], 0)
    os.environ.update(env)
    reset_settings()
    owner = f"bench:{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.pdf"
        generated = _make_big_pdf(path, pages)
        record, _ = upload_file(owner, path.read_bytes(), "big.pdf")
        job_cmd = ["jobs", "run", "extract"]
        ours_base = _measured(job_cmd, env)[1]  # the queue is empty: imports and connections
        peer_base = _measured(["bench._jobs_extract_peer", "--idle"], env)[1]
        rows: dict[str, list[dict[str, float]]] = {"ours": [], "pypdf": []}
        for _ in range(repetitions):
            job, _ = submit_extraction(owner, record.id, None)
            wall, peak, _ = _measured(job_cmd, env)
            done = get_job(owner, job.id)
            if done.status.value != "succeeded" or not (done.started_at and done.finished_at):
                raise RuntimeError(f"extraction job {done.id} {done.status.value}: {done.error}")
            seconds = (done.finished_at - done.started_at).total_seconds()
            rows["ours"].append({"seconds": seconds, "wall": wall, "peak": peak})
            wall, peak, out = _measured(
                ["bench._jobs_extract_peer", str(path), str(Path(tmp) / "peer.jsonl")], env
            )
            rows["pypdf"].append(
                {"seconds": json.loads(out)["seconds"], "wall": wall, "peak": peak}
            )
    result: dict[str, Any] = {"pages": pages, "pdf_bytes": record.size}
    result["generate_seconds"] = round(generated, 3)
    for name, base in (("ours", ours_base), ("pypdf", peer_base)):
        runs = rows[name]
        peak = int(statistics.median(r["peak"] for r in runs))
        result[name] = {
            "seconds": round(statistics.median(r["seconds"] for r in runs), 3),
            "process_seconds": round(statistics.median(r["wall"] for r in runs), 3),
            "peak_rss_mib": peak,
            "idle_rss_mib": base,
            "growth_mib": peak - base,
        }
    return result


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench jobs")
    parser.add_argument("--jobs", type=int, default=50, help="speech jobs per throughput run")
    parser.add_argument("--latency-samples", type=int, default=8)
    parser.add_argument("--pages", type=int, default=1000, help="pages of the extraction PDF")
    parser.add_argument("--repetitions", type=int, default=3, help="extraction runs (median)")
    args = parser.parse_args(argv)

    one = _devhost_run(1, args.jobs, args.latency_samples)
    two = _devhost_run(2, args.jobs, 0)
    peer = _peer_synthesis(args.jobs)
    extraction = _extraction(args.pages, args.repetitions)
    results = {
        "queue_to_start": one["queue_to_start"],
        "throughput": {"workers_1": one, "workers_2": two, "piper_direct": peer},
        "extraction": extraction,
        "ratios": {
            "throughput_2_vs_1_worker": ratio(two["jobs_per_second"], one["jobs_per_second"]),
            "throughput_2_workers_vs_piper_direct": ratio(
                two["jobs_per_second"], peer["jobs_per_second"]
            ),
            "extraction_time": ratio(extraction["ours"]["seconds"], extraction["pypdf"]["seconds"]),
            "extraction_peak_rss": ratio(
                extraction["ours"]["peak_rss_mib"], extraction["pypdf"]["peak_rss_mib"]
            ),
            "extraction_growth": ratio(
                extraction["ours"]["growth_mib"], extraction["pypdf"]["growth_mib"]
            ),
        },
        "method": {
            "polling_interval_seconds": 2,
            "latency": "started_at - created_at of a job submitted to an idle devhost",
            "throughput": "jobs / (last finished_at - first created_at), one-page PDF",
            "extraction": "median of repetitions; each side in a fresh process",
            "tts_threads": "0 (all cores) with 1 execution, 1 per execution with 2",
        },
    }
    path = write_results("jobs", results)
    _print(results)
    print(f"\nresults: {path}")


def _print(results: dict[str, Any]) -> None:
    latency = results["queue_to_start"]
    print_table(
        "Queue-to-start latency under devhost (idle queue, polling 2 s)",
        ["samples", "p50 ms", "p99 ms", "mean ms"],
        [[latency["n"], latency["p50_ms"], latency["p99_ms"], latency["mean_ms"]]],
    )
    throughput = results["throughput"]
    print_table(
        "Throughput: one-page speech jobs",
        ["run", "jobs", "seconds", "jobs/s", "run p50 ms"],
        [
            [name, r["jobs"], r["seconds"], r["jobs_per_second"], r.get("run_ms", {}).get("p50_ms")]
            for name, r in throughput.items()
        ],
    )
    extraction = results["extraction"]
    print_table(
        f"Extraction of a {extraction['pages']}-page PDF ({extraction['pdf_bytes']} bytes)",
        ["impl", "extract s", "process s", "peak RSS MiB", "idle RSS MiB", "growth MiB"],
        [[name, *extraction[name].values()] for name in ("ours", "pypdf")],
    )
    print_table("Ratios", ["measure", "value"], list(results["ratios"].items()))
