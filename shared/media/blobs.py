"""The ``media-files`` container: one blob per distinct (owner, content), named
``<owner hash>/<sha256>`` so the same bytes of one owner are one blob."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from shared.config import get_settings
from shared.errors import ServiceUnavailableError

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient


def media_blob_name(owner: str, sha256: str) -> str:
    """Where ``owner``'s file with this digest is stored."""
    return f"{hashlib.sha256(owner.encode()).hexdigest()[:32]}/{sha256}"


def media_container() -> ContainerClient:
    from shared.stores.storage import get_blob_service

    return get_blob_service().get_container_client(get_settings().media_container)


@contextlib.contextmanager
def media_storage_errors() -> Iterator[None]:
    """Run the block through the ``blob`` breaker; storage that cannot be reached (refused,
    dropped, timed out) becomes ``ServiceUnavailableError`` (503, Retry-After), not a 500."""
    from shared.resilience import storage_guard
    from shared.resilience.seams import storage_failures

    try:
        with storage_guard("blob"):
            yield
    except storage_failures() as exc:
        raise ServiceUnavailableError(
            "the media store is unavailable", headers={"Retry-After": "5"}
        ) from exc


def upload_media(name: str, data: bytes | IO[bytes], content_type: str) -> None:
    """Store ``data`` at ``name`` (overwriting: same name, same bytes), creating the container.
    A file is read from its start and sent in blocks (never whole in memory)."""
    from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
    from azure.storage.blob import ContentSettings

    container = media_container()
    settings = ContentSettings(content_type=content_type)
    if not isinstance(data, bytes):
        data.seek(0)
    try:
        container.upload_blob(name, data, overwrite=True, content_settings=settings)
    except ResourceNotFoundError:
        with contextlib.suppress(ResourceExistsError):
            container.create_container()
        if not isinstance(data, bytes):
            data.seek(0)
        container.upload_blob(name, data, overwrite=True, content_settings=settings)


def download_media(name: str) -> bytes | None:
    """The blob's bytes, or None when it is gone."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return media_container().download_blob(name).readall()
    except ResourceNotFoundError:
        return None


def download_media_to(name: str, target: IO[bytes]) -> bool:
    """Stream the blob into ``target`` (chunked: never whole in memory); False when it is gone."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        media_container().download_blob(name, max_concurrency=2).readinto(target)
    except ResourceNotFoundError:
        return False
    target.seek(0)
    return True


def delete_media(name: str) -> None:
    """Remove the blob (already gone is fine)."""
    from azure.core.exceptions import ResourceNotFoundError

    with contextlib.suppress(ResourceNotFoundError):
        media_container().delete_blob(name)
