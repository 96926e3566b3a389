"""WordPiece tokenization for the BERT-style text models, with ``tokenizers`` and numpy only.

``tokenizer.json`` as shipped pads every input to 128 tokens and truncates at 128: both are
switched off here. Inputs are truncated at the model's ``max_tokens`` (256 for MiniLM, as
sentence-transformers does) and padded per batch to the longest member, which is where most of the
speed of batching comes from (see ``shared.inference.encoder``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True)
class ModelInputs:
    """One padded batch, ready for a runtime (int64 arrays, shape ``(batch, longest)``)."""

    input_ids: npt.NDArray[np.int64]
    attention_mask: npt.NDArray[np.int64]
    token_type_ids: npt.NDArray[np.int64]

    def as_feed(self) -> dict[str, npt.NDArray[np.int64]]:
        return {
            "input_ids": self.input_ids,
            "attention_mask": self.attention_mask,
            "token_type_ids": self.token_type_ids,
        }


@dataclass(frozen=True)
class Encoded:
    """One text (or text pair) as token ids; ``truncated`` when tokens were cut off."""

    ids: list[int]
    type_ids: list[int]
    truncated: bool


class TextTokenizer:
    """Thread-safe: ``tokenizers.Tokenizer`` encodes concurrently from many threads."""

    def __init__(self, path: Path, max_tokens: int) -> None:
        from tokenizers import Tokenizer

        self._tokenizer: Any = Tokenizer.from_file(str(path))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_tokens)
        self.max_tokens = max_tokens

    def encode(self, texts: list[str]) -> list[Encoded]:
        """Token ids of each text, truncated at ``max_tokens``."""
        return [_encoded(e) for e in self._tokenizer.encode_batch(texts)]

    def encode_pairs(self, first: str, seconds: list[str]) -> list[Encoded]:
        """Token ids of ``(first, second)`` pairs, for cross-encoders (the longer side is cut)."""
        return [_encoded(e) for e in self._tokenizer.encode_batch([(first, s) for s in seconds])]


def _encoded(encoding: Any) -> Encoded:
    return Encoded(
        ids=list(encoding.ids),
        type_ids=list(encoding.type_ids),
        truncated=bool(encoding.overflowing),
    )


def pad(batch: list[Encoded]) -> ModelInputs:
    """Right-pad ``batch`` to its longest member; the attention mask marks the real tokens."""
    import numpy as np

    longest = max(len(item.ids) for item in batch)
    ids = np.zeros((len(batch), longest), dtype=np.int64)
    types = np.zeros((len(batch), longest), dtype=np.int64)
    mask = np.zeros((len(batch), longest), dtype=np.int64)
    for row, item in enumerate(batch):
        length = len(item.ids)
        ids[row, :length] = item.ids
        types[row, :length] = item.type_ids
        mask[row, :length] = 1
    return ModelInputs(input_ids=ids, attention_mask=mask, token_type_ids=types)
