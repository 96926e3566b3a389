"""Media and document jobs over HTTP through devhost: uploads, downloads, ownership, limits, and
jobs worked the way the cloud works them (speech: devhost's scaler starts ``python -m jobs run
speech``; extract: the queue-triggered function)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.utils.auth import new_caller
from tests.utils.pdfs import encrypted_pdf, make_pdf


@pytest.fixture
def client(app_host: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_host, timeout=30) as http:
        yield http


@pytest.fixture
def alice() -> dict[str, str]:
    return new_caller("alice")


@pytest.fixture
def bob() -> dict[str, str]:
    return new_caller("bob")


def upload(client: httpx.Client, who: dict[str, str], data: bytes, name: str = "doc.pdf") -> Any:
    response = client.post("/media/upload", headers=who, files={"file": (name, data)})
    assert response.status_code in (200, 201), response.text
    return response.json()


def wait_for_job(client: httpx.Client, who: dict[str, str], href: str, timeout: float = 45) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(href.removeprefix("/api"), headers=who).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.25)
    raise AssertionError(f"job {href} did not finish in {timeout} s: {job}")


def test_upload_read_download_and_delete_a_file(client: httpx.Client, alice, bob):
    data = make_pdf(2)
    stored = upload(client, alice, data, "Ünïcode report.pdf")
    again = client.post("/media/upload", headers=alice, files={"file": ("x.pdf", data)})

    assert stored["content_type"] == "application/pdf"
    assert stored["page_count"] == 2
    assert stored["size"] == len(data)
    assert not stored["deduplicated"]
    assert again.status_code == 200
    assert again.json()["id"] == stored["id"]
    assert again.json()["deduplicated"] is True
    content = client.get(f"/media/{stored['id']}/content", headers=alice)
    assert content.status_code == 200
    assert content.content == data
    assert content.headers["content-type"] == "application/pdf"
    assert (
        "filename*=UTF-8''%C3%9Cn%C3%AFcode%20report.pdf" in content.headers["content-disposition"]
    )
    listed = client.get("/media", headers=alice).json()["items"]
    assert [f["id"] for f in listed] == [stored["id"]]

    # another caller sees nothing of it
    for method, path in [
        ("GET", f"/media/{stored['id']}"),
        ("GET", f"/media/{stored['id']}/content"),
        ("DELETE", f"/media/{stored['id']}"),
        ("POST", f"/media/{stored['id']}/extract"),
    ]:
        assert client.request(method, path, headers=bob).status_code == 404, (method, path)
    assert client.get("/media", headers=bob).json()["items"] == []

    assert client.delete(f"/media/{stored['id']}", headers=alice).status_code == 204
    assert client.get(f"/media/{stored['id']}", headers=alice).status_code == 404


def test_an_oversized_upload_is_413_and_nothing_is_stored(client: httpx.Client, alice):
    # MAX_FILE_SIZE is 100 MiB: a body over it (plus the multipart allowance) is refused on its
    # Content-Length, before the function reads it.
    body = b"x" * (100 * 1024 * 1024 + 70 * 1024)
    response = client.post(
        "/media/upload",
        headers={**alice, "content-type": "multipart/form-data; boundary=b"},
        content=body,
    )

    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get("/media", headers=alice).json()["items"] == []


def test_a_type_outside_the_allow_list_is_415(client: httpx.Client, alice):
    response = client.post(
        "/media/upload", headers=alice, files={"file": ("a.exe", b"MZ\x90\x00" + b"\x00" * 60)}
    )
    assert response.status_code == 415
    assert "application/pdf" in response.json()["allowed"]


def test_collections_group_files(client: httpx.Client, alice, bob):
    stored = upload(client, alice, make_pdf(1))
    created = client.post("/media/collections", headers=alice, json={"name": "reading list"})
    assert created.status_code == 201
    cid = created.json()["id"]
    duplicate = client.post("/media/collections", headers=alice, json={"name": "reading list"})
    assert duplicate.status_code == 409

    path = f"/media/collections/{cid}/files/{stored['id']}"
    assert client.put(path, headers=alice).status_code == 204
    detail = client.get(f"/media/collections/{cid}", headers=alice).json()
    assert [f["id"] for f in detail["files"]] == [stored["id"]]
    filtered = client.get("/media", headers=alice, params={"collection": cid}).json()["items"]
    assert [f["id"] for f in filtered] == [stored["id"]]
    assert client.get(f"/media/collections/{cid}", headers=bob).status_code == 404
    assert client.put(path, headers=bob).status_code == 404

    assert client.delete(path, headers=alice).status_code == 204
    assert client.delete(f"/media/collections/{cid}", headers=alice).status_code == 204
    assert client.get(f"/media/collections/{cid}", headers=alice).status_code == 404


def test_read_a_document_aloud_as_a_job(client: httpx.Client, alice, bob):
    stored = upload(client, alice, make_pdf(2, "Page {n}."))
    key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}

    submitted = client.post(f"/media/{stored['id']}/speech", headers={**alice, **key}, json={})
    retried = client.post(f"/media/{stored['id']}/speech", headers={**alice, **key}, json={})

    assert submitted.status_code == 202, submitted.text
    location = submitted.headers["location"]
    assert location == f"/api/jobs/{submitted.json()['id']}"
    assert retried.status_code == 202
    assert retried.json()["id"] == submitted.json()["id"]
    assert retried.headers.get("idempotent-replayed") == "true"

    job = wait_for_job(client, alice, location)

    assert job["status"] == "succeeded", job
    assert job["progress"] == 100
    assert job["attempts"] == 1
    assert [r["name"] for r in job["results"]] == ["page-0001.wav", "page-0002.wav"]
    audio = client.get(job["results"][0]["href"].removeprefix("/api"), headers=alice)
    assert audio.status_code == 200
    assert audio.content[:4] == b"RIFF"
    assert audio.headers["content-type"] == "audio/wav"
    assert client.get(location.removeprefix("/api"), headers=bob).status_code == 404
    assert (
        client.get(job["results"][0]["href"].removeprefix("/api"), headers=bob).status_code == 404
    )
    assert client.delete(location.removeprefix("/api"), headers=bob).status_code == 404
    assert client.delete(location.removeprefix("/api"), headers=alice).status_code == 409


def test_extract_the_text_of_every_page(client: httpx.Client, alice):
    stored = upload(client, alice, make_pdf(3, "Text of page {n}."))

    submitted = client.post(f"/media/{stored['id']}/extract", headers=alice)
    assert submitted.status_code == 202, submitted.text
    job = wait_for_job(client, alice, submitted.headers["location"])

    assert job["status"] == "succeeded", job
    assert job["result"]["pages"] == 3
    [result] = job["results"]
    lines = client.get(result["href"].removeprefix("/api"), headers=alice).text.splitlines()
    pages = [json.loads(line) for line in lines]
    assert [p["page"] for p in pages] == [1, 2, 3]
    assert pages[1]["text"].startswith("Text of page 2.")


def test_an_encrypted_pdf_is_422_with_the_reason(client: httpx.Client, alice):
    stored = upload(client, alice, encrypted_pdf())

    for action in ("extract", "speech"):
        response = client.post(f"/media/{stored['id']}/{action}", headers=alice, json={})
        assert response.status_code == 422, action
        assert "encrypted" in response.json()["detail"]


def test_a_pending_job_cancelled_never_runs(client: httpx.Client, alice):
    stored = upload(client, alice, make_pdf(1))
    submitted = client.post(f"/media/{stored['id']}/speech", headers=alice, json={})
    path = submitted.headers["location"].removeprefix("/api")

    cancelled = client.delete(path, headers=alice)

    assert cancelled.status_code == 202
    job = wait_for_job(client, alice, path)
    assert job["status"] == "cancelled"
    assert job["results"] == []
    listed = client.get("/jobs", headers=alice, params={"status": "cancelled"}).json()
    assert [j["id"] for j in listed["items"]] == [job["id"]]
