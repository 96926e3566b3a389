"""Media files and document jobs against the real PostgreSQL, Azurite and Redis."""

from __future__ import annotations

import asyncio
import io
import uuid
import wave
from collections.abc import Iterator

import pytest
from starlette.requests import Request

from shared.errors import (
    RateLimitedError,
    UnprocessableContentError,
    UnsupportedMediaTypeError,
)
from shared.jobs.models import JobStatus
from tests.utils.auth import auth_headers, owner_of
from tests.utils.http_functions import Endpoint, TestRequest
from tests.utils.pdfs import broken_pdf, encrypted_pdf, make_pdf
from tests.utils.queues import private_job_queue


@pytest.fixture
def owner() -> str:
    return f"key:media-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def speech_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Speech jobs of the test go to a queue of their own, not to the app's."""
    with private_job_queue(monkeypatch, "speech") as name:
        yield name


def owner_blobs(owner: str) -> list[str]:
    from shared.media.blobs import media_blob_name, media_container

    prefix = media_blob_name(owner, "").rstrip("/")
    return [b.name for b in media_container().list_blobs(name_starts_with=prefix)]


def test_the_same_bytes_uploaded_twice_by_one_owner_are_stored_once(owner: str):
    from shared.media.service import list_files, upload_file

    data = make_pdf(2)
    first, created = upload_file(owner, data, "report.pdf")
    second, created_again = upload_file(owner, data, "copy.pdf")
    other, other_created = upload_file(f"{owner}-other", data, "theirs.pdf")

    assert created
    assert not created_again
    assert other_created
    assert second.id == first.id
    assert second.name == "report.pdf"
    assert other.id != first.id
    assert first.content_type == "application/pdf"
    assert first.page_count == 2
    assert [f.id for f in list_files(owner, None, 10)] == [first.id]
    assert len(owner_blobs(owner)) == 1


def test_a_type_outside_the_allow_list_is_refused(owner: str):
    from shared.media.service import upload_file

    with pytest.raises(UnsupportedMediaTypeError):
        upload_file(owner, b"PK\x03\x04" + b"\x00" * 64, "archive.zip")
    assert owner_blobs(owner) == []


def test_an_oversized_upload_is_413_before_the_body_is_read_and_nothing_is_stored(
    monkeypatch: pytest.MonkeyPatch,
):
    from shared.config import reset_settings
    from shared.media.service import list_files

    user = f"media-{uuid.uuid4().hex[:12]}"

    monkeypatch.setenv("MAX_FILE_SIZE", "1000")
    reset_settings()

    from functions.media import api as media_api

    upload = media_api.functions["media_upload"]  # the function as the worker calls it

    async def never_read() -> dict:
        raise AssertionError("the body was read")

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/media/upload",
        "raw_path": b"/api/media/upload",
        "query_string": b"",
        "path_params": {},
        "headers": [
            (b"content-type", b"multipart/form-data; boundary=b"),
            (b"content-length", b"200000"),
            *((k.encode(), v.encode()) for k, v in auth_headers(user).items()),
        ],
    }
    response = asyncio.run(upload(Request(scope, never_read)))
    reset_settings()

    assert response.status_code == 413
    assert "200000 bytes" in bytes(response.body).decode()
    assert list_files(owner_of(user), None, 10) == []
    assert owner_blobs(owner_of(user)) == []


def test_a_file_part_over_the_limit_is_413_even_without_content_length(
    monkeypatch: pytest.MonkeyPatch,
):
    from functions.media import api as media_api
    from shared.config import reset_settings

    user = f"media-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("MAX_FILE_SIZE", "10")
    reset_settings()
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n" + b"x" * 11 + b"\r\n--b--\r\n"
    )
    request = TestRequest(
        "POST",
        "http://localhost/api/media/upload",
        headers={"content-type": "multipart/form-data; boundary=b", **auth_headers(user)},
        body=body,
    )

    response = Endpoint(media_api.functions["media_upload"])(request)
    reset_settings()

    assert response.status_code == 413
    assert owner_blobs(owner_of(user)) == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [(encrypted_pdf(), "encrypted"), (broken_pdf(), "cannot be read")],
)
def test_unreadable_pdfs_are_422_with_the_reason(owner: str, data: bytes, reason: str):
    from shared.media.documents import submit_extraction
    from shared.media.service import upload_file

    record, _ = upload_file(owner, data, "locked.pdf")
    assert record.unreadable_reason
    assert reason in record.unreadable_reason

    with pytest.raises(UnprocessableContentError, match=reason):
        submit_extraction(owner, record.id, None)


