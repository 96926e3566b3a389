"""The Piper synthesizer: registered in the model catalog without loading, real speech on use."""

from __future__ import annotations

from shared.speech.synthesizer import SpeechSynthesizer


def test_the_voice_is_in_the_catalog_and_speaks():
    from shared.inference.catalog import CATALOG
    from shared.speech.piper import get_synthesizer

    [status] = [m for m in CATALOG.status() if m.name == "piper-en_US-joe-medium"]
    assert status.task == "text-to-speech"

    synthesizer = get_synthesizer()
    audio = synthesizer.synthesize("Reading documents aloud, one page at a time.")

    assert isinstance(synthesizer, SpeechSynthesizer)
    assert synthesizer.sample_rate == audio.sample_rate == 22050
    assert 1.5 < audio.seconds < 8
    assert (
        max(
            abs(int.from_bytes(audio.pcm[i : i + 2], "little", signed=True))
            for i in range(0, len(audio.pcm), 200)
        )
        > 1000
    )  # not silence
    assert list(synthesizer.stream("")) == []
