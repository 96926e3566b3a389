"""llama-cpp-python's own OpenAI-compatible server (``python -m llama_cpp.server``) on the embedded
model, started on 127.0.0.1 for the tests that need a real OpenAI-compatible backend."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

from shared.llm.embedded import default_model_path
from tests.utils.servers import free_port, wait_for_port

MODEL_ALIAS = "smollm2"


@dataclass
class LlamaServer:
    """``python -m llama_cpp.server`` on a free port; ``stop()`` kills it."""

    port: int = field(default_factory=free_port)
    n_ctx: int = 1024
    chat_format: str | None = None  # None: the GGUF's own chat template
    _process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(default_model_path()),
                "--model_alias",
                MODEL_ALIAS,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--n_ctx",
                str(self.n_ctx),
                "--n_threads",
                "1",
                *(["--chat_format", self.chat_format] if self.chat_format else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(self.port, 60)
        except AssertionError:
            self.stop()
            raise

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
            self._process = None

    stop = kill

    def __enter__(self) -> LlamaServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
