"""Speech encoded as it is synthesized: 16-bit mono PCM in, bytes of the requested format out,
piece by piece, so that a response can send each sentence as soon as it exists.

Every output format streams:

- ``pcm``: raw 16-bit little-endian mono at 24 kHz, as OpenAI documents it (Piper's 22,050 Hz
  is resampled; the resampler keeps its state between pieces, so there is no seam).
- ``wav``: a 44-byte header whose RIFF and data sizes are ``0xFFFFFFFF`` (unknown length, the
  usual streaming convention that ffmpeg, browsers and Python's ``wave`` read), then PCM.
  :func:`complete_wav` writes the real sizes once the length is known (what the cache keeps).
- ``mp3``, ``opus`` (Ogg), ``aac`` (ADTS) and ``flac``: PyAV muxes into a sink that cannot seek,
  with ``flush_packets`` so each packet leaves at once (Ogg pages are cut every 20 ms instead of
  every second). FLAC's header then says "length unknown", as a streamed FLAC does. Lossy
  encoders hold back a frame or so (tens of ms) until the next piece or :meth:`finish`.
"""

from __future__ import annotations

import contextlib
import struct
from typing import Any

from shared.errors import UnprocessableContentError

SAMPLE_WIDTH = 2
PCM_RATE = 24_000  # OpenAI's pcm: 24 kHz 16-bit little-endian mono
UNKNOWN_SIZE = 0xFFFFFFFF
WAV_HEADER_BYTES = 44

# response_format -> (container, codec, media type); "pcm" is raw s16le and needs no container.
OUTPUT_FORMATS: dict[str, tuple[str, str, str]] = {
    "wav": ("wav", "pcm_s16le", "audio/wav"),
    "pcm": ("s16le", "pcm_s16le", "audio/pcm"),
    "flac": ("flac", "flac", "audio/flac"),
    "mp3": ("mp3", "libmp3lame", "audio/mpeg"),
    "opus": ("ogg", "libopus", "audio/ogg"),
    "aac": ("adts", "aac", "audio/aac"),
}
# Sample rates each encoder needs; audio is resampled to it.
_ENCODER_RATES = {"libopus": 48_000}
_MUXER_OPTIONS = {"ogg": {"page_duration": "20000"}}  # microseconds per Ogg page


def wav_header(sample_rate: int, data_bytes: int = UNKNOWN_SIZE) -> bytes:
    """A canonical 44-byte WAV header for 16-bit mono PCM; sizes unknown unless given."""
    riff = UNKNOWN_SIZE if data_bytes == UNKNOWN_SIZE else 36 + data_bytes
    return (
        b"RIFF"
        + struct.pack("<I", riff)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * SAMPLE_WIDTH, 2, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def complete_wav(streamed: bytes) -> bytes:
    """A streamed WAV (sizes ``0xFFFFFFFF``) with its real sizes written in."""
    data_bytes = len(streamed) - WAV_HEADER_BYTES
    return (
        streamed[:4]
        + struct.pack("<I", 36 + data_bytes)
        + streamed[8:40]
        + struct.pack("<I", data_bytes)
        + streamed[WAV_HEADER_BYTES:]
    )


class _Sink:
    """A write-only file for PyAV: what the muxer wrote since the last :meth:`take`."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


class StreamEncoder:
    """Encodes 16-bit mono PCM at ``sample_rate`` into ``response_format`` piece by piece.

    ``feed(pcm)`` returns the bytes ready now (possibly none), ``finish()`` the rest; ``close()``
    lets the encoder go without finishing (a client that went away). Not thread-safe: one
    stream, one encoder, stepped by one thread at a time."""

    def __init__(self, response_format: str, sample_rate: int) -> None:
        import av

        if response_format not in OUTPUT_FORMATS:
            raise UnprocessableContentError(
                f"response_format {response_format!r} is not supported",
                supported=sorted(OUTPUT_FORMATS),
            )
        self.format = response_format
        self.sample_rate = sample_rate
        self._pts = 0
        self._started = False
        self._container: Any = None
        self._stream: Any = None
        if response_format == "wav":
            self._resampler: Any = None
            return
        if response_format == "pcm":
            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=PCM_RATE)
            return
        container_name, codec, _ = OUTPUT_FORMATS[response_format]
        self._sink = _Sink()
        options = {"flush_packets": "1", **_MUXER_OPTIONS.get(container_name, {})}
        self._container = av.open(self._sink, mode="w", format=container_name, options=options)
        rate = _ENCODER_RATES.get(codec, sample_rate)
        self._stream = self._container.add_stream(codec, rate=rate)
        self._stream.layout = "mono"
        encoder_format = self._stream.codec_context.codec.audio_formats[0].name
        self._resampler = av.AudioResampler(format=encoder_format, layout="mono", rate=rate)

    def feed(self, pcm: bytes) -> bytes:
        """The encoded bytes of ``pcm`` that are ready now."""
        if self.format == "wav":
            header = b"" if self._started else wav_header(self.sample_rate)
            self._started = True
            return header + pcm
        if not pcm:
            return b""
        return self._convert(self._frame(pcm))

    def finish(self) -> bytes:
        """What the encoder still holds, and the container's trailer."""
        if self.format == "wav":
            return b"" if self._started else wav_header(self.sample_rate)
        tail = self._convert(None)
        if self._container is None:
            return tail
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        self._container = None
        return tail + self._sink.take()

    def close(self) -> None:
        """Let go of the container without a trailer (nothing more will be sent)."""
        import av

        if self._container is not None:
            container, self._container = self._container, None
            # an abandoned stream: its trailer goes nowhere, and its failure to nobody
            with contextlib.suppress(av.FFmpegError, ValueError, OSError):
                container.close()

    def _frame(self, pcm: bytes) -> Any:
        import av
        import numpy as np

        samples = np.frombuffer(pcm, dtype=np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = self.sample_rate
        frame.pts = self._pts
        self._pts += samples.shape[1]
        return frame

    def _convert(self, frame: Any) -> bytes:
        resampled = self._resampler.resample(frame)
        if self._container is None:  # pcm
            return b"".join(bytes(f.planes[0])[: f.samples * SAMPLE_WIDTH] for f in resampled)
        for out in resampled:
            for packet in self._stream.encode(out):
                self._container.mux(packet)
        return self._sink.take()


def encode_whole(pcm: bytes, sample_rate: int, response_format: str) -> bytes:
    """All of ``pcm`` as one file of ``response_format`` (a WAV with its real sizes)."""
    encoder = StreamEncoder(response_format, sample_rate)
    try:
        encoded = encoder.feed(pcm) + encoder.finish()
    finally:
        encoder.close()
    return complete_wav(encoded) if response_format == "wav" else encoded
