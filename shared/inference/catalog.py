"""The catalog of models the app can serve, each loaded lazily once per process.

Features register a ``ModelSpec`` when their module is imported (cheap: no weights are read);
the first ``load(name)`` reads the weights, later calls return the cached object. ``GET
/api/models/status`` reports every registered model and whether this process has loaded it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from shared.errors import NotFoundError


@dataclass(frozen=True)
class ModelSpec:
    """What a model is and how to load it. ``loader`` runs at most once per process."""

    name: str
    task: str
    runtime: str
    version: str
    loader: Callable[[], Any] = field(repr=False, compare=False)


class ModelStatus(BaseModel):
    """One model as ``GET /api/models/status`` reports it."""

    name: str
    task: str
    runtime: str
    version: str
    loaded: bool
    load_seconds: float | None = None


class ModelCatalog:
    """Registered models and the ones this process has loaded (thread-safe)."""

    def __init__(self) -> None:
        self._specs: dict[str, ModelSpec] = {}
        self._loaded: dict[str, tuple[Any, float]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def register(self, spec: ModelSpec) -> None:
        """Add a model; registering the same name again replaces its spec (not a loaded copy)."""
        with self._guard:
            self._specs[spec.name] = spec
            self._locks.setdefault(spec.name, threading.Lock())

    def load(self, name: str) -> Any:
        """The loaded model ``name``; the first caller loads it while others wait."""
        if (hit := self._loaded.get(name)) is not None:
            return hit[0]
        spec = self._specs.get(name)
        if spec is None:
            raise NotFoundError(f"no model named {name!r}", known=sorted(self._specs))
        with self._locks[name]:
            if (hit := self._loaded.get(name)) is None:
                from shared.telemetry.work import model_span, record_model_load

                started = time.perf_counter()
                with model_span("load", name):
                    model = spec.loader()
                hit = (model, time.perf_counter() - started)
                self._loaded[name] = hit
                record_model_load(name, hit[1])
        return hit[0]

    def status(self) -> list[ModelStatus]:
        """Every registered model, sorted by name."""
        return [
            ModelStatus(
                name=spec.name,
                task=spec.task,
                runtime=spec.runtime,
                version=spec.version,
                loaded=spec.name in self._loaded,
                load_seconds=round(self._loaded[spec.name][1], 3)
                if spec.name in self._loaded
                else None,
            )
            for spec in sorted(self._specs.values(), key=lambda s: s.name)
        ]


CATALOG = ModelCatalog()
