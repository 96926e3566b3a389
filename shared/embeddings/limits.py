"""The limits every text endpoint applies to its inputs, in one place.

- no text at all, an empty (blank) text, or one that is not valid Unicode: 400;
- more than ``EMBEDDINGS_MAX_TEXTS`` texts (256) in one request: 413;
- a text longer than ``EMBEDDINGS_MAX_CHARS`` characters (8,192): 413. Under that cap, a text
  longer than the model's 256 tokens is truncated (as sentence-transformers does) and the response
  says which texts were (``truncated``).

Checked in code rather than in the pydantic models so that the status is 400/413, not 422.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.config import get_settings
from shared.errors import BadRequestError, PayloadTooLargeError


def check_texts(texts: Sequence[str], *, field: str = "texts") -> None:
    """Raise 400 or 413 (see the module docstring) for ``texts`` sent as ``field``."""
    settings = get_settings()
    if not texts:
        raise BadRequestError(f"{field} is empty; send at least one text")
    if len(texts) > settings.embeddings_max_texts:
        raise PayloadTooLargeError(
            f"{field} holds {len(texts)} texts; the limit is {settings.embeddings_max_texts}"
        )
    for index, text in enumerate(texts):
        if not text.strip():
            raise BadRequestError(f"{field}[{index}] is empty")
        if not text.isascii() and not _is_utf8(text):
            # JSON can carry lone surrogates (\ud800); no tokenizer can read them.
            raise BadRequestError(f"{field}[{index}] is not valid Unicode (a lone surrogate)")
        if len(text) > settings.embeddings_max_chars:
            raise PayloadTooLargeError(
                f"{field}[{index}] has {len(text)} characters; the limit is "
                f"{settings.embeddings_max_chars}"
            )


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
