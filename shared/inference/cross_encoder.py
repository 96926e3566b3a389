"""An ONNX cross-encoder reranker, for users who have one (none can be installed offline here).

Contract for the file at ``RERANKER_ONNX_PATH``:

- a BERT-style sequence classifier exported to ONNX with int64 inputs ``input_ids``,
  ``attention_mask`` and (optionally) ``token_type_ids`` of shape ``(batch, sequence)``;
- its first output holds logits of shape ``(batch,)``, ``(batch, 1)`` (one relevance logit, as
  the ms-marco cross-encoders) or ``(batch, 2)`` (the last column is "relevant");
- ``tokenizer.json`` lies next to it (the same directory).

Scores are ``sigmoid(logit)`` in (0, 1); higher is more relevant. Pairs are truncated to
``max_tokens`` (the document side is cut first when it is the longer).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from shared.inference.manifest import ModelFilesMissingError
from shared.inference.runtimes import OnnxRuntimeBackend
from shared.inference.tokenizer import TextTokenizer, pad

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

CROSS_ENCODER_MAX_TOKENS = 512


class CrossEncoder:
    """Scores (query, document) pairs with one model call per ``max_batch`` pairs."""

    def __init__(self, path: Path, *, threads: int, max_batch: int) -> None:
        tokenizer_path = path.parent / "tokenizer.json"
        for needed in (path, tokenizer_path):
            if not needed.is_file():
                raise ModelFilesMissingError(
                    f"RERANKER_ONNX_PATH is set but {needed} does not exist; unset it to rerank "
                    "with the bi-encoder"
                )
        self.tokenizer = TextTokenizer(tokenizer_path, CROSS_ENCODER_MAX_TOKENS)
        self.backend = OnnxRuntimeBackend(path, threads)
        self.max_batch = max_batch
        self.path = path

    def score(self, query: str, documents: list[str]) -> npt.NDArray[np.float32]:
        """Relevance of each document to ``query`` in (0, 1), in the documents' order."""
        import numpy as np

        pairs = self.tokenizer.encode_pairs(query, documents)
        logits = np.empty(len(pairs), dtype=np.float32)
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i].ids))
        for start in range(0, len(order), self.max_batch):
            rows = order[start : start + self.max_batch]
            output = self.backend.run(pad([pairs[i] for i in rows]))
            logits[rows] = output.reshape(len(rows), -1)[:, -1]
        scores: npt.NDArray[np.float32] = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        return scores
