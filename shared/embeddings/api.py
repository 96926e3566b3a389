"""Request and response models of the embeddings endpoints (the OpenAPI document uses them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class EmbeddingsRequest(BaseModel):
    """Texts to embed (1-256, each at most ``EMBEDDINGS_MAX_CHARS`` characters)."""

    texts: list[str]
    normalize: bool = Field(default=True, description="scale each vector to unit length")


class EmbeddingsResponse(BaseModel):
    """One vector per text, in the order sent."""

    model: str
    dimension: int
    embeddings: list[list[float]]
    token_counts: list[int] = Field(description="tokens the model saw per text")
    truncated: list[int] = Field(description="indices of texts cut at the model's token limit")


class OpenAIEmbeddingsRequest(BaseModel):
    """The OpenAI ``POST /v1/embeddings`` body. ``input`` may be token ids of ``cl100k_base``
    (what LangChain's ``OpenAIEmbeddings`` sends): they are decoded to text and embedded."""

    input: str | list[str] | list[int] | list[list[int]] = Field(
        description="a text, texts, cl100k_base token ids, or lists of token ids"
    )
    model: str = Field(description="all-MiniLM-L6-v2, or an alias (text-embedding-3-small...)")
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = None
    user: str | None = None


class OpenAIEmbedding(BaseModel):
    """One vector: floats, or base64 of little-endian float32 when asked for."""

    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str


class OpenAIUsage(BaseModel):
    """Tokens the model saw (special tokens included)."""

    prompt_tokens: int
    total_tokens: int


class OpenAIEmbeddingsResponse(BaseModel):
    """The OpenAI list of embeddings."""

    object: Literal["list"] = "list"
    data: list[OpenAIEmbedding]
    model: str
    usage: OpenAIUsage
