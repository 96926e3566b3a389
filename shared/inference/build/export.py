"""PyTorch -> ONNX: the MiniLM encoder with mean pooling inside the graph.

The graph takes ``input_ids``, ``attention_mask`` and ``token_type_ids`` (int64, dynamic batch and
sequence axes) and returns ``embedding`` ``(batch, 384)``: the mean of the last hidden states over
the attention mask, not yet normalised. Pooling in the graph returns 384 floats per text instead
of 384 per token, and lets the runtimes fuse it.

Facts that shaped it: the TorchScript exporter (``dynamo=False``, opset 17) exports this model
cleanly; with transformers 5, ``BertModel`` must be called with keyword arguments; eager attention
gives a plain MatMul/Softmax graph that both runtimes optimise and quantise well.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "embedding"
OPSET = 17


def export_onnx(source: Path, target: Path) -> None:
    """Export the model in ``source`` (a Hugging Face folder) to ``target`` (one .onnx file)."""
    import torch
    from transformers import BertModel

    bert: Any = BertModel.from_pretrained(str(source), attn_implementation="eager")
    bert.eval()
    pooled = _mean_pooled(torch, bert)
    example = torch.ones((2, 8), dtype=torch.long)
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    with warnings.catch_warnings(), torch.no_grad():
        # The tracer warns about Python conditionals on shapes that are constant for BERT.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            pooled,
            (example, example, torch.zeros_like(example)),
            str(target),
            dynamo=False,
            opset_version=OPSET,
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes={**axes, OUTPUT_NAME: {0: "batch"}},
        )


def _mean_pooled(torch: Any, bert: Any) -> Any:
    class MeanPooled(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    return MeanPooled().eval()
