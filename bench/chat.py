"""``python -m bench chat``: retrieval and answers of the chat feature next to hand-written peers.

Corpus (``datasets.chat_questions``): ``--sizes`` chunks (default 1,000 and 10,000) of 2-4
sentences, among them 20 made-up facts and 20 look-alike distractors; 20 labelled questions, each
paraphrasing one fact. Each size is stored for a fresh user through the project's own path
(``embed_checked`` in slices of 256, ``chunk_payload``/``point_id`` points in
``conversation_context``) in this process's in-memory Qdrant (local mode), and its points are
deleted before the next size, so the collection holds exactly one size when it is searched.

Retrieval, same questions, same run, ``--rounds`` rounds interleaved, both warmed up first:
- ours: ``shared.chat.retrieval.retrieve`` (embed with OpenVINO INT8, filtered search of
  ``CHAT_CANDIDATES``, bi-encoder rerank, ``CHAT_MIN_SCORE``, top 5); ``embed`` alone too;
- peer: sentence-transformers all-MiniLM-L6-v2 on PyTorch + qdrant-client local mode, same
  user filter, top 5, in a process of its own (``bench._chat_peer``);
- p50 per round, median over rounds; p99 over all calls; ratio = peer / ours;
- hit@5 (the labelled chunk among the first 5): ours as served (after the threshold), ours'
  raw search (no threshold), the peer; hit@1 as well.

Answers with the embedded model (SmolLM2-135M, llama-cpp-python), ``--answer-rounds`` rounds on
the first size's corpus; round i uses two questions, so no llama.cpp instance sees a prompt twice
(its prefix cache would skip the prompt's evaluation):
- ``chat``: ``shared.chat.service.chat`` end to end (retrieval, extractive answer, the model's
  rewording, session saved in PostgreSQL and Redis) on question 2i; and the peer model alone
  (below) on the rewording prompt chat builds for that question: overhead = chat / model alone;
- ``stream``: ``get_llm().stream`` against ``Llama.create_chat_completion(stream=True)`` on a
  second ``Llama`` of the same GGUF, same threads and context, on the rewording prompt of
  question 2i+1, temperature 0, ``--max-tokens``: first-token and total p50, decode tokens/s
  (stream pieces after the first / time after the first).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from bench.report import percentile, print_table, ratio, write_results
from datasets.chat_questions import LABELLED, corpus, hit_rate

TOP_K = 5
SOURCE = "bench-corpus"


def _store(user_id: str, texts: list[str]) -> float:
    """Store ``texts`` as one document's chunks, as ``documents.add_document`` does; seconds."""

    from shared.chat.chunking import Chunk
    from shared.chat.documents import store_chunks
    from shared.vectors.collections import embedding_dimension

    chunks = [Chunk(number=n, page=None, text=text) for n, text in enumerate(texts)]
    embedding_dimension()  # loads the model: not part of storing
    started = time.perf_counter()
    store_chunks(user_id, uuid.uuid4(), SOURCE, chunks)
    return time.perf_counter() - started


def _drop(user_id: str) -> None:
    from shared.chat.documents import COLLECTION, user_filter
    from shared.vectors.factory import get_vector_store

    get_vector_store().delete(COLLECTION, user_id, query_filter=user_filter(user_id))


def _raw_search(user_id: str, question: str) -> list[int]:
    """The chunks the search alone ranks first (no rerank, no threshold)."""
    from shared.chat.documents import COLLECTION, user_filter
    from shared.embeddings.service import embed
    from shared.vectors.factory import get_vector_store
    from shared.vectors.store import VectorQuery

    embedded = embed([question], field="message")
    points = get_vector_store().search(
        COLLECTION,
        user_id,
        VectorQuery(vector=embedded.vectors[0].tolist(), filter=user_filter(user_id), limit=TOP_K),
    )
    return [int(p.payload["chunk"]) for p in points]


class _Peer:
    """The peer's process (``bench._chat_peer``), indexed and ready for rounds."""

    def __init__(self, size: int) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench._chat_peer", str(size), str(TOP_K)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.ready = self._read()

    def round(self) -> list[float]:
        assert self._process.stdin is not None
        self._process.stdin.write("round\n")
        self._process.stdin.flush()
        latencies: list[float] = self._read()["latencies"]
        return latencies

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=60)

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the peer process ended (exit code {self._process.wait()})")
        message: dict[str, Any] = json.loads(line)
        return message


