"""docker/*.Dockerfile and .dockerignore: multi-stage, non-root, pinned bases, models built by the
same step as `make models`, nothing private in the build context. (No engine here: the images
are not built by these tests.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.unit.infra.support import ROOT, compose_config

DOCKERFILES = sorted((ROOT / "docker").glob("*.Dockerfile"))
FUNCTIONS_BASE = "mcr.microsoft.com/azure-functions/python:4-python3.11"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", path.read_text())
    found = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def arg_defaults(steps: list[tuple[str, str]]) -> dict[str, str]:
    return dict(rest.split("=", 1) for keyword, rest in steps if keyword == "ARG" and "=" in rest)


def stages(path: Path) -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for step in instructions(path):
        if step[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(step)
    return found


def models_module() -> str:
    match = re.search(r"-m (shared\.inference\.build)\b", (ROOT / "Makefile").read_text())
    assert match, "the Makefile no longer builds the models with python -m shared.inference.build"
    return match.group(1)


def test_there_is_an_image_for_the_function_app_and_one_for_the_jobs():
    assert {p.name for p in DOCKERFILES} >= {"functions.Dockerfile", "jobs.Dockerfile"}
    built = {
        s["build"]["dockerfile"] for s in compose_config()["services"].values() if "build" in s
    }
    assert built == {"docker/functions.Dockerfile", "docker/jobs.Dockerfile"}


@pytest.mark.parametrize("path", DOCKERFILES, ids=[p.name for p in DOCKERFILES])
def test_images_are_multi_stage_with_pinned_bases(path: Path):
    steps = instructions(path)
    defaults = arg_defaults(steps)
    bases = [rest.split()[0] for keyword, rest in steps if keyword == "FROM"]
    assert len(bases) >= 3, "expected models, deps and final stages"
    for base in bases:
        image = re.sub(r"\$\{(\w+)\}", lambda m: defaults.get(m.group(1), m.group(0)), base)
        assert ":" in image.split("/")[-1], f"{image} has no tag"
        assert not image.endswith(":latest"), image


@pytest.mark.parametrize("path", DOCKERFILES, ids=[p.name for p in DOCKERFILES])
def test_the_final_stage_runs_as_an_unprivileged_user(path: Path):
    users = [rest for keyword, rest in stages(path)[-1] if keyword == "USER"]
    assert users, "the final stage sets no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}


@pytest.mark.parametrize("path", DOCKERFILES, ids=[p.name for p in DOCKERFILES])
def test_models_are_baked_in_by_the_makefile_build_step(path: Path):
    runs = " ".join(rest for keyword, rest in instructions(path) if keyword == "RUN")
    assert f"python -m {models_module()} --models-dir /models" in runs
    final = stages(path)[-1]
    assert any(k == "COPY" and "--from=models" in r and "/models" in r for k, r in final)
    assert any(k == "ENV" and "MODELS_DIR=/models" in r for k, r in final)


def test_the_function_image_is_the_official_functions_python_image():
    defaults = arg_defaults(instructions(ROOT / "docker" / "functions.Dockerfile"))
    assert defaults["FUNCTIONS_IMAGE"].startswith(FUNCTIONS_BASE)
    final_from = stages(ROOT / "docker" / "functions.Dockerfile")[-1][0][1]
    assert final_from == "${FUNCTIONS_IMAGE}"


def test_dockerignore_keeps_private_files_out_of_the_context():
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "**", "allow-list expected: ignore everything, then re-include"
    reincluded = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    for private in (".env", ".venv", ".git", "local.settings.json", "tests", ".models"):
        assert private not in reincluded
    copied = {
        src.rstrip("/")
        for path in DOCKERFILES
        for keyword, rest in instructions(path)
        if keyword == "COPY" and "--from=" not in rest
        for src in rest.split()[:-1]
    }
    assert copied <= reincluded, f"COPY of files the context lacks: {copied - reincluded}"
