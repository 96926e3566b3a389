from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from shared.errors import BadRequestError, UnprocessableContentError, UnsupportedMediaTypeError
from shared.voice import audio, formats, model_names, stt
from shared.voice.stt import Segment, Transcript, Word
from shared.voice.wer import word_error_rate


def transcript() -> Transcript:
    return Transcript(
        text="Hello there. General Kenobi.",
        language="en",
        duration=4.0,
        model=model_names.TINY_EN,
        segments=[
            Segment(0, 0.0, 1.5, "Hello there.", words=[Word(0.0, 0.6, "Hello", 0.9)]),
            Segment(1, 1.4, 3.2, "General Kenobi.", words=[Word(1.5, 2.0, "General", 0.9)]),
        ],
    )


def _times(body: str, separator: str) -> list[float]:
    pattern = rf"(\d\d):(\d\d):(\d\d){re.escape(separator)}(\d\d\d)"
    return [
        int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000
        for h, m, s, ms in re.findall(pattern, body)
    ]


@pytest.mark.parametrize(("render", "sep"), [(formats.srt, ","), (formats.vtt, ".")])
def test_subtitle_timings_are_monotonic(render: Callable[[Transcript], str], sep: str) -> None:
    body = render(transcript())
    times = _times(body, sep)
    assert len(times) == 4
    assert times == sorted(times)
    assert "General Kenobi." in body


def test_vtt_header_and_srt_numbering() -> None:
    assert formats.vtt(transcript()).startswith("WEBVTT\n\n")
    assert formats.srt(transcript()).startswith("1\n00:00:00,000 --> 00:00:01,500\n")


def test_verbose_json_words_only_when_asked() -> None:
    plain = formats.verbose_json(transcript(), words=False)
    assert "words" not in plain
    assert len(plain["segments"]) == 2
    assert formats.verbose_json(transcript(), words=True)["words"][1]["word"] == "General"


def test_transcript_round_trips_through_json() -> None:
    again = Transcript.from_json(transcript().as_json())
    assert again == transcript()


def test_models_resolve_with_openai_names() -> None:
    assert stt.resolve_model(None) == model_names.TINY_EN
    assert stt.resolve_model("whisper-1") == model_names.BASE  # STT_MODEL_ALIASES
    assert stt.resolve_model("whisper-base") == model_names.BASE
    with pytest.raises(UnprocessableContentError):
        stt.resolve_model("whisper-large")


def test_decode_refuses_empty_and_corrupt_audio() -> None:
    with pytest.raises(BadRequestError):
        audio.decode(b"")
    with pytest.raises(UnsupportedMediaTypeError, match="not audio"):
        audio.decode(b"this is not audio at all" * 50)
    with pytest.raises(UnsupportedMediaTypeError):
        audio.decode(b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 8)


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "opus", "aac"])
def test_every_output_format_decodes_back(fmt: str) -> None:
    import numpy as np

    pcm = (np.sin(np.arange(22050) * 0.05) * 3000).astype("<i2").tobytes()
    decoded = audio.decode(audio.encode(audio.normalize_loudness(pcm), 22050, fmt))
    assert 0.9 < decoded.seconds < 1.2


def test_unknown_output_format_lists_the_supported_ones() -> None:
    with pytest.raises(UnprocessableContentError) as info:
        audio.encode(b"\x00\x00", 16000, "wma")
    assert "mp3" in info.value.extensions["supported"]


def test_loudness_normalisation_reaches_the_target_and_keeps_silence() -> None:
    import numpy as np

    quiet = (np.sin(np.arange(16000) * 0.05) * 300).astype("<i2").tobytes()
    out = np.frombuffer(audio.normalize_loudness(quiet), dtype="<i2").astype(float) / 32768
    rms_db = 20 * np.log10(np.sqrt(np.mean(out**2)))
    assert abs(rms_db - audio.TARGET_RMS_DBFS) < 1.0
    silence = b"\x00\x00" * 100
    assert audio.normalize_loudness(silence) == silence


def test_word_error_rate() -> None:
    assert word_error_rate("the cat sat", "The cat sat.") == 0
    assert word_error_rate("the cat sat", "the dog sat") == pytest.approx(1 / 3)