def _timed_each(call: Callable[[str], object], questions: list[str]) -> list[float]:
    latencies = []
    for question in questions:
        begun = time.perf_counter()
        call(question)
        latencies.append(time.perf_counter() - begun)
    return latencies


def _latency(rounds: list[list[float]]) -> dict[str, float]:
    """Median over rounds of each round's p50, and p99 over every call, in ms."""
    return {
        "p50_ms": round(statistics.median(percentile(r, 50) for r in rounds) * 1000, 3),
        "p99_ms": round(percentile([s for r in rounds for s in r], 99) * 1000, 3),
    }


def _quality(ranked: list[list[int]], answers: list[int]) -> dict[str, float]:
    return {
        "hit_at_1": round(hit_rate(ranked, answers, 1), 3),
        "hit_at_5": round(hit_rate(ranked, answers, 5), 3),
    }


def retrieval(size: int, rounds: int, user_id: str) -> dict[str, Any]:
    """Store a corpus of ``size`` chunks for ``user_id``; ours and the peer, interleaved."""
    from shared.chat.retrieval import retrieve
    from shared.embeddings.service import embed

    texts, answers = corpus(size)
    questions = [item.question for item in LABELLED]
    index_s = _store(user_id, texts)
    peer = _Peer(size)
    try:
        # Quality first (it also warms both sides up: kernels, the filter's first use).
        found = [retrieve(user_id, q, TOP_K).citations for q in questions]
        served = [[c.chunk for c in citations] for citations in found]
        # How far above CHAT_MIN_SCORE the right passages scored (the threshold's margin).
        answer_scores = [
            c.score
            for citations, answer in zip(found, answers, strict=True)
            for c in citations
            if c.chunk == answer
        ]
        raw = [_raw_search(user_id, q) for q in questions]
        runs: dict[str, list[list[float]]] = {"ours": [], "embed": [], "peer": []}
        for n in range(rounds):
            sides: list[tuple[str, Callable[[], list[float]]]] = [
                ("ours", lambda: _timed_each(lambda q: retrieve(user_id, q, TOP_K), questions)),
                ("peer", peer.round),
            ]
            for name, run in sides if n % 2 == 0 else reversed(sides):
                runs[name].append(run())
            runs["embed"].append(_timed_each(lambda q: embed([q], field="message"), questions))
    finally:
        peer.close()
    ours, peer_latency = _latency(runs["ours"]), _latency(runs["peer"])
    return {
        "chunks": size,
        "questions": len(questions),
        "ours": {
            **ours,
            "embed_p50_ms": _latency(runs["embed"])["p50_ms"],
            "index_s": round(index_s, 2),
            "served": _quality(served, answers),
            "raw_search": _quality(raw, answers),
            "kept_per_question": round(statistics.fmean(len(r) for r in served), 2),
            "answer_score_min": round(min(answer_scores, default=float("nan")), 3),
            "answer_score_p50": round(statistics.median(answer_scores or [float("nan")]), 3),
        },
        "peer": {
            **peer_latency,
            "index_s": round(peer.ready["index_s"], 2),
            **_quality(peer.ready["ranked"], answers),
        },
        "peer_p50_vs_ours": ratio(peer_latency["p50_ms"], ours["p50_ms"]),
    }


def _stream_times(pieces: Iterable[str], started: float) -> tuple[float, float, int]:
    """(first piece s, total s, pieces) of a stream opened at ``started``."""
    first: float | None = None
    count = 0
    for _ in pieces:
        if first is None:
            first = time.perf_counter() - started
        count += 1
    total = time.perf_counter() - started
    return (first if first is not None else total), total, count


