"""A tiny ONNX "cross-encoder" with the real input/output contract, for tests.

No cross-encoder weights can be installed offline, so the reranker's cross-encoder path is tested
with a graph whose logit is known: 0.1 x the number of document tokens (the second segment, where
token_type_ids is 1). Longer documents therefore rank higher; a real model would rank by relevance.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import onnx
from onnx import TensorProto, helper


def write_tiny_cross_encoder(directory: Path, tokenizer_json: Path) -> Path:
    """Write ``model.onnx`` and a copy of ``tokenizer_json`` into ``directory``."""
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
        for name in ("input_ids", "attention_mask", "token_type_ids")
    ]
    logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 1])
    nodes = [
        helper.make_node("Mul", ["attention_mask", "token_type_ids"], ["second"]),
        helper.make_node("Cast", ["second"], ["second_f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["second_f", "axes"], ["count"], keepdims=1),
        helper.make_node("Mul", ["count", "scale"], ["logits"]),
    ]
    initializers = [
        helper.make_tensor("axes", TensorProto.INT64, [1], [1]),
        helper.make_tensor("scale", TensorProto.FLOAT, [], [0.1]),
    ]
    graph = helper.make_graph(nodes, "tiny_cross_encoder", inputs, [logits], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "model.onnx"
    onnx.save(model, str(path))
    shutil.copyfile(tokenizer_json, directory / "tokenizer.json")
    return path
