"""The accuracy part of ``python -m bench voice``: its texts are not the tests', and the rule
that picks ``whisper-1``'s model."""

from __future__ import annotations

from bench._voice_accuracy import PASSAGES, RTF_LIMIT, choose, summary
from tests.voice_support import SENTENCES


def test_the_benchmark_speaks_no_text_the_tests_use() -> None:
    bench_text = " ".join(PASSAGES).lower()
    assert not any(sentence.lower().rstrip(".") in bench_text for sentence in SENTENCES)


def test_the_most_accurate_model_under_the_limit_is_chosen() -> None:
    rows = [
        {"model": "tiny", "wer": 0.10, "rtf": 0.05},
        {"model": "base", "wer": 0.05, "rtf": RTF_LIMIT - 0.01},
        {"model": "large", "wer": 0.01, "rtf": RTF_LIMIT + 0.5},
    ]
    assert choose(rows) == "base"
    assert choose([{"model": "slow", "wer": 0.0, "rtf": RTF_LIMIT}]) is None


def test_a_busy_machine_is_judged_by_the_cpu_cost() -> None:
    # Others' load stretched the wall time; the CPU seconds bound the RTF on a free machine.
    busy = {"model": "base", "wer": 0.05, "rtf": 0.19, "cpu_per_audio_second": 0.12}
    assert choose([{"model": "tiny", "wer": 0.1, "rtf": 0.06}, busy]) == "base"
    assert choose([{**busy, "cpu_per_audio_second": 0.2}]) is None


def test_wer_is_weighted_by_words_and_rtf_by_audio() -> None:
    clip = {"model": "m", "cpu_seconds": 1.0, "length": "short"}
    clips = [
        {**clip, "words": 10, "wer": 0.5, "seconds": 10.0, "elapsed": 1.0, "rtf": 0.1},
        {**clip, "words": 30, "wer": 0.0, "seconds": 30.0, "elapsed": 1.0, "rtf": 1 / 30},
    ]
    figures = summary("m", clips)
    assert figures["wer"] == 0.125
    assert figures["mean_clip_wer"] == 0.25
    assert figures["rtf"] == 0.05
    assert figures["cpu_per_audio_second"] == 0.05