def _peer_pieces(llama: Any, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
    for chunk in llama.create_chat_completion(
        messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True
    ):
        content = chunk["choices"][0]["delta"].get("content")
        if content:
            yield content


def answers(user_id: str, rounds: int, max_tokens: int, graph: bool) -> dict[str, Any]:
    """Chat end to end and the model's stream, next to llama-cpp-python called directly."""
    from llama_cpp import Llama

    from shared.chat import prompts
    from shared.chat.api import ChatOptions, ChatRequest
    from shared.chat.grounding import extract_answer
    from shared.chat.retrieval import retrieve
    from shared.chat.service import chat
    from shared.chat.sessions import forget_session
    from shared.config import get_settings
    from shared.llm import get_llm
    from shared.llm.embedded import default_model_path

    settings = get_settings()
    llm = get_llm()
    llm.ping()
    threads = settings.llm_threads or os.cpu_count() or 1
    peer = Llama(
        model_path=str(settings.llm_model_path or default_model_path()),
        n_ctx=settings.llm_context_tokens,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    questions = [item.question for item in LABELLED]

    def rewording(question: str) -> list[Any]:
        """The prompt chat sends the embedded model for ``question``."""
        found = retrieve(user_id, question, TOP_K)
        extracted = extract_answer(found.query_vector, found.citations)
        assert extracted is not None, f"nothing retrieved for {question!r}"
        return prompts.phrasing_messages(question, extracted.text)

    def as_dicts(messages: list[Any]) -> list[dict[str, str]]:
        return [{"role": m.role, "content": m.content} for m in messages]

    options = ChatOptions(top_k=TOP_K, max_tokens=max_tokens, graph=graph)
    sessions: list[uuid.UUID] = []
    modes: dict[str, int] = {}
    figures: dict[str, list[float]] = {}

    def record(key: str, value: float) -> None:
        figures.setdefault(key, []).append(value)

    def run_chat(question: str) -> float:
        begun = time.perf_counter()
        response = chat(user_id, ChatRequest(message=question, options=options))
        elapsed = time.perf_counter() - begun
        sessions.append(response.session_id)
        modes[response.answer_mode] = modes.get(response.answer_mode, 0) + 1
        return elapsed

    def ours_stream(messages: list[Any]) -> tuple[float, float, int]:
        begun = time.perf_counter()
        return _stream_times(llm.stream(messages, max_tokens=max_tokens, temperature=0.0), begun)

    def peer_stream(messages: list[Any]) -> tuple[float, float, int]:
        begun = time.perf_counter()
        return _stream_times(_peer_pieces(peer, as_dicts(messages), max_tokens), begun)

    try:
        warm = rewording(questions[-1])
        run_chat(questions[-1])
        ours_stream(warm)
        peer_stream(warm)
        modes.clear()
        for n in range(rounds):
            asked = questions[(2 * n) % len(questions)]
            streamed = questions[(2 * n + 1) % len(questions)]
            record("chat_s", run_chat(asked))
            record("bare_s", peer_stream(rewording(asked))[1])
            prompt = rewording(streamed)
            sides = [("ours", ours_stream), ("peer", peer_stream)]
            for name, stream in sides if n % 2 == 0 else reversed(sides):
                first, total, count = stream(prompt)
                record(f"{name}_first_s", first)
                record(f"{name}_total_s", total)
                record(f"{name}_pieces", count)
                record(f"{name}_tps", (count - 1) / (total - first) if total > first else 0.0)
    finally:
        for session_id in sessions:
            forget_session(user_id, session_id)

    def ms(key: str) -> float:
        return round(statistics.median(figures[key]) * 1000, 2)

    def median(key: str) -> float:
        return round(statistics.median(figures[key]), 1)

    stream = {
        side: {
            "first_token_p50_ms": ms(f"{side}_first_s"),
            "total_p50_ms": ms(f"{side}_total_s"),
            "tokens_per_second": median(f"{side}_tps"),
            "pieces_p50": median(f"{side}_pieces"),
        }
        for side in ("ours", "peer")
    }
    return {
        "model": llm.model,
        "threads": threads,
        "max_tokens": max_tokens,
        "rounds": rounds,
        "graph": graph,
        "chat": {
            "total_p50_ms": ms("chat_s"),
            "model_alone_p50_ms": ms("bare_s"),
            "overhead_ratio": ratio(ms("chat_s"), ms("bare_s")),
            "answer_modes": modes,
        },
        "stream": {
            **stream,
            "first_token_ours_vs_peer": ratio(
                stream["ours"]["first_token_p50_ms"], stream["peer"]["first_token_p50_ms"]
            ),
            "total_ours_vs_peer": ratio(
                stream["ours"]["total_p50_ms"], stream["peer"]["total_p50_ms"]
            ),
        },
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench chat")
    parser.add_argument("--sizes", default="1000,10000", help="corpus sizes in chunks, a list")
    parser.add_argument("--rounds", type=int, default=5, help="retrieval rounds per size")
    parser.add_argument("--answer-rounds", type=int, default=5, help="0: skip the answers")
    parser.add_argument("--max-tokens", type=int, default=160, help="chat's rewording cap")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    # This process's own in-memory Qdrant (as the figures were measured): never the configured
    # server or files. `python -m bench vectors` compares the stores themselves.
    os.environ.update(
        {"VECTOR_STORE": "memory", "QDRANT_URL": "", "QDRANT_PATH": "", "HF_HUB_OFFLINE": "1"}
    )
    from shared.config import get_settings, reset_settings

    reset_settings()
    settings = get_settings()
    graph = importlib.util.find_spec("shared.graph") is not None

    run = uuid.uuid4().hex[:8]
    sized: dict[str, Any] = {}
    answered: dict[str, Any] | None = None
    for index, size in enumerate(sizes):
        user_id = f"bench-chat-{size}-{run}"
        try:
            sized[str(size)] = retrieval(size, args.rounds, user_id)
            if index == 0 and args.answer_rounds:
                answered = answers(user_id, args.answer_rounds, args.max_tokens, graph)
        finally:
            _drop(user_id)
    results = {
        "retrieval": sized,
        "answer": answered,
        "settings": {
            "chat_candidates": settings.chat_candidates,
            "chat_min_score": settings.chat_min_score,
            "top_k": TOP_K,
            "embeddings": f"{settings.embeddings_runtime} {settings.embeddings_precision}",
            "inference_threads": settings.inference_threads,
            "qdrant": "local mode, in memory (exact search)",
        },
        "method": {
            "corpus": "N distinct chunks of 2-4 sentences (bench/_sentences.py words), with 20 "
            "made-up facts and 20 look-alike distractors (bench/_chat_questions.py)",
            "questions": "20, each paraphrasing one fact, labelled with its chunk",
            "retrieval": f"per round every question once; p50 per round, median of "
            f"{args.rounds} rounds, ours and peer interleaved; p99 over all calls",
            "peer": "sentence-transformers all-MiniLM-L6-v2 (PyTorch) + qdrant-client local "
            "mode, same user filter, top 5, own process",
            "hit_at_k": "labelled chunk among the first k results; 'served' is after "
            "CHAT_MIN_SCORE, 'raw_search' the search alone",
            "answer": "chat(): end to end, new session per call (deleted after); stream: "
            "rewording prompt chat builds, temperature 0, a second Llama on the same GGUF; "
            "model_alone: that Llama on chat's own prompt for the same question",
        },
    }
    path = write_results("chat", results)
    _print(results)
    print(f"\nresults: {path}")


def _print(results: dict[str, Any]) -> None:
    rows = []
    for size, f in results["retrieval"].items():
        ours, peer = f["ours"], f["peer"]
        rows.append(
            [
                size,
                ours["p50_ms"],
                ours["p99_ms"],
                ours["embed_p50_ms"],
                peer["p50_ms"],
                peer["p99_ms"],
                f["peer_p50_vs_ours"],
                ours["served"]["hit_at_5"],
                ours["raw_search"]["hit_at_5"],
                peer["hit_at_5"],
                ours["served"]["hit_at_1"],
                peer["hit_at_1"],
                ours["index_s"],
                peer["index_s"],
            ]
        )
    print_table(
        "Retrieval (ours: retrieve = OpenVINO INT8 embed + filtered search + rerank + threshold; "
        "peer: sentence-transformers + qdrant-client local)",
        [
            "chunks",
            "ours p50 ms",
            "p99",
            "embed p50",
            "peer p50 ms",
            "p99",
            "peer/ours",
            "hit@5 served",
            "raw",
            "peer",
            "hit@1 ours",
            "peer",
            "index s ours",
            "peer",
        ],
        rows,
    )
    answer = results["answer"]
    if not answer:
        return
    stream = answer["stream"]
    print_table(
        f"Embedded model {answer['model']}, {answer['threads']} threads, max_tokens "
        f"{answer['max_tokens']}, temperature 0, median of {answer['rounds']}",
        ["stream", "first token ms", "total ms", "tokens/s", "pieces"],
        [
            [
                "ours: get_llm().stream"
                if side == "ours"
                else "peer: Llama.create_chat_completion",
                stream[side]["first_token_p50_ms"],
                stream[side]["total_p50_ms"],
                stream[side]["tokens_per_second"],
                stream[side]["pieces_p50"],
            ]
            for side in ("ours", "peer")
        ],
    )
    print(
        f"ours / peer: first token {stream['first_token_ours_vs_peer']}, "
        f"total {stream['total_ours_vs_peer']}"
    )
    c = answer["chat"]
    print_table(
        "chat() end to end (retrieve + extract + reword + save) vs the model alone on its prompt",
        ["chat p50 ms", "model alone p50 ms", "chat / model", "answer modes", "graph"],
        [
            [
                c["total_p50_ms"],
                c["model_alone_p50_ms"],
                c["overhead_ratio"],
                c["answer_modes"],
                answer["graph"],
            ]
        ],
    )