def test_speech_submissions_are_rate_limited_per_caller(
    owner: str, speech_queue: str, monkeypatch: pytest.MonkeyPatch
):
    from shared.config import reset_settings
    from shared.media.documents import submit_speech
    from shared.media.service import upload_file

    monkeypatch.setenv("TTS_RATE_LIMIT", "2")
    monkeypatch.setenv("MAX_CONCURRENT_JOBS", "10")
    reset_settings()
    record, _ = upload_file(owner, make_pdf(1), "doc.pdf")

    def submit() -> object:
        return submit_speech(
            owner,
            record.id,
            first_page=1,
            last_page=1,
            voice="en_US-joe-medium",
            joined=False,
            idempotency_key=None,
        )

    submit()
    submit()
    with pytest.raises(RateLimitedError) as refused:
        submit()
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60


def test_jobs_beyond_max_concurrent_jobs_are_429_until_one_finishes(
    owner: str, speech_queue: str, monkeypatch: pytest.MonkeyPatch
):
    from shared.config import reset_settings
    from shared.jobs.service import cancel_job
    from shared.media.documents import submit_speech
    from shared.media.service import upload_file

    monkeypatch.setenv("MAX_CONCURRENT_JOBS", "2")
    reset_settings()
    record, _ = upload_file(owner, make_pdf(1), "doc.pdf")

    def submit():
        job, _ = submit_speech(
            owner,
            record.id,
            first_page=1,
            last_page=None,
            voice="en_US-joe-medium",
            joined=False,
            idempotency_key=None,
        )
        return job

    first, _second = submit(), submit()
    with pytest.raises(RateLimitedError):
        submit()
    cancel_job(owner, first.id)
    assert submit().status is JobStatus.PENDING


def test_a_page_range_outside_the_document_is_422(owner: str, speech_queue: str):
    from shared.media.documents import submit_speech
    from shared.media.service import upload_file

    record, _ = upload_file(owner, make_pdf(2), "doc.pdf")
    with pytest.raises(UnprocessableContentError, match="outside"):
        submit_speech(
            owner,
            record.id,
            first_page=2,
            last_page=3,
            voice="en_US-joe-medium",
            joined=False,
            idempotency_key=None,
        )


def test_a_joined_reading_is_one_wav_of_every_page(owner: str, speech_queue: str):
    from shared.jobs.queues import poison_name
    from shared.jobs.results import read_result
    from shared.jobs.runner import run_until_empty
    from shared.jobs.service import get_job, worker_job_repository
    from shared.media.documents import submit_speech
    from shared.media.handlers import read_aloud
    from shared.media.service import upload_file
    from shared.stores.storage import get_queue

    record, _ = upload_file(owner, make_pdf(2, "Short page {n}."), "doc.pdf")
    job, _ = submit_speech(
        owner,
        record.id,
        first_page=1,
        last_page=2,
        voice="en_US-joe-medium",
        joined=True,
        idempotency_key=None,
    )

    summary = run_until_empty(
        "speech",
        read_aloud,
        queue_name=speech_queue,
        repo=worker_job_repository(),
        queue=get_queue(speech_queue),
        poison=get_queue(poison_name(speech_queue)),
    )

    assert summary.outcomes == {"succeeded": 1}
    done = get_job(owner, job.id)
    assert done.status is JobStatus.SUCCEEDED
    assert done.result is not None
    assert [f["name"] for f in done.result["files"]] == ["speech.wav"]
    audio = read_result(job.id, "speech.wav")
    assert audio is not None
    with wave.open(io.BytesIO(audio)) as wav:
        assert wav.getframerate() == 22050
        assert wav.getnchannels() == 1
        seconds = wav.getnframes() / wav.getframerate()
    assert seconds == pytest.approx(done.result["seconds"], abs=0.01)
    assert seconds > 1.0


def test_a_truncated_upload_is_400_and_stores_nothing():
    from functions.media import api as media_api

    user = f"media-{uuid.uuid4().hex[:12]}"
    # the body stops before the closing boundary: the client's upload was cut short
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nthe first half of a fil"
    )
    request = TestRequest(
        "POST",
        "http://localhost/api/media/upload",
        headers={"content-type": "multipart/form-data; boundary=b", **auth_headers(user)},
        body=body,
    )

    response = Endpoint(media_api.functions["media_upload"])(request)

    assert response.status_code == 400
    assert "closing boundary" in response.get_body().decode()
    assert owner_blobs(owner_of(user)) == []


def test_the_first_upload_of_a_new_storage_account_creates_the_container(
    monkeypatch: pytest.MonkeyPatch,
):
    from functions.media import api as media_api
    from shared.config import reset_settings
    from shared.media.blobs import media_container

    user = f"media-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("MEDIA_CONTAINER", f"media-new-{uuid.uuid4().hex[:12]}")
    reset_settings()
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nthe first file of a new account\r\n--b--\r\n"
    )
    request = TestRequest(
        "POST",
        "http://localhost/api/media/upload",
        headers={"content-type": "multipart/form-data; boundary=b", **auth_headers(user)},
        body=body,
    )
    try:
        response = Endpoint(media_api.functions["media_upload"])(request)
        assert response.status_code == 201, response.get_body()
        assert len(list(media_container().list_blobs())) == 1
    finally:
        media_container().delete_container()
        reset_settings()
