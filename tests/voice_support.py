"""Speech generated at test time with Debian's espeak-ng (scripts/system-deps.sh installs it)."""

from __future__ import annotations

import functools
import subprocess
import tempfile
from pathlib import Path

SENTENCES = (
    "The weather today is sunny with a light breeze from the west.",
    "Please send the quarterly report to the finance team before Friday.",
    "Our new service transcribes speech and reads text aloud.",
    "She bought three apples and a loaf of bread at the market.",
)
TEXT = " ".join(SENTENCES)
ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
TOPICS = "rivers mountains bread music trains gardens clocks letters bridges storms lamps ports"
# Twelve sentences (streamed speech: the first audio must leave long before the last)
TWELVE_SENTENCES = " ".join(
    f"The {ordinal} sentence is about {topic}."
    for ordinal, topic in zip(ORDINALS.split(), TOPICS.split(), strict=True)
)


@functools.cache
def espeak_wav(text: str = TEXT, speed: int = 150) -> bytes:
    """WAV bytes of ``text`` spoken by espeak-ng (22050 Hz mono)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "speech.wav"
        subprocess.run(
            ["espeak-ng", "-s", str(speed), "-w", str(out), text], check=True, capture_output=True
        )
        return out.read_bytes()


def silence_wav(seconds: float = 2.0, rate: int = 16_000) -> bytes:
    from shared.speech.synthesizer import wav_bytes

    return wav_bytes(b"\x00\x00" * int(seconds * rate), rate)
