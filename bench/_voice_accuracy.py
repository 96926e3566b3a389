"""The transcription accuracy part of ``python -m bench voice``: every served Whisper model on the
same clips, WER and real-time factor side by side, and which model ``whisper-1`` should be.

Clips: espeak-ng in six English voices (American, RP, Scottish, West Midlands, Caribbean, New
York) at three speeds, speaking passages the tests never use (``PASSAGES``). Each voice speaks a
short clip (one passage, ~8 s: a voice note), a medium one (three, ~25 s) and a long one (six,
~50 s): Whisper works on 30 s windows, so a short clip costs nearly as much as a 30 s one and its
real-time factor is the worst; the mix shows both. Each clip goes through ``POST
/api/v1/audio/transcriptions`` (cache off), as a client's would.

Per model: WER over all clips (word edits / reference words, so long clips weigh more), the mean
of the clips' WERs, the real-time factor (request seconds / audio seconds) over all clips, and
per length (short, medium, long), and the host's CPU seconds per audio second. The rule for
``whisper-1`` (``STT_MODEL_ALIASES``): the most accurate model whose real-time factor on this
machine stays under ``RTF_LIMIT`` (see :func:`idle_rtf_bound`: the machines are shared, so the
wall-clock RTF is bounded by the CPU cost). The load average is recorded with the figures.
"""

from __future__ import annotations

import subprocess
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

RTF_LIMIT = 0.15

PASSAGES = (
    "The harbour master checked the tide tables before letting the fishing boats leave. "
    "By noon the wind had turned, and the smaller boats came back early.",
    "Our quarterly survey asked four hundred customers how they found the new billing portal. "
    "Most liked the clearer invoices, but many wanted an easier way to download receipts.",
    "Bake the bread for forty minutes, then let it cool on a wire rack. "
    "Slice it only when it is completely cold, or the crumb will turn gummy.",
    "The orchestra rehearsed the second movement three times. "
    "The conductor asked the violins to play more softly near the end.",
    "A volunteer team planted two hundred oak saplings along the river bank. "
    "They hope the roots will hold the soil together during the spring floods.",
    "The software update fixes a crash that happened when users renamed a shared folder. "
    "It also makes searching large mailboxes noticeably faster.",
    "Every Thursday evening the library hosts a chess club for beginners. "
    "Boards and clocks are provided, and nobody needs to book in advance.",
    "The museum's new wing displays maps drawn by sailors in the seventeenth century. "
    "Some show coastlines that turned out to be wildly wrong.",
    "Drivers should expect delays on the northern ring road this weekend. "
    "Two lanes will be closed while engineers repair the damaged bridge joints.",
    "She trained for eight months before running her first marathon. "
    "Her goal was simply to finish, and she crossed the line in just under five hours.",
    "The clinic now opens at seven in the morning so that workers can visit before their shifts. "
    "Appointments can be booked by phone or on the website.",
    "Researchers counted the birds on the island twice a day for a whole summer. "
    "The number of puffins was higher than in any year since records began.",
)
VOICES = ("en-us", "en-gb-x-rp", "en-gb-scotland", "en-gb-x-gbcwmd", "en-029", "en-us-nyc")
SPEEDS = (140, 165, 185)


LENGTHS = {"short": 1, "medium": 3, "long": 6}  # passages per clip


@dataclass(frozen=True)
class Clip:
    path: Path
    text: str
    voice: str
    speed: int
    length: str
    seconds: float


def make_clips(folder: Path) -> list[Clip]:
    """Three clips per voice (short, medium, long); passages and speeds in rotation
    (deterministic: the same clips every run)."""
    clips = []
    start = 0
    for index, (voice, (length, count)) in enumerate(
        (v, item) for v in VOICES for item in LENGTHS.items()
    ):
        speed = SPEEDS[index % len(SPEEDS)]
        text = " ".join(PASSAGES[(start + k) % len(PASSAGES)] for k in range(count))
        start += count
        path = folder / f"accuracy-{index:02d}.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text],
            check=True,
            capture_output=True,
        )
        with wave.open(str(path)) as wav:
            seconds = wav.getnframes() / wav.getframerate()
        clips.append(Clip(path, text, voice, speed, length, seconds))
    return clips


