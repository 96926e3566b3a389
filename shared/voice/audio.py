"""Audio in and out with PyAV (no system ffmpeg): decode any container/codec PyAV reads into 16 kHz
mono float32 for recognition; encode 16-bit PCM into wav, pcm, flac, mp3, opus or aac, loudness
normalised first.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from shared.errors import (
    BadRequestError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from shared.voice.encoding import OUTPUT_FORMATS, encode_whole

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "OUTPUT_FORMATS",
    "DecodedAudio",
    "LoudnessLeveler",
    "decode",
    "encode",
    "media_type_of",
    "normalize_loudness",
]

SAMPLE_RATE = 16_000  # what Whisper wants
MAX_DECODED_SECONDS = 4 * 3600  # a small file of very compressed audio must not fill memory

TARGET_RMS_DBFS = -20.0  # loudness target of synthesized speech
PEAK_LIMIT = 0.89  # -1 dBFS


@dataclass(frozen=True)
class DecodedAudio:
    """Mono float32 samples in [-1, 1] at :data:`SAMPLE_RATE`."""

    samples: np.ndarray[Any, Any]
    source_format: str

    @property
    def seconds(self) -> float:
        return float(len(self.samples)) / SAMPLE_RATE


def decode(data: bytes | IO[bytes]) -> DecodedAudio:
    """Decode ``data`` (bytes, or a file read from its current position; any container/codec
    PyAV reads) to 16 kHz mono float32.

    400 for an empty file; 415 for bytes that are no audio PyAV can decode (with the reason).
    """
    import av
    import numpy as np

    if isinstance(data, bytes) and not data:
        raise BadRequestError("the audio file is empty")
    readable = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        with av.open(readable, mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise UnsupportedMediaTypeError(
                    f"the file ({container.format.name}) has no audio stream"
                )
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            chunks: list[np.ndarray[Any, Any]] = []
            decoded = 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    decoded += out.samples
                if decoded > MAX_DECODED_SECONDS * SAMPLE_RATE:
                    raise PayloadTooLargeError(
                        f"the audio is longer than {MAX_DECODED_SECONDS // 3600} hours"
                    )
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
            source = f"{container.format.name}/{stream.codec_context.name}"
    except (UnsupportedMediaTypeError, PayloadTooLargeError):
        raise
    except (av.FFmpegError, ValueError, EOFError, IndexError, OSError) as exc:
        raise UnsupportedMediaTypeError(
            f"the file is not audio that can be decoded (wav, flac, ogg/opus, mp3, m4a, webm): "
            f"{exc}"
        ) from exc
    # A stream without frames is silence of length zero: an empty transcript, not an error.
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    return DecodedAudio(samples=np.clip(samples, -1.0, 1.0), source_format=source)


def _voiced_gain(samples: np.ndarray[Any, Any]) -> float | None:
    """The gain that brings ``samples`` to :data:`TARGET_RMS_DBFS`; None for silence."""
    import numpy as np

    voiced = samples[np.abs(samples) > 0.002]  # above about -54 dBFS
    if voiced.size == 0:
        return None
    return float(10 ** (TARGET_RMS_DBFS / 20) / np.sqrt(np.mean(voiced**2)))


def _apply_gain(samples: np.ndarray[Any, Any], gain: float) -> bytes:
    import numpy as np

    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    gain = min(gain, PEAK_LIMIT / peak) if peak > 0 else gain
    out = np.clip(samples * gain, -1.0, 1.0)
    return bytes((out * 32767.0).astype("<i2").tobytes())


class LoudnessLeveler:
    """:func:`normalize_loudness` for speech that arrives sentence by sentence: the gain is set by
    the first voiced piece and kept (sentences keep their relative loudness); a piece whose peaks
    would pass -1 dBFS at that gain gets less. Silence before the first voice stays silence."""

    def __init__(self) -> None:
        self._gain: float | None = None

    def __call__(self, pcm: bytes) -> bytes:
        import numpy as np

        if not pcm:
            return pcm
        samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        if self._gain is None:
            self._gain = _voiced_gain(samples)
            if self._gain is None:
                return pcm
        return _apply_gain(samples, self._gain)


def normalize_loudness(pcm: bytes) -> bytes:
    """16-bit PCM scaled to :data:`TARGET_RMS_DBFS` RMS (over non-silent samples), peaks capped
    at -1 dBFS. Silence stays silence."""
    import numpy as np

    if not pcm:
        return pcm
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
    gain = _voiced_gain(samples)
    return pcm if gain is None else _apply_gain(samples, gain)


def encode(pcm: bytes, sample_rate: int, response_format: str) -> bytes:
    """16-bit mono PCM as ``response_format`` (one of :data:`OUTPUT_FORMATS`; 422 otherwise);
    ``pcm`` is 24 kHz, as OpenAI's is (``shared.voice.encoding``)."""
    return encode_whole(pcm, sample_rate, response_format)


def media_type_of(response_format: str) -> str:
    return OUTPUT_FORMATS[response_format][2]
