"""``python -m bench transfer``: uploads and downloads through devhost, next to the storage SDK.

Side by side in the same run, for files of 10 MB and 100 MB:
- ours: ``POST /api/media/upload`` (multipart, streamed by the client with no Content-Length) and
  ``GET /api/media/{id}/content`` through devhost, measured from a client process; devhost's
  resident memory is sampled every 20 ms and its growth over the idle baseline reported;
- the peer: ``azure-storage-blob`` called directly in a process of its own
  (``bench/_transfer_peer.py``: ``upload_blob`` from the same stream of bytes, then
  ``download_blob().chunks()``), the least any service storing files in Azure Storage pays; its
  own memory growth is reported the same way.
Throughput is MB/s of file bytes; medians over ``--rounds``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import httpx

from bench.report import print_table, ratio, write_results
from devhost.testing import PeakMemory

MB = 1024 * 1024
BOUNDARY = "benchtransfer"
FIGURES = ("upload_mb_s", "download_mb_s", "upload_rss_growth_mb", "download_rss_growth_mb")
FIGURES = ("upload_mb_s", "download_mb_s", "upload_rss_growth_mb", "download_rss_growth_mb")


def payload(size: int, seed: str) -> Iterator[bytes]:
    """``size`` bytes of text (a type the app accepts), different for each ``seed``."""
    line = f"{seed} a line of text for the transfer benchmark\n".encode()
    piece = (line * (MB // len(line) + 1))[:MB]
    sent = 0
    while sent < size:
        chunk = piece[: min(MB, size - sent)]
        sent += len(chunk)
        yield chunk


def _ours(base_url: str, pid: int, headers: dict[str, str], size: int) -> dict[str, float]:
    def body() -> Iterator[bytes]:
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="f.txt"'
            "\r\nContent-Type: text/plain\r\n\r\n"
        ).encode()
        yield from payload(size, str(uuid.uuid4()))
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    with httpx.Client(base_url=base_url, timeout=300) as client:
        peak = PeakMemory(pid)
        start = time.perf_counter()
        response = client.post(
            "/media/upload",
            headers={**headers, "content-type": f"multipart/form-data; boundary={BOUNDARY}"},
            content=body(),
        )
        upload_s = time.perf_counter() - start
        upload_growth = peak.stop() / MB
        response.raise_for_status()
        file_id = response.json()["id"]
        peak = PeakMemory(pid)
        start = time.perf_counter()
        digest = hashlib.sha256()
        with client.stream("GET", f"/media/{file_id}/content", headers=headers) as download:
            for chunk in download.iter_bytes():
                digest.update(chunk)
        download_s = time.perf_counter() - start
        download_growth = peak.stop() / MB
        assert digest.hexdigest() == response.json()["sha256"]
        client.delete(f"/media/{file_id}", headers=headers)
    return {
        "upload_mb_s": size / MB / upload_s,
        "download_mb_s": size / MB / download_s,
        "upload_rss_growth_mb": upload_growth,
        "download_rss_growth_mb": download_growth,
    }


def _peer(size: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench._transfer_peer", str(size)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench transfer")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[10, 100])
    args = parser.parse_args(argv)

    from devhost.testing import PROJECT_ROOT, start_devhost
    from shared.auth.dev_tokens import mint_jwt

    headers = {"authorization": f"Bearer {mint_jwt('bench-transfer', scopes=['files'])}"}
    devhost = start_devhost(PROJECT_ROOT)
    results: dict[str, dict[str, float]] = {}
    try:
        base_url = f"{devhost.base_url}/api"
        for size_mb in args.sizes_mb:
            ours = [
                _ours(base_url, devhost.process.pid, headers, size_mb * MB)
                for _ in range(args.rounds)
            ]
            peer = [_peer(size_mb * MB) for _ in range(args.rounds)]
            for name, runs in (("ours", ours), ("peer", peer)):
                results[f"{name}_{size_mb}mb"] = {
                    key: round(statistics.median(run[key] for run in runs), 2) for key in runs[0]
                }
    finally:
        devhost.stop()

    rows = []
    for size_mb in args.sizes_mb:
        mine, theirs = results[f"ours_{size_mb}mb"], results[f"peer_{size_mb}mb"]
        for key in FIGURES:
            rows.append(
                [f"{size_mb} MB", key, mine[key], theirs[key], ratio(mine[key], theirs[key])]
            )
    print_table(
        "transfer: devhost (ours) vs azure-storage-blob direct (peer)",
        ["file", "figure", "ours", "peer", "ours/peer"],
        rows,
    )
    write_results("transfer", {"rounds": args.rounds, "figures": results})
