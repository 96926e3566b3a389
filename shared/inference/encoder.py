"""Texts in, sentence vectors out: tokenize, group by length, run the model, put back in order.

The exported models do the mean pooling over the attention mask inside the graph (see
``shared.inference.build.export``), so the runtime returns one unnormalised vector per text.
Sorting a request's texts by token count before cutting it into batches of ``max_batch`` keeps
padding (wasted compute) small; sentence-transformers does the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.inference.tokenizer import TextTokenizer, pad

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from shared.inference.runtimes import InferenceBackend


@dataclass(frozen=True)
class EncodedTexts:
    """Vectors ``(n, dimension)`` float32 (unnormalised), and per text its token count and
    whether it was truncated to the model's token limit."""

    vectors: npt.NDArray[np.float32]
    token_counts: list[int]
    truncated: list[bool]

    def __len__(self) -> int:
        return len(self.token_counts)

    def slice(self, start: int, stop: int) -> EncodedTexts:
        return EncodedTexts(
            self.vectors[start:stop], self.token_counts[start:stop], self.truncated[start:stop]
        )


class SentenceEncoder:
    """A tokenizer and a runtime backend for one sentence-embedding model."""

    def __init__(
        self, tokenizer: TextTokenizer, backend: InferenceBackend, dimension: int, max_batch: int
    ) -> None:
        self.tokenizer = tokenizer
        self.backend = backend
        self.dimension = dimension
        self.max_batch = max_batch

    def encode(self, texts: list[str]) -> EncodedTexts:
        """One vector per text, in the order given; ``texts`` may be longer than a batch."""
        import numpy as np

        encoded = self.tokenizer.encode(texts)
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].ids))
        for start in range(0, len(order), self.max_batch):
            rows = order[start : start + self.max_batch]
            vectors[rows] = self.backend.run(pad([encoded[i] for i in rows]))
        return EncodedTexts(
            vectors=vectors,
            token_counts=[len(e.ids) for e in encoded],
            truncated=[e.truncated for e in encoded],
        )


def l2_normalize(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Rows scaled to unit length (a zero row stays zero)."""
    import numpy as np

    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: npt.NDArray[np.float32] = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit
