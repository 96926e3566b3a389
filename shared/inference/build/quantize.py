"""INT8 variants of the exported ONNX model.

- ONNX Runtime: ``quant_pre_process`` then dynamic quantization, weights int8 per channel,
  activations quantised per call. The FFN output projections stay float: BERT's largest activation
  outliers enter there, and quantising them cost 0.004 of mean cosine (short texts suffered most)
  for no measurable speed.
- OpenVINO: the ONNX model read by OpenVINO, then NNCF static quantization (weights and
  activations int8, calibrated on ``sentences.CALIBRATION``) with SmoothQuant (alpha 0.5) and the
  attention-output and FFN-output projections left in float. Measured here: weight-only INT8
  (``compress_weights``) keeps cosine 0.9992 but is no faster than float; static INT8 with NNCF's
  transformer defaults ran ~35% faster but fell to 0.95 mean / 0.68 min cosine on short texts;
  SmoothQuant plus these ignored layers gives back 0.999 at most of the speed.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ORT_FLOAT_NODES = r".*/layer\.\d+/output/dense/MatMul"
OPENVINO_FLOAT_NODES = r".*/output/dense/MatMul"  # FFN output and attention output projections
SMOOTH_QUANT_ALPHA = 0.5


def onnx_runtime_int8(source: Path, target: Path) -> str:
    """Write the ONNX Runtime INT8 model; returns how it was made, in words."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory() as work:
        prepared = Path(work) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        graph = onnx.load(str(prepared), load_external_data=False).graph
        keep_float = [n.name for n in graph.node if re.fullmatch(ORT_FLOAT_NODES, n.name)]
        quantize_dynamic(
            str(prepared),
            str(target),
            per_channel=True,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=keep_float,
        )
    return (
        "onnxruntime quant_pre_process + quantize_dynamic (QInt8 weights per channel); "
        f"{len(keep_float)} FFN-output MatMuls kept float"
    )


def openvino_int8(
    source: Path,
    target: Path,
    calibration: Sequence[str],
    to_inputs: Callable[[str], dict[str, Any]],
) -> str:
    """Write the OpenVINO IR (``target`` .xml + .bin); returns how it was made, in words."""
    import nncf
    import openvino as ov
    from nncf.quantization.advanced_parameters import (
        AdvancedQuantizationParameters,
        AdvancedSmoothQuantParameters,
    )

    nncf.set_log_level(logging.WARNING)  # its INFO lists every ignored node
    model = ov.Core().read_model(str(source))
    quantized = nncf.quantize(
        model,
        nncf.Dataset(list(calibration), to_inputs),
        model_type=nncf.ModelType.TRANSFORMER,
        preset=nncf.QuantizationPreset.MIXED,
        subset_size=len(calibration),
        ignored_scope=nncf.IgnoredScope(patterns=[OPENVINO_FLOAT_NODES]),
        advanced_parameters=AdvancedQuantizationParameters(
            smooth_quant_alphas=AdvancedSmoothQuantParameters(matmul=SMOOTH_QUANT_ALPHA)
        ),
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(quantized, str(target), compress_to_fp16=False)
    return (
        f"NNCF {nncf.__version__} static INT8 (quantize, mixed preset, SmoothQuant "
        f"{SMOOTH_QUANT_ALPHA}, {len(calibration)} calibration sentences); "
        "attention-output and FFN-output MatMuls kept float"
    )
