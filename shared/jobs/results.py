"""Result files of jobs in blob storage: ``<JOB_RESULTS_CONTAINER>/<job id>/<name>``.

Handlers store results through their :class:`~shared.jobs.context.JobContext`; the HTTP API lists
them in the job's ``result.files`` and serves them at ``GET /api/jobs/{id}/results/{name}``.
Uploads stream from a file object, so a result larger than memory (a long joined recording) is
never held whole.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import asdict, dataclass
from typing import IO, TYPE_CHECKING, Any

from shared.config import get_settings

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient

# Result names are chosen by handlers, but they end up in URLs and blob paths: keep them plain.
RESULT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class ResultFile:
    """One stored result, as listed in ``jobs.result.files``."""

    name: str
    content_type: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def blob_name(job_id: uuid.UUID, name: str) -> str:
    """Where result ``name`` of ``job_id`` is stored; ValueError for a name that is not plain."""
    if not RESULT_NAME.fullmatch(name):
        raise ValueError(f"invalid result name {name!r}")
    return f"{job_id}/{name}"


def results_container() -> ContainerClient:
    """The results container client (created on first upload)."""
    from shared.stores.storage import get_blob_service

    return get_blob_service().get_container_client(get_settings().job_results_container)


def store_result(
    job_id: uuid.UUID, name: str, data: bytes | IO[bytes], content_type: str
) -> ResultFile:
    """Upload (overwrite) result ``name`` and return its description."""
    from azure.core.exceptions import ResourceNotFoundError
    from azure.storage.blob import ContentSettings

    container = results_container()
    path = blob_name(job_id, name)
    settings = ContentSettings(content_type=content_type)

    # A file object's length by seeking to its end; upload() seeks back to its start.
    size = len(data) if isinstance(data, bytes) else data.seek(0, 2)

    def upload() -> None:
        if not isinstance(data, bytes):
            data.seek(0)
        container.upload_blob(
            path, data, length=size, overwrite=True, content_settings=settings, max_concurrency=2
        )

    try:
        upload()
    except ResourceNotFoundError:
        _create(container)
        upload()
    return ResultFile(name=name, content_type=content_type, size=size)


def _create(container: ContainerClient) -> None:
    from azure.core.exceptions import ResourceExistsError

    with contextlib.suppress(ResourceExistsError):
        container.create_container()


def read_result(job_id: uuid.UUID, name: str) -> bytes | None:
    """The bytes of result ``name``, or None when it does not exist."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return results_container().download_blob(blob_name(job_id, name)).readall()
    except (ResourceNotFoundError, ValueError):
        return None


def delete_results(job_id: uuid.UUID) -> None:
    """Remove every result of ``job_id`` (missing container or blobs are fine)."""
    from azure.core.exceptions import ResourceNotFoundError

    container = results_container()
    with contextlib.suppress(ResourceNotFoundError):
        for blob in container.list_blobs(name_starts_with=f"{job_id}/"):
            with contextlib.suppress(ResourceNotFoundError):
                container.delete_blob(blob.name)
