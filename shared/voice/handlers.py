"""The ``transcribe`` job: recognize a long clip stored in blob storage; the transcript goes to
the result file ``transcript.json`` (segments, words when asked), to the transcript cache and to
the job summary (text, language, duration)."""

from __future__ import annotations

import json
from typing import Any

from shared.jobs.context import JobContext
from shared.jobs.exceptions import JobInputError


def transcribe_audio(ctx: JobContext) -> dict[str, Any]:
    from shared.errors import PlatformError
    from shared.media.blobs import download_media
    from shared.voice import audio, cache, stt
    from shared.voice.store import voice_repository

    spec = ctx.job.input
    owner, sha256 = ctx.job.owner, str(spec["sha256"])
    options = stt.TranscribeOptions(
        model=str(spec.get("model") or stt.DEFAULT_MODEL),
        language=spec.get("language"),
        prompt=spec.get("prompt"),
        temperature=float(spec.get("temperature") or 0.0),
        word_timestamps=bool(spec.get("word_timestamps")),
    )
    repo = voice_repository()
    ctx.checkpoint(0)
    data = download_media(str(spec["blob_name"]))
    if data is None:
        raise JobInputError("the audio of this job is no longer stored")
    repo.set_status(owner, sha256, "processing")
    try:
        decoded = audio.decode(data)
        transcript = stt.transcribe(decoded.samples, options)
    except PlatformError as exc:
        repo.set_status(owner, sha256, "failed", {"error": exc.detail})
        raise JobInputError(exc.detail) from exc
    ctx.checkpoint(90)
    body = json.dumps(transcript.as_json(), ensure_ascii=False).encode("utf-8")
    ctx.store_result("transcript.json", body, "application/json")
    cache.put_transcript(sha256, options, transcript)
    repo.set_status(
        owner, sha256, "done", {"model": options.model, "language": transcript.language}
    )
    return {
        "sha256": sha256,
        "text": transcript.text,
        "language": transcript.language,
        "duration": transcript.duration,
        "segments": len(transcript.segments),
    }
