"""The text endpoints over real HTTP through devhost: the openai SDK, errors, micro-batching,
vectors, and the cross-encoder setting."""

from __future__ import annotations

import base64
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import openai
import pytest

from tests.utils.app_host import start_app_host
from tests.utils.auth import auth_headers
from tests.utils.tiny_cross_encoder import write_tiny_cross_encoder

KEY = auth_headers("vectors-e2e")


@pytest.fixture(scope="module")
def client(app_host: str):
    with httpx.Client(base_url=app_host, headers=KEY, timeout=60) as http:
        yield http


def embed(client: httpx.Client, texts: list[str]) -> np.ndarray:
    response = client.post("/embeddings", json={"texts": texts})
    assert response.status_code == 200, response.text
    return np.array(response.json()["embeddings"])


def test_the_openai_sdk_works_unchanged(app_host: str, client: httpx.Client):
    # The SDK sends its api_key as "Authorization: Bearer": the caller's JWT.
    sdk = openai.OpenAI(
        base_url=f"{app_host}/v1",
        api_key=KEY["authorization"].removeprefix("Bearer "),
    )
    texts = ["The cat sits on the mat.", "Stocks fell sharply."]

    # the SDK asks for base64 by default and decodes it; floats when asked
    default = sdk.embeddings.create(model="all-MiniLM-L6-v2", input=texts)
    floats = sdk.embeddings.create(
        model="all-MiniLM-L6-v2", input=texts[0], encoding_format="float"
    )

    ours = embed(client, texts)
    assert [d.index for d in default.data] == [0, 1]
    np.testing.assert_allclose(np.array([d.embedding for d in default.data]), ours, atol=1e-6)
    np.testing.assert_allclose(floats.data[0].embedding, ours[0], atol=1e-6)
    assert default.usage.prompt_tokens == default.usage.total_tokens > 4
    with pytest.raises(openai.NotFoundError):
        sdk.embeddings.create(model="text-embedding-9", input="x")


def test_base64_is_little_endian_float32(client: httpx.Client):
    body = {"input": ["hello"], "model": "all-MiniLM-L6-v2", "encoding_format": "base64"}
    encoded = client.post("/v1/embeddings", json=body).json()["data"][0]["embedding"]

    decoded = np.frombuffer(base64.b64decode(encoded), dtype="<f4")
    np.testing.assert_allclose(decoded, embed(client, ["hello"])[0], atol=1e-6)


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/embeddings", {"texts": []}, 400),
        ("/embeddings", {"texts": ["ok", ""]}, 400),
        ("/embeddings", {"texts": ["x"] * 257}, 413),
        ("/embeddings", {"texts": ["x" * 8193]}, 413),
        ("/embeddings", {"texts": "not a list"}, 422),
        ("/v1/embeddings", {"input": [], "model": "all-MiniLM-L6-v2"}, 400),
        ("/v1/embeddings", {"input": "x", "model": "all-MiniLM-L6-v2", "dimensions": 10}, 400),
        ("/v1/embeddings", {"input": [[1, 999999]], "model": "all-MiniLM-L6-v2"}, 400),
        ("/v1/embeddings", {"input": [1.5], "model": "all-MiniLM-L6-v2"}, 422),
        ("/rerank", {"query": "q", "documents": []}, 400),
        ("/rerank", {"query": "q", "documents": ["d"] * 257}, 413),
        ("/classify", {"texts": ["x"], "label_set": "nope"}, 404),
        ("/classify", {"texts": ["x"], "model": "never-trained"}, 404),
        ("/classify", {"texts": ["x"]}, 422),
        ("/classify", {"texts": ["x"], "labels": ["only-one"]}, 422),
        ("/classify/models", {"name": "m", "examples": []}, 400),
        ("/vectors/nope/search", {"query": "x"}, 404),
        ("/vectors/voice_patterns/search", {"query": ""}, 400),
        ("/vectors/voice_patterns/search", {"query": "x", "filter": {"a": None}}, 422),
    ],
)
def test_bad_inputs_get_the_right_status(client: httpx.Client, path: str, body: dict, status: int):
    response = client.post(path, json=body)

    assert response.status_code == status, response.text
    if path.startswith("/v1/"):  # OpenAI's error object, which the openai SDK shows
        assert response.json()["error"]["message"]
    else:
        assert response.headers["content-type"].startswith("application/problem+json")


