"""ONNX copies of registry estimators (skl2onnx), served with onnxruntime.

Which estimators: those that measured faster through onnxruntime than through scikit-learn at both
1 and 1,000 rows (``python -m bench ml``, bench/results/ml.json ``onnx``): KMeans, RandomForest
(classifier and regressor), LogisticRegression and Ridge, bare or behind a StandardScaler.
IsolationForest is not converted: onnxruntime was about 2x slower than scikit-learn at 1,000 rows.

Contract: ``convert`` returns the ONNX bytes only when the conversion succeeds AND the ONNX
outputs equal scikit-learn's on the training rows (labels exactly; values and probabilities
within ``RTOL``/``ATOL``, the ONNX model computes in float32); otherwise None and the version is
served by scikit-learn. ``predict`` returns the same shape as ``algorithms.predict``. The class
names of a classifier travel inside the ONNX file (metadata ``classes``), so they are covered by
the file's SHA-256 that the registry checks on load.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

CONVERTIBLE = frozenset({"kmeans", "random_forest", "logistic_regression", "ridge"})
# The parity check at registration runs on at most this many training rows.
PARITY_ROWS = 10_000
RTOL, ATOL = 1e-4, 1e-5
_OPSET = {"": 18, "ai.onnx.ml": 3}
_CLASSES_KEY = "classes"


@dataclass(frozen=True)
class OnnxModel:
    """A verified ONNX copy ready to run: its session and, for a classifier, its class names."""

    session: Any
    input_name: str
    classes: list[str] | None


def session(data: bytes) -> OnnxModel:
    """An onnxruntime session over ONNX bytes (CPU, one inter-op thread)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    sess = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    meta = sess.get_modelmeta().custom_metadata_map
    classes = json.loads(meta[_CLASSES_KEY]) if _CLASSES_KEY in meta else None
    return OnnxModel(sess, sess.get_inputs()[0].name, classes)


def predict(model: OnnxModel, x: npt.NDArray[np.float64]) -> dict[str, Any]:
    """Predictions (and class probabilities) shaped as ``algorithms.predict`` shapes them."""
    outputs = model.session.run(None, {model.input_name: x.astype(np.float32)})
    named = {o.name: v for o, v in zip(model.session.get_outputs(), outputs, strict=True)}
    out: dict[str, Any] = {}
    if "label" in named:
        labels = named["label"]
        numeric = labels.dtype.kind in "iuf"
        out["predictions"] = labels.tolist() if numeric else [str(v) for v in labels]
    else:
        out["predictions"] = named["variable"].astype(np.float64).ravel().tolist()
    if model.classes is not None and "probabilities" in named:
        out["probabilities"] = [
            # + 0.0: float32 sums can give -0.0, which JSON would show as such
            {c: round(float(p), 6) + 0.0 for c, p in zip(model.classes, row, strict=True)}
            for row in named["probabilities"]
        ]
    return out


def convert(estimator: Any, algorithm: str, x: npt.NDArray[np.float64]) -> bytes | None:
    """The estimator's ONNX bytes when it converts and matches scikit-learn on ``x``, else None."""
    from shared.ml import algorithms

    if algorithm not in CONVERTIBLE:
        return None
    try:
        data = to_onnx_bytes(estimator, x)
        sample = x[:PARITY_ROWS]
        expected = algorithms.predict(estimator, algorithm, sample)
        actual = predict(session(data), sample)
    except Exception as exc:
        logger.warning("no ONNX copy of a %s: %s", algorithm, exc)
        return None
    reason = mismatch(expected, actual)
    if reason is not None:
        logger.warning("no ONNX copy of a %s: %s", algorithm, reason)
        return None
    return data


def to_onnx_bytes(estimator: Any, x: npt.NDArray[np.float64]) -> bytes:
    """skl2onnx's conversion (float32 input, no ZipMap, class names in the metadata), unchecked:
    ``convert`` is what registration calls; the benchmark converts every estimator with this."""
    from skl2onnx import to_onnx

    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    classes = getattr(final, "classes_", None) if hasattr(final, "predict_proba") else None
    options = {id(final): {"zipmap": False}} if classes is not None else None
    model = to_onnx(estimator, x[:1].astype(np.float32), options=options, target_opset=_OPSET)
    if classes is not None:
        from shared.ml.algorithms import _plain

        entry = model.metadata_props.add()
        entry.key = _CLASSES_KEY
        entry.value = json.dumps([str(_plain(c)) for c in classes])
    data: bytes = model.SerializeToString()
    return data


def mismatch(expected: dict[str, Any], actual: dict[str, Any]) -> str | None:
    """Why ONNX outputs differ from scikit-learn's (None when they agree within tolerance)."""
    reason = _predictions_differ(expected["predictions"], actual["predictions"])
    if reason is not None:
        return reason
    wanted, given = expected.get("probabilities"), actual.get("probabilities")
    if (wanted is None) != (given is None) or len(wanted or []) != len(given or []):
        return "probabilities are missing on one side"
    for want, got in zip(wanted or [], given or [], strict=True):
        if want.keys() != got.keys():
            return "the classes differ"
        if not np.allclose([got[k] for k in want], list(want.values()), rtol=RTOL, atol=ATOL):
            return "class probabilities differ"
    return None


def _predictions_differ(want: list[Any], got: list[Any]) -> str | None:
    if len(want) != len(got):
        return f"{len(got)} predictions for {len(want)} rows"
    if want and isinstance(want[0], float):
        if not np.allclose(got, want, rtol=RTOL, atol=ATOL):
            worst = float(np.max(np.abs(np.asarray(got) - np.asarray(want))))
            return f"predictions differ by up to {worst:.3g}"
        return None
    differ = sum(a != b for a, b in zip(want, got, strict=True))
    return f"{differ} of {len(want)} labels differ" if differ else None
