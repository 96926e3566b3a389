"""HTTP streams over devhost: bodies that flow both ways while they are produced.

- a 100 MB upload goes to storage block by block while devhost's memory stays flat, and comes back
  byte for byte, whole or by Range;
- caches get 304 for an unchanged file, a range outside the file is 416;
- a client that goes away mid-download stops the stream, and one that goes away mid-upload leaves
  nothing stored and its idempotency key free;
- a job's progress arrives as Server-Sent Events while the job runs;
- slow, CPU-heavy requests in flight do not stop ``/api/health`` from answering.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
import uuid
from collections.abc import Generator, Iterator
from typing import cast
from urllib.parse import urlsplit

import httpx
import pytest

from devhost.testing import PROJECT_ROOT, DevhostProcess, PeakMemory, start_devhost
from tests.utils.auth import new_caller
from tests.utils.pdfs import make_pdf

MB = 1024 * 1024
BOUNDARY = "streamsboundary"


@pytest.fixture(scope="module")
def devhost() -> Iterator[DevhostProcess]:
    """A devhost of its own, so that its memory can be watched."""
    process = start_devhost(PROJECT_ROOT)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def client(devhost: DevhostProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{devhost.base_url}/api", timeout=120) as http:
        yield http


@pytest.fixture
def alice() -> dict[str, str]:
    return new_caller("streams")


def text_file(size: int) -> Iterator[bytes]:
    """``size`` bytes of text (an allowed type), unique to this call, in 1 MB pieces."""
    line = f"{uuid.uuid4()} streamed line of text for the upload test\n".encode()
    piece = (line * (MB // len(line) + 1))[:MB]
    sent = 0
    while sent < size:
        chunk = piece[: min(MB, size - sent)]
        sent += len(chunk)
        yield chunk


def multipart(parts: Iterator[bytes], filename: str = "big.txt") -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'
    ).encode()
    yield from parts
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def framing_size(filename: str = "big.txt") -> int:
    return sum(len(p) for p in multipart(iter(()), filename))


UPLOAD_HEADERS = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def test_a_100_mb_upload_streams_to_storage_in_bounded_memory_and_comes_back_whole(
    devhost: DevhostProcess, client: httpx.Client, alice: dict[str, str]
) -> None:
    size = 100 * MB
    digest = hashlib.sha256()
    sent: dict[str, bytes] = {}

    def hashed() -> Iterator[bytes]:
        for chunk in text_file(size):
            digest.update(chunk)
            sent.setdefault("first", chunk)
            sent["last"] = chunk
            yield chunk

    # when 100 MB are uploaded (chunked: no Content-Length)
    with PeakMemory(devhost.process.pid) as memory:
        response = client.post(
            "/media/upload", headers={**alice, **UPLOAD_HEADERS}, content=multipart(hashed())
        )
    # then the file is stored whole, and devhost never held it
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["size"] == size
    assert stored["sha256"] == digest.hexdigest()
    assert memory.peak - memory.baseline < 64 * MB, (memory.baseline, memory.peak)

    # and it comes back byte for byte, with its length announced
    downloaded = hashlib.sha256()
    with client.stream("GET", f"/media/{stored['id']}/content", headers=alice) as body:
        assert body.status_code == 200
        assert body.headers["content-length"] == str(size)
        for chunk in body.iter_bytes():
            downloaded.update(chunk)
    assert downloaded.hexdigest() == stored["sha256"]

    # and by range: the last 10 bytes, and a range in the middle
    tail = client.get(f"/media/{stored['id']}/content", headers={**alice, "Range": "bytes=-10"})
    assert tail.status_code == 206
    assert tail.headers["content-range"] == f"bytes {size - 10}-{size - 1}/{size}"
    assert tail.content == sent["last"][-10:]
    middle = client.get(
        f"/media/{stored['id']}/content", headers={**alice, "Range": "bytes=1000-1999"}
    )
    assert middle.status_code == 206
    assert middle.content == sent["first"][1000:2000]
    assert middle.headers["content-length"] == "1000"


def test_an_unchanged_file_is_304_and_a_range_past_its_end_is_416(
    client: httpx.Client, alice: dict[str, str]
) -> None:
    stored = client.post(
        "/media/upload", headers=alice, files={"file": ("a.txt", f"hello {uuid.uuid4()}\n")}
    ).json()
    href = f"/media/{stored['id']}/content"
    first = client.get(href, headers=alice)
    assert first.status_code == 200
    etag = first.headers["etag"]

    cached = client.get(href, headers={**alice, "If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag

    changed = client.get(href, headers={**alice, "If-None-Match": '"another"'})
    assert changed.status_code == 200

    past = client.get(href, headers={**alice, "Range": f"bytes={stored['size'] + 5}-"})
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{stored['size']}"
    assert past.headers["content-type"] == "application/problem+json"


def streams_in_flight(client: httpx.Client) -> int:
    return int(client.get("/services/status").json()["streams_in_flight"])


def test_a_client_that_disconnects_mid_download_stops_the_stream(
    client: httpx.Client, alice: dict[str, str]
) -> None:
    # given a 30 MB file
    stored = client.post(
        "/media/upload",
        headers={**alice, **UPLOAD_HEADERS},
        content=multipart(text_file(30 * MB)),
    ).json()
    # when a client reads 1 MB of it (keeping the connection open)
    with client.stream("GET", f"/media/{stored['id']}/content", headers=alice) as body:
        pieces = cast(Generator[bytes, None, None], body.iter_bytes())
        received = 0
        while received < MB:
            received += len(next(pieces))
        assert streams_in_flight(client) == 1  # the rest waits on the server for the client
        pieces.close()
    # and goes away (the connection is closed with most of the file unread)
    # then the stream ends on the server too: nothing keeps reading storage for nobody
    deadline = time.monotonic() + 10
    while streams_in_flight(client) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert streams_in_flight(client) == 0


def test_a_client_that_disconnects_mid_upload_leaves_nothing_and_its_key_free(
    devhost: DevhostProcess, client: httpx.Client, alice: dict[str, str]
) -> None:
    key = str(uuid.uuid4())
    size = 8 * MB
    length = size + framing_size()
    url = urlsplit(devhost.base_url)
    head = (
        f"POST /api/media/upload HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f'Content-Length: {length}\r\nIdempotency-Key: "{key}"\r\n'
        + "".join(f"{k}: {v}\r\n" for k, v in alice.items())
        + "\r\n"
    ).encode()
    body = b"".join(multipart(text_file(size)))
    # when a client sends the headers and 2 MB of the body, then goes away
    with socket.create_connection((url.hostname, url.port)) as raw:
        raw.sendall(head + body[: 2 * MB])
        time.sleep(0.5)
    time.sleep(1.0)
    # then no file was stored for it
    assert client.get("/media", headers=alice).json()["items"] == []
    # and the same request sent whole with the same key runs (the key was released)
    retry = client.post(
        "/media/upload",
        headers={**alice, **UPLOAD_HEADERS, "Idempotency-Key": f'"{key}"'},
        content=body,
    )
    assert retry.status_code == 201, retry.text
    assert [f["id"] for f in client.get("/media", headers=alice).json()["items"]] == [
        retry.json()["id"]
    ]


def test_job_progress_arrives_as_events_while_the_job_runs(
    client: httpx.Client, alice: dict[str, str]
) -> None:
    # given a read-aloud job of a 3-page document
    stored = client.post(
        "/media/upload", headers=alice, files={"file": ("doc.pdf", make_pdf(3))}
    ).json()
    job = client.post(f"/media/{stored['id']}/speech", headers=alice, json={})
    assert job.status_code == 202, job.text
    events: list[tuple[float, str]] = []
    # when its events are read
    with client.stream("GET", f"/jobs/{job.json()['id']}/events", headers=alice) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append((time.monotonic(), line))
    # then several events came, the first while the job was not finished, the last its end
    import json

    statuses = [json.loads(data.removeprefix("data: "))["status"] for _, data in events]
    assert len(events) >= 2, statuses
    assert statuses[0] in ("pending", "running")
    assert statuses[-1] == "succeeded"
    assert events[-1][0] - events[0][0] > 0.2  # spread over the job's life, not sent at once


def test_health_answers_while_cpu_heavy_requests_are_in_flight(
    client: httpx.Client, alice: dict[str, str]
) -> None:
    # given several slow, CPU-bound requests (speech synthesis of long texts) in flight
    text = " ".join(f"Sentence number {n} is read aloud slowly by the engine." for n in range(40))
    finished: list[float] = []

    def synthesize() -> None:
        response = client.post(
            "/v1/audio/speech",
            headers=alice,
            json={"model": "tts-1", "input": f"{uuid.uuid4()} {text}", "voice": "alloy"},
        )
        assert response.status_code == 200, response.text
        finished.append(time.monotonic())

    workers = [threading.Thread(target=synthesize) for _ in range(4)]
    for worker in workers:
        worker.start()
    time.sleep(0.5)
    # when health is asked meanwhile
    answered = []
    for _ in range(10):
        response = client.get("/health")
        assert response.status_code == 200
        answered.append(time.monotonic())
    for worker in workers:
        worker.join()
    # then every health answer came while the slow requests were still running
    assert len(finished) == 4
    assert max(answered) < min(finished)


def test_an_audio_upload_over_the_limit_is_refused_while_it_arrives(
    client: httpx.Client, alice: dict[str, str]
) -> None:
    # a chunked body (no Content-Length) whose file passes VOICE_MAX_UPLOAD_BYTES (25 MiB)
    def body() -> Iterator[bytes]:
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"'
            "\r\nContent-Type: audio/wav\r\n\r\n"
        ).encode()
        for _ in range(30):
            yield b"\0" * MB
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    response = client.post(
        "/v1/audio/transcriptions", headers={**alice, **UPLOAD_HEADERS}, content=body()
    )
    assert response.status_code == 413
    assert "limit" in response.json()["error"]["message"]


def test_a_retried_upload_with_the_same_key_is_replayed_though_its_boundary_changed(
    client: httpx.Client, alice: dict[str, str]
) -> None:
    key = f'"{uuid.uuid4()}"'
    data = f"retried upload {uuid.uuid4()}\n".encode()
    # httpx draws a new multipart boundary for every request, as most clients do
    first = client.post(
        "/media/upload", headers={**alice, "Idempotency-Key": key}, files={"file": ("r.txt", data)}
    )
    again = client.post(
        "/media/upload", headers={**alice, "Idempotency-Key": key}, files={"file": ("r.txt", data)}
    )
    assert first.status_code == 201, first.text
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
