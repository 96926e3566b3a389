"""Trained classifier heads as JSON blobs: ``<CLASSIFIER_CONTAINER>/<owner>/<name>.json``.

A head belongs to the caller that trained it (``shared.identity.current_owner``): another
caller asking for the same name gets 404. The owner part of the blob name is a hash of the
identity (identities may contain characters blob names should not). Saving the same name again
replaces the head. The container is created on first save.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from typing import Any

from pydantic import ValidationError

from shared.classify.heads import ClassifierHead
from shared.config import get_settings
from shared.errors import NotFoundError, ServiceUnavailableError

logger = logging.getLogger(__name__)


def blob_name(owner: str, name: str) -> str:
    """Where ``owner``'s head ``name`` is stored."""
    return f"{hashlib.sha256(owner.encode()).hexdigest()[:32]}/{name}.json"


def save_head(owner: str, head: ClassifierHead) -> None:
    """Store (or replace) ``head`` for ``owner``."""
    from azure.core.exceptions import AzureError, ResourceExistsError

    from shared.resilience import storage_guard

    container = _container()
    try:
        with storage_guard("blob"):
            with contextlib.suppress(ResourceExistsError):
                container.create_container()
            container.upload_blob(
                blob_name(owner, head.name), head.model_dump_json().encode(), overwrite=True
            )
    except AzureError as exc:
        raise ServiceUnavailableError(
            "the classifier store is unavailable", headers={"Retry-After": "5"}
        ) from exc


def load_head(owner: str, name: str) -> ClassifierHead:
    """``owner``'s head ``name``; 404 when there is none."""
    from azure.core.exceptions import AzureError, ResourceNotFoundError

    from shared.resilience import storage_guard

    try:
        with storage_guard("blob"):
            data = _container().download_blob(blob_name(owner, name)).readall()
    except ResourceNotFoundError:
        raise NotFoundError(f"no classifier model {name!r}") from None
    except AzureError as exc:
        raise ServiceUnavailableError(
            "the classifier store is unavailable", headers={"Retry-After": "5"}
        ) from exc
    try:
        return ClassifierHead.model_validate_json(data)
    except ValidationError as exc:
        logger.error("classifier model %s is unreadable: %d errors", name, exc.error_count())
        raise NotFoundError(f"classifier model {name!r} is unreadable; train it again") from exc


def _container() -> Any:
    from shared.stores.storage import get_blob_service

    return get_blob_service().get_container_client(get_settings().classifier_container)
