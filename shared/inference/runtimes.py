"""The two CPU runtimes a model file can run on: ONNX Runtime and OpenVINO.

Both take the padded ``ModelInputs`` and return the model's first output as float32. Threads are
always set explicitly (the runtimes' own defaults count logical CPUs of the host, not the CPU quota
of a container). Neither object is shared between concurrent callers: ``run`` is guarded by a
lock because an OpenVINO infer request is single-threaded; concurrency comes from batching (see
``shared.inference.batching``), not from running requests side by side on two cores.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from shared.inference.tokenizer import ModelInputs

logger = logging.getLogger(__name__)

RUNTIMES = ("openvino", "onnxruntime")


class InferenceBackend(Protocol):
    """A loaded model file: ``run`` maps a padded batch to the model's first output."""

    name: str

    def run(self, inputs: ModelInputs) -> npt.NDArray[np.float32]: ...


class OnnxRuntimeBackend:
    """An ``onnxruntime.InferenceSession`` on the CPU provider."""

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle pool threads spin-wait by default; on a small box that steals the cores the HTTP
        # threads need between two model calls.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session: Any = ort.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()
        self.name = f"onnxruntime {ort.__version__}"

    def run(self, inputs: ModelInputs) -> npt.NDArray[np.float32]:
        feed = {k: v for k, v in inputs.as_feed().items() if k in self._inputs}
        with self._lock:
            output = self._session.run(None, feed)[0]
        return _float32(output)


class OpenVinoBackend:
    """An OpenVINO compiled model on the CPU plugin, latency hint, one stream."""

    def __init__(self, path: Path, threads: int) -> None:
        import openvino as ov

        core = ov.Core()
        config = {
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": 1,
            "INFERENCE_NUM_THREADS": threads,
        }
        compiled = core.compile_model(str(path), "CPU", config)
        self._inputs = {i.get_any_name() for i in compiled.inputs}
        self._request: Any = compiled.create_infer_request()
        self._lock = threading.Lock()
        self.name = f"openvino {ov.get_version().split('-')[0]}"

    def run(self, inputs: ModelInputs) -> npt.NDArray[np.float32]:
        feed = {k: v for k, v in inputs.as_feed().items() if k in self._inputs}
        with self._lock:
            # The output tensor is reused by the next call: copy it before releasing the lock.
            output = _float32(self._request.infer(feed)[0]).copy()
        return output


def _float32(array: Any) -> npt.NDArray[np.float32]:
    import numpy as np

    return np.asarray(array, dtype=np.float32)


def open_backend(runtime: str, path: Path, threads: int) -> InferenceBackend:
    """Load ``path`` on ``runtime`` ("openvino" or "onnxruntime") with ``threads`` threads."""
    logger.info("loading %s on %s with %d threads", path.name, runtime, threads)
    if runtime == "openvino":
        return OpenVinoBackend(path, threads)
    if runtime == "onnxruntime":
        return OnnxRuntimeBackend(path, threads)
    raise ValueError(f"unknown runtime {runtime!r}; expected one of {RUNTIMES}")
