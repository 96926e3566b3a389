"""Reference vectors and the cosine check every variant must pass.

The reference is sentence-transformers on PyTorch (what users compare against), run on the
package's own folder. A variant is measured through the same code the app serves with
(``TextTokenizer`` + ``open_backend`` + ``SentenceEncoder``), so the check covers tokenization,
padding and pooling too, not only the graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True)
class Agreement:
    """Cosine of a variant's vectors to the reference, over the reference set."""

    mean: float
    min: float


def reference_vectors(source: Path, sentences: tuple[str, ...]) -> npt.NDArray[np.float32]:
    """Unit vectors from sentence-transformers on PyTorch (CPU), float32 ``(n, dim)``."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(source), device="cpu")
    vectors = model.encode(list(sentences), batch_size=32, normalize_embeddings=True)
    return np.asarray(vectors, dtype=np.float32)


def agreement(
    *,
    runtime: str,
    model_file: Path,
    tokenizer_file: Path,
    max_tokens: int,
    reference: npt.NDArray[np.float32],
    sentences: tuple[str, ...],
) -> Agreement:
    """Run ``sentences`` through ``model_file`` on ``runtime`` and compare with ``reference``."""
    from shared.config import get_settings
    from shared.inference.encoder import SentenceEncoder, l2_normalize
    from shared.inference.runtimes import open_backend
    from shared.inference.tokenizer import TextTokenizer

    backend = open_backend(runtime, model_file, get_settings().inference_threads)
    encoder = SentenceEncoder(
        TextTokenizer(tokenizer_file, max_tokens), backend, reference.shape[1], max_batch=32
    )
    vectors = l2_normalize(encoder.encode(list(sentences)).vectors)
    cosines = (vectors * reference).sum(axis=1)
    return Agreement(mean=round(float(cosines.mean()), 5), min=round(float(cosines.min()), 5))
