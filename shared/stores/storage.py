"""Azure Storage blob and queue clients: a connection string locally, a managed identity in Azure.

Queue producers encode messages as base64 because the Functions host's queue trigger (and
``extensions.queues.messageEncoding`` in host.json) expects base64 bodies by default, while the
SDK sends raw text unless told otherwise.
"""

from __future__ import annotations

import functools
from typing import Any

from azure.storage.blob import BlobServiceClient
from azure.storage.blob import ExponentialRetry as BlobRetry
from azure.storage.queue import (
    BinaryBase64DecodePolicy,
    QueueClient,
    QueueServiceClient,
    TextBase64EncodePolicy,
)
from azure.storage.queue import ExponentialRetry as QueueRetry

from shared.config import Settings, get_settings

# Fail fast when storage is unreachable: the SDK's default retries add up to tens of seconds
# (its ExponentialRetry starts at 15 s: three retries of a refused connection took 84 s here).
# Backing off 1, 3 and 5 s gives up after about 10 s.
_TRANSPORT: dict[str, Any] = {"connection_timeout": 5, "read_timeout": 60}


# Stream large blobs in 4 MiB pieces: the SDK's defaults put up to 64 MiB and get the first
# 32 MiB in one request, holding that much in memory even when reading from or into a file.
_BLOB_CHUNK = 4 * 1024 * 1024


def _blob_transport() -> dict[str, Any]:
    retry = BlobRetry(initial_backoff=1, increment_base=2, retry_total=3)
    return {
        **_TRANSPORT,
        "retry_policy": retry,
        "max_single_put_size": _BLOB_CHUNK,
        "max_single_get_size": _BLOB_CHUNK,
    }


def _queue_transport() -> dict[str, Any]:
    retry = QueueRetry(initial_backoff=1, increment_base=2, retry_total=3)
    return {**_TRANSPORT, "retry_policy": retry}


def _credential(settings: Settings) -> Any:
    # Imported here: azure-identity is slow to import and only needed in Azure.
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(managed_identity_client_id=settings.storage_client_id)


def blob_service_from_settings(settings: Settings) -> BlobServiceClient:
    """A blob service client for the configured account."""
    if settings.uses_storage_identity:
        return BlobServiceClient(
            settings.blob_service_url, credential=_credential(settings), **_blob_transport()
        )
    assert settings.storage_connection_string is not None
    return BlobServiceClient.from_connection_string(
        settings.storage_connection_string.get_secret_value(), **_blob_transport()
    )


def queue_service_from_settings(settings: Settings) -> QueueServiceClient:
    """A queue service client. Get queue clients from it with ``base64_queue``: the service
    client's encoding policies are not passed on to the queue clients it makes."""
    if settings.uses_storage_identity:
        return QueueServiceClient(
            settings.queue_service_url, credential=_credential(settings), **_queue_transport()
        )
    assert settings.storage_connection_string is not None
    return QueueServiceClient.from_connection_string(
        settings.storage_connection_string.get_secret_value(), **_queue_transport()
    )


def base64_queue(service: QueueServiceClient, name: str) -> QueueClient:
    """A client for queue ``name`` that sends base64 text and reads base64 into bytes."""
    return service.get_queue_client(
        name,
        message_encode_policy=TextBase64EncodePolicy(),
        message_decode_policy=BinaryBase64DecodePolicy(),
    )


@functools.cache
def get_blob_service() -> BlobServiceClient:
    """The shared blob service client (thread-safe, pools connections)."""
    return blob_service_from_settings(get_settings())


@functools.cache
def get_queue_service() -> QueueServiceClient:
    """The shared queue service client."""
    return queue_service_from_settings(get_settings())


def get_queue(name: str) -> QueueClient:
    """A base64 client for queue ``name`` on the shared service (the queue is not created)."""
    return base64_queue(get_queue_service(), name)
