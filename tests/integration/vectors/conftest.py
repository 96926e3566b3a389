"""Fixtures for the text-model features: the built models (``make models``) and Azurite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shared.config import get_settings
from shared.inference.build.sentences import REFERENCE
from shared.inference.manifest import Manifest, ModelFilesMissingError, load_manifest
from shared.inference.text_models import EMBEDDING_MODEL


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return get_settings().models_dir / EMBEDDING_MODEL


@pytest.fixture(scope="session")
def manifest(model_dir: Path) -> Manifest:
    """The built model's manifest; fails (never skips) when the models were not built."""
    try:
        return load_manifest(model_dir)
    except ModelFilesMissingError as exc:
        pytest.fail(f"{exc.detail} (run: make models)")


@pytest.fixture(scope="session")
def reference(manifest: Manifest, model_dir: Path) -> np.ndarray:
    """sentence-transformers vectors of ``REFERENCE``, computed at build time."""
    vectors = np.load(model_dir / manifest.reference.file)
    assert vectors.shape == (len(REFERENCE), manifest.dimension)
    return vectors


@pytest.fixture(scope="session")
def blob_storage() -> None:
    """Azurite (or the configured account) answers; fails with how to start it otherwise."""
    from azure.core.exceptions import AzureError

    from shared.stores.storage import get_blob_service

    try:
        next(iter(get_blob_service().list_containers(results_per_page=1)), None)
    except AzureError as exc:
        pytest.fail(
            f"blob storage is not reachable ({exc}); start it with scripts/services.sh start"
        )
