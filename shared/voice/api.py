"""Request and response models of the voice endpoints (OpenAI-compatible shapes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class TranscriptionForm(BaseModel):
    """``multipart/form-data`` as OpenAI's ``/v1/audio/transcriptions`` takes it."""

    file: bytes = Field(description="audio in any container/codec PyAV decodes; at most 25 MiB")
    model: str | None = Field(default=None, description="whisper-tiny.en (default), whisper-base")
    language: str | None = Field(default=None, description="ISO-639-1 code (whisper-base)")
    prompt: str | None = Field(default=None, description="text that guides style and words")
    temperature: float | None = Field(default=None, ge=0, le=1)
    response_format: Literal["json", "text", "srt", "vtt", "verbose_json"] = "json"
    timestamp_granularities: list[Literal["word", "segment"]] | None = Field(
        default=None,
        alias="timestamp_granularities[]",
        description="with verbose_json: 'word' adds word timings",
    )


class TranscriptionQuery(BaseModel):
    async_: bool = Field(
        default=False, alias="async", description="run as a job (202) whatever the duration"
    )


class TranscriptionResponse(BaseModel):
    text: str


class SpeechRequest(BaseModel):
    """OpenAI's ``/v1/audio/speech`` body."""

    model: str | None = Field(default=None, description="piper (tts-1, tts-1-hd accepted)")
    input: str = Field(description="the text to speak (at most TTS_MAX_CHARS characters)")
    voice: str | None = Field(default=None, description="an installed voice (GET voices)")
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    response_format: str = Field(
        default="mp3", description="wav, pcm (24 kHz s16le mono), flac, mp3, opus, aac"
    )
    stream_format: Literal["audio", "sse"] = Field(
        default="audio",
        description="audio: the file, streamed sentence by sentence; sse: Server-Sent Events"
        " speech.audio.delta (base64 audio) then speech.audio.done",
    )
    instructions: str | None = Field(
        default=None,
        max_length=4096,
        description="accepted and ignored: Piper voices cannot follow style instructions",
    )


class VoiceView(BaseModel):
    name: str
    default: bool


class VoicesResponse(BaseModel):
    voices: list[VoiceView]
    formats: list[str]
