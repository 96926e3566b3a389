"""A real OpenAI-compatible server for the client tests: llama-cpp-python's own
(``python -m llama_cpp.server``, its "server" extra in requirements-dev.txt) serving the same
SmolLM2 GGUF as the embedded backend, on a free port of 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from shared.llm.openai_compat import OpenAICompatBackend
from tests.utils.llama_server import MODEL_ALIAS, LlamaServer


@pytest.fixture(scope="module")
def llama_server() -> Iterator[LlamaServer]:
    with LlamaServer() as server:
        yield server


@pytest.fixture(scope="module")
def tools_server() -> Iterator[LlamaServer]:
    """The same server with llama-cpp-python's function-calling chat handler, as one deploys it
    to serve tools (``--chat_format chatml-function-calling``; SmolLM2 speaks ChatML)."""
    with LlamaServer(chat_format="chatml-function-calling") as server:
        yield server


class FlakyProxy:
    """A pass-through HTTP proxy in front of the server that answers the first ``fail_next``
    POSTs itself with ``fail_status``, and counts every POST it sees."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.fail_next = 0
        self.fail_status = 503
        self.posts = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._forward("GET", None)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                proxy.posts += 1
                if proxy.fail_next > 0:
                    proxy.fail_next -= 1
                    payload = b'{"error": {"message": "injected failure"}}'
                    self.send_response(proxy.fail_status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self._forward("POST", body)

            def _forward(self, method: str, body: bytes | None) -> None:
                answer = httpx.request(
                    method,
                    proxy.upstream + self.path,
                    content=body,
                    headers={"Content-Type": "application/json"},
                    timeout=60,
                )
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", ""))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FlakyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def flaky_proxy(llama_server: LlamaServer) -> Iterator[FlakyProxy]:
    with FlakyProxy(llama_server.base_url) as proxy:
        yield proxy


def remote(base_url: str, **kwargs: object) -> OpenAICompatBackend:
    """A client with test-sized timeouts and back-off."""
    options: dict[str, object] = {
        "base_url": base_url,
        "model": MODEL_ALIAS,
        "timeout_seconds": 30.0,
        "connect_timeout_seconds": 1.0,
        "max_retries": 2,
        "backoff_base_seconds": 0.05,
        "backoff_cap_seconds": 0.2,
    }
    options.update(kwargs)
    return OpenAICompatBackend(**options)  # type: ignore[arg-type]
