"""A transcript rendered as each OpenAI ``response_format``: json, text, srt, vtt, verbose_json."""

from __future__ import annotations

from typing import Any

from shared.voice.stt import Transcript

RESPONSE_FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
MEDIA_TYPES = {
    "json": "application/json",
    "verbose_json": "application/json",
    "text": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
}


def timestamp(seconds: float, separator: str) -> str:
    """``HH:MM:SS,mmm`` (srt, separator ",") or ``HH:MM:SS.mmm`` (vtt, separator ".")."""
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _cues(transcript: Transcript) -> list[tuple[float, float, str]]:
    cues: list[tuple[float, float, str]] = []
    last_end = 0.0
    for segment in transcript.segments:
        if not segment.text:
            continue
        start = max(segment.start, last_end)
        end = max(segment.end, start + 0.001)
        cues.append((start, end, segment.text))
        last_end = end
    return cues


def srt(transcript: Transcript) -> str:
    blocks = [
        f"{i}\n{timestamp(s, ',')} --> {timestamp(e, ',')}\n{text}\n"
        for i, (s, e, text) in enumerate(_cues(transcript), start=1)
    ]
    return "\n".join(blocks)


def vtt(transcript: Transcript) -> str:
    blocks = [
        f"{timestamp(s, '.')} --> {timestamp(e, '.')}\n{text}\n" for s, e, text in _cues(transcript)
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def verbose_json(transcript: Transcript, words: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": transcript.language,
        "duration": transcript.duration,
        "text": transcript.text,
        "segments": [
            {
                "id": s.id,
                "seek": 0,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "tokens": [],
                "temperature": 0.0,
                "avg_logprob": s.avg_logprob,
                "compression_ratio": 0.0,
                "no_speech_prob": s.no_speech_prob,
            }
            for s in transcript.segments
        ],
    }
    if words:
        body["words"] = [
            {"word": w.word, "start": w.start, "end": w.end}
            for s in transcript.segments
            for w in (s.words or [])
        ]
    return body


def render(
    transcript: Transcript, response_format: str, words: bool = False
) -> str | dict[str, Any]:
    """The body for ``response_format``: a dict for the JSON formats, text otherwise."""
    if response_format == "json":
        return {"text": transcript.text}
    if response_format == "verbose_json":
        return verbose_json(transcript, words)
    if response_format == "srt":
        return srt(transcript)
    if response_format == "vtt":
        return vtt(transcript)
    return transcript.text + "\n" if transcript.text else ""