def _transcribe(client: httpx.Client, clip: Clip, model: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = client.post(
        "/v1/audio/transcriptions",
        files={"file": (clip.path.name, clip.path.read_bytes(), "audio/wav")},
        data={"model": model},
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, str(response.json()["text"])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far, all its threads (Linux)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    client: httpx.Client, clips: list[Clip], models: tuple[str, ...], host_pid: int
) -> dict[str, Any]:
    """Every model on every clip, interleaved clip by clip so that other load on the machine
    falls on the models alike (each model is loaded first, outside the timing). Beside the wall
    time, the host's CPU seconds per request: what a transcription costs whatever else runs."""
    import os

    from shared.voice.wer import word_error_rate, words

    load_before = os.getloadavg()
    for model in models:
        _transcribe(client, clips[0], model)  # load the model in the host
    per_clip: list[dict[str, Any]] = []
    for clip in clips:
        for model in models:
            cpu_before = cpu_seconds(host_pid)
            elapsed, text = _transcribe(client, clip, model)
            cpu = cpu_seconds(host_pid) - cpu_before
            per_clip.append(
                {
                    "model": model,
                    "voice": clip.voice,
                    "speed": clip.speed,
                    "length": clip.length,
                    "seconds": round(clip.seconds, 2),
                    "words": len(words(clip.text)),
                    "wer": round(word_error_rate(clip.text, text), 4),
                    "elapsed": round(elapsed, 3),
                    "rtf": round(elapsed / clip.seconds, 4),
                    "cpu_seconds": round(cpu, 3),
                }
            )
    return {
        "rtf_limit": RTF_LIMIT,
        "load_average_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "cpu_count": os.cpu_count(),
        "models": [
            summary(model, [c for c in per_clip if c["model"] == model]) for model in models
        ],
        "chosen": None,
        "clips": per_clip,
    }


def summary(model: str, clips: list[dict[str, Any]]) -> dict[str, Any]:
    """A model's figures over its clips: WER weighted by words, RTF by audio seconds."""

    def rtf(subset: list[dict[str, Any]]) -> float | None:
        audio = sum(c["seconds"] for c in subset)
        return round(sum(c["elapsed"] for c in subset) / audio, 4) if audio else None

    def cpu(subset: list[dict[str, Any]]) -> float | None:
        audio = sum(c["seconds"] for c in subset)
        return round(sum(c["cpu_seconds"] for c in subset) / audio, 4) if audio else None

    words = sum(c["words"] for c in clips)
    return {
        "model": model,
        "clips": len(clips),
        "audio_seconds": round(sum(c["seconds"] for c in clips), 1),
        "wer": round(sum(c["wer"] * c["words"] for c in clips) / words, 4),
        "mean_clip_wer": round(sum(c["wer"] for c in clips) / len(clips), 4),
        "rtf": rtf(clips),
        "cpu_per_audio_second": cpu(clips),
        **{f"rtf_{name}": rtf([c for c in clips if c["length"] == name]) for name in LENGTHS},
        **{f"cpu_{name}": cpu([c for c in clips if c["length"] == name]) for name in LENGTHS},
        "worst_clip_rtf": max(c["rtf"] for c in clips),
    }


def idle_rtf_bound(row: dict[str, Any]) -> float:
    """The real-time factor a model cannot exceed on this machine when nothing else runs.

    A request's wall time on a free machine is at most its CPU time (a transcription never
    waits on anything but the CPU; with two threads it takes less). Other work on the machine
    (these machines are shared) stretches the wall time but not the CPU seconds, so the smaller
    of the measured RTF and the CPU seconds per audio second is what the rule compares."""
    cpu = row.get("cpu_per_audio_second")
    return float(min(row["rtf"], cpu)) if cpu is not None else float(row["rtf"])


def choose(rows: list[dict[str, Any]]) -> str | None:
    """The most accurate model whose real-time factor on this machine is under ``RTF_LIMIT``
    (:func:`idle_rtf_bound`)."""
    fast_enough = [r for r in rows if idle_rtf_bound(r) < RTF_LIMIT]
    return min(fast_enough, key=lambda r: (r["wer"], r["rtf"]))["model"] if fast_enough else None