def test_a_lone_surrogate_is_a_bad_request_and_does_not_break_the_batch(client: httpx.Client):
    raw = b'{"texts": ["fine", "broken \\ud800 text"]}'
    response = client.post("/embeddings", content=raw, headers={"content-type": "application/json"})

    assert response.status_code == 400, response.text
    assert embed(client, ["still fine"]).shape == (1, 384)


def test_wrong_content_type_and_missing_key(app_host: str, client: httpx.Client):
    assert (
        client.post(
            "/embeddings", content=b"texts", headers={"content-type": "text/plain"}
        ).status_code
        == 415
    )
    assert httpx.post(f"{app_host}/embeddings", json={"texts": ["x"]}).status_code == 401


def test_concurrent_requests_each_get_their_own_vectors(client: httpx.Client):
    sentences = [f"Sentence number {i} is about topic {i * 7 % 5}." for i in range(24)]
    alone = embed(client, sentences)

    with ThreadPoolExecutor(12) as pool:
        together = list(pool.map(lambda s: embed(client, [s])[0], sentences))

    np.testing.assert_allclose(np.stack(together), alone, atol=1e-5)


def test_retried_request_is_replayed(client: httpx.Client):
    headers = {"Idempotency-Key": f'"{uuid.uuid4()}"'}
    first = client.post("/embeddings", json={"texts": ["replay me"]}, headers=headers)
    again = client.post("/embeddings", json={"texts": ["replay me"]}, headers=headers)

    assert again.headers.get("idempotent-replayed") == "true"
    assert again.content == first.content


def test_rerank_and_classify_over_http(client: httpx.Client):
    ranked = client.post(
        "/rerank",
        json={
            "query": "Where is the Eiffel Tower?",
            "documents": ["I like soup.", "The Eiffel Tower is in Paris."],
        },
    ).json()
    classified = client.post(
        "/classify", json={"texts": ["I hate waiting in line, terrible."], "label_set": "sentiment"}
    ).json()

    assert [r["index"] for r in ranked["results"]] == [1, 0]
    assert classified["results"][0]["label"] == "negative"


def test_vectors_upsert_search_filter_delete(client: httpx.Client):
    tag = uuid.uuid4().hex
    points = [
        {
            "id": f"{tag}-1",
            "text": "How to bake bread at home",
            "payload": {"run": tag, "lang": "en"},
        },
        {"id": f"{tag}-2", "text": "Recette du pain maison", "payload": {"run": tag, "lang": "fr"}},
        {
            "id": f"{tag}-3",
            "text": "Football results of the weekend",
            "payload": {"run": tag, "lang": "en"},
        },
    ]
    upserted = client.post("/vectors/conversation_context/points", json={"points": points})
    search = client.post(
        "/vectors/conversation_context/search",
        json={"query": "baking bread", "filter": {"run": tag, "lang": "en"}, "top_k": 3},
    ).json()
    deleted = client.request(
        "DELETE", "/vectors/conversation_context/points", json={"filter": {"run": tag}}
    )
    after = client.post(
        "/vectors/conversation_context/search", json={"query": "bread", "filter": {"run": tag}}
    ).json()

    assert upserted.status_code == 200, upserted.text
    assert [h["id"] for h in search["results"]] == [f"{tag}-1", f"{tag}-3"]
    assert deleted.json()["deleted"] == 3
    assert after["results"] == []


def test_models_status_names_the_active_reranker(app_host: str):
    models = {m["name"]: m for m in httpx.get(f"{app_host}/models/status").json()["models"]}

    assert models["all-MiniLM-L6-v2"]["task"] == "embeddings"
    assert models["reranker"]["runtime"].startswith("bi-encoder")


def test_a_configured_cross_encoder_is_used_and_reported(tmp_path):
    from shared.config import get_settings

    model_dir = get_settings().models_dir / "all-MiniLM-L6-v2"
    path = write_tiny_cross_encoder(tmp_path / "ce", model_dir / "tokenizer.json")

    with start_app_host({"RERANKER_ONNX_PATH": str(path)}) as url:
        status = httpx.get(f"{url}/models/status").json()["models"]
        ranked = httpx.post(
            f"{url}/rerank",
            headers=KEY,
            json={"query": "q", "documents": ["short", "a much longer document than that"]},
            timeout=60,
        ).json()

    reranker = next(m for m in status if m["name"] == "reranker")
    assert reranker["runtime"] == "onnxruntime cross-encoder"
    assert ranked["method"] == "cross-encoder"
    assert [r["index"] for r in ranked["results"]] == [1, 0]
