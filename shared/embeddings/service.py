"""Embedding texts for the endpoints and for the other text features.

``embed(texts)`` checks the limits (``shared.embeddings.limits``), runs the served model through
the micro-batcher and returns float32 vectors (unit length unless asked otherwise).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.embeddings.api import (
    EmbeddingsRequest,
    EmbeddingsResponse,
    OpenAIEmbedding,
    OpenAIEmbeddingsRequest,
    OpenAIEmbeddingsResponse,
    OpenAIUsage,
)
from shared.embeddings.limits import check_texts
from shared.embeddings.token_ids import input_texts
from shared.errors import BadRequestError, NotFoundError
from shared.inference.text_models import get_embedder
from shared.served_models.names import ModelKind, names, resolve

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# float32 carries ~7 significant digits; 8 decimals keep that and make the JSON ~40% smaller
# than Python's 17-digit reprs of the same numbers.
JSON_DECIMALS = 8


@dataclass(frozen=True)
class Embedded:
    """Vectors ``(n, dimension)`` float32, and per text its token count and truncation."""

    vectors: npt.NDArray[np.float32]
    token_counts: list[int]
    truncated: list[bool]
    model: str
    dimension: int


def embed(texts: list[str], *, normalize: bool = True, field: str = "texts") -> Embedded:
    """Embed ``texts`` (400/413 on bad input, 503 when the model files are missing)."""
    check_texts(texts, field=field)
    return embed_checked(texts, normalize=normalize)


def embed_checked(texts: list[str], *, normalize: bool = True) -> Embedded:
    """Embed texts whose limits the caller has already checked (e.g. a query plus 256 documents
    in one model call)."""
    from shared.inference.encoder import l2_normalize

    embedder = get_embedder()
    encoded = embedder.embed(texts)
    vectors = l2_normalize(encoded.vectors) if normalize else encoded.vectors
    return Embedded(
        vectors=vectors,
        token_counts=encoded.token_counts,
        truncated=encoded.truncated,
        model=embedder.manifest.model,
        dimension=embedder.dimension,
    )


def as_json_lists(vectors: npt.NDArray[np.float32]) -> list[list[float]]:
    """Vectors as JSON-ready lists (see ``JSON_DECIMALS``)."""
    rows: list[list[float]] = vectors.astype("float64").round(JSON_DECIMALS).tolist()
    return rows


def embeddings_response(request: EmbeddingsRequest) -> EmbeddingsResponse:
    """``POST /api/embeddings``."""
    result = embed(request.texts, normalize=request.normalize)
    return EmbeddingsResponse(
        model=result.model,
        dimension=result.dimension,
        embeddings=as_json_lists(result.vectors),
        token_counts=result.token_counts,
        truncated=[i for i, cut in enumerate(result.truncated) if cut],
    )


def openai_embeddings_response(request: OpenAIEmbeddingsRequest) -> OpenAIEmbeddingsResponse:
    """``POST /api/v1/embeddings``: unit vectors, as floats or base64 float32.

    ``model`` is a served model or an alias (``EMBEDDINGS_MODEL_ALIASES``; 404 otherwise, as
    OpenAI answers); the response names the model as sent. ``input`` may be token ids (see
    ``shared.embeddings.token_ids``). A ``dimensions`` the model cannot give is 400 saying which
    it can: MiniLM was not trained to be cut short (no Matryoshka training), so no other size is
    offered."""
    served = resolve(ModelKind.EMBEDDINGS, request.model)
    if served is None:
        known = [n.id for n in names(ModelKind.EMBEDDINGS)]
        raise NotFoundError(f"no embedding model {request.model[:100]!r}", known=known)
    texts = input_texts(request.input)
    check_texts(texts, field="input")
    dimension = get_embedder().dimension
    if request.dimensions is not None and request.dimensions != dimension:
        raise BadRequestError(
            f"dimensions={request.dimensions} is not available: {request.model[:100]} "
            f"({served}) gives {dimension} dimensions only; send dimensions={dimension} or "
            "leave it out",
            supported=[dimension],
        )
    result = embed(texts, field="input")
    if request.encoding_format == "base64":
        little_endian = result.vectors.astype("<f4")
        vectors: list[list[float]] | list[str] = [
            base64.b64encode(row.tobytes()).decode("ascii") for row in little_endian
        ]
    else:
        vectors = as_json_lists(result.vectors)
    tokens = sum(result.token_counts)
    return OpenAIEmbeddingsResponse(
        data=[OpenAIEmbedding(index=i, embedding=v) for i, v in enumerate(vectors)],
        model=request.model,
        usage=OpenAIUsage(prompt_tokens=tokens, total_tokens=tokens),
    )
