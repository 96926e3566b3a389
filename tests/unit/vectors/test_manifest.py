"""The model manifest: a missing or tampered build fails loudly and says to run make models."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.inference.manifest import (
    Manifest,
    ModelFilesMissingError,
    Reference,
    SourcePackage,
    Variant,
    load_manifest,
    sha256_of,
    verify_files,
)


def manifest_with(variant: Variant) -> Manifest:
    return Manifest(
        format=1,
        model="m",
        dimension=4,
        max_tokens=8,
        pooling="mean",
        source=SourcePackage(package="p", version="1", files={}),
        tokenizer={"tokenizer.json": "0"},
        reference=Reference(file="r", sha256="0", sentences_sha256="0", count=0, library="x"),
        variants={variant.name: variant},
        build={},
    )


def variant(accepted: bool) -> Variant:
    return Variant(
        name="openvino-int8",
        runtime="openvino",
        precision="int8",
        files={"a.xml": "0"},
        cosine_mean=0.999 if accepted else 0.9,
        cosine_min=0.99,
        accepted=accepted,
        method="test",
    )


def test_a_missing_manifest_says_to_run_make_models(tmp_path: Path):
    with pytest.raises(ModelFilesMissingError, match="make models") as caught:
        load_manifest(tmp_path)
    assert caught.value.status == 503


def test_an_unreadable_manifest_says_to_rebuild(tmp_path: Path):
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(ModelFilesMissingError, match="make models"):
        load_manifest(tmp_path)


def test_variants_are_found_by_runtime_and_precision_and_refused_ones_are_not_served():
    assert manifest_with(variant(True)).variant("openvino", "int8").name == "openvino-int8"
    with pytest.raises(ModelFilesMissingError, match="refused"):
        manifest_with(variant(False)).variant("openvino", "int8")
    with pytest.raises(ModelFilesMissingError, match="no onnxruntime fp32"):
        manifest_with(variant(True)).variant("onnxruntime", "fp32")


def test_files_are_checked_against_their_hashes(tmp_path: Path):
    (tmp_path / "w.bin").write_bytes(b"weights")
    verify_files(tmp_path, {"w.bin": sha256_of(tmp_path / "w.bin")})
    with pytest.raises(ModelFilesMissingError, match="does not match"):
        verify_files(tmp_path, {"w.bin": "0" * 64})
    with pytest.raises(ModelFilesMissingError, match="missing"):
        verify_files(tmp_path, {"gone.bin": "0" * 64})
