"""The ``SpeechSynthesizer`` protocol: text in, 16-bit PCM (mono) and its sample rate out.

Consumers that need a file call :func:`wav_bytes`, or stream long text with
``synthesizer.stream(text)`` into :func:`open_wav_writer` so that audio longer than memory never
exists as one ``bytes``.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Protocol, runtime_checkable

SAMPLE_WIDTH = 2  # 16-bit PCM


@dataclass(frozen=True)
class SpeechAudio:
    """Synthesized speech: little-endian 16-bit mono PCM at ``sample_rate`` Hz."""

    pcm: bytes
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.pcm) / (SAMPLE_WIDTH * self.sample_rate)

    def wav(self) -> bytes:
        """The audio as a WAV file."""
        return wav_bytes(self.pcm, self.sample_rate)


@runtime_checkable
class SpeechSynthesizer(Protocol):
    """Turns text into speech with one voice. Implementations are thread-safe per call."""

    @property
    def voice(self) -> str:
        """The voice's name (e.g. ``en_US-joe-medium``)."""
        ...

    @property
    def sample_rate(self) -> int:
        """Hz of the PCM this synthesizer produces."""
        ...

    def stream(self, text: str) -> Iterator[bytes]:
        """PCM chunks (a sentence or so each) as they are synthesized."""
        ...

    def synthesize(self, text: str) -> SpeechAudio:
        """All of ``text`` at once (for short text)."""
        ...


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    """Wrap 16-bit mono PCM in a WAV container."""
    out = io.BytesIO()
    with open_wav_writer(out, sample_rate) as writer:
        writer.writeframes(pcm)
    return out.getvalue()


def open_wav_writer(target: IO[bytes], sample_rate: int) -> wave.Wave_write:
    """A WAV writer for 16-bit mono PCM on a seekable binary file; closing it fixes the header."""
    writer = wave.open(target, "wb")  # noqa: SIM115 - the caller closes it (a context manager)
    writer.setnchannels(1)
    writer.setsampwidth(SAMPLE_WIDTH)
    writer.setframerate(sample_rate)
    return writer
