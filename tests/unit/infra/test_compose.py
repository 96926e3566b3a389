"""compose.yaml: Docker Compose accepts it (client only, no engine), and it keeps the rules of
the box: health checks, depends_on on health, limits, named volumes, one published port,
secrets only from a git-ignored .env."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from tests.unit.infra.support import COMPOSE_FILE, ENV_EXAMPLE, ROOT, compose_config, run_compose

ONE_SHOT = {"migrate", "redis-acl"}  # run to completion; the others depend on it having succeeded
PUBLISHED = {"api", "grafana"}  # Grafana on the loopback address only
SECRETISH = re.compile(r"(PASSWORD|_KEY$|KEY__|SECRET|TOKEN|_DSN$|AUTH$|ACCOUNTS$)")


def services() -> dict[str, Any]:
    found: dict[str, Any] = compose_config()["services"]
    return found


def test_docker_compose_config_accepts_the_file():
    result = run_compose("config", "--quiet")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_the_secrets():
    result = run_compose("config", "--quiet", env_file=None)
    assert result.returncode != 0
    assert "required variable" in result.stderr


def test_the_box_has_every_service():
    expected = {
        "api",
        "jobs-scaler",
        "migrate",
        "redis-acl",
        "azurite",
        "redis",
        "postgres",
        "qdrant",
        "neo4j",
        "otel-collector",
        "prometheus",
        "grafana",
    }
    assert expected <= set(services())
    assert services()["ollama"].get("profiles") == ["ollama"]


@pytest.mark.parametrize("name", sorted(compose_config()["services"]))
def test_every_long_running_service_has_a_health_check_and_limits(name: str):
    service = services()[name]
    if name not in ONE_SHOT:
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
    assert limits.get("cpus"), f"{name} has no CPU limit"
    assert limits.get("memory"), f"{name} has no memory limit"


@pytest.mark.parametrize("name", sorted(compose_config()["services"]))
def test_dependencies_wait_for_health_or_completion(name: str):
    for dependency, spec in services()[name].get("depends_on", {}).items():
        expected = "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
        assert spec["condition"] == expected, f"{name} -> {dependency}"


def test_only_the_api_port_and_the_dashboards_are_published():
    published = {name for name, service in services().items() if service.get("ports")}
    assert published == PUBLISHED
    (grafana,) = services()["grafana"]["ports"]
    assert grafana["host_ip"] == "127.0.0.1"


def test_data_lives_in_named_volumes():
    declared = set(compose_config().get("volumes", {}))
    for name, service in services().items():
        for volume in service.get("volumes", []):
            if volume["type"] == "volume":
                assert volume["source"] in declared, f"{name}: {volume['source']}"
            else:  # only read-only files shipped in docker/
                assert volume["type"] == "bind", f"{name}: {volume}"
                assert volume.get("read_only"), f"{name}: {volume}"
                assert volume["source"].startswith(str(ROOT / "docker")), name


def test_images_are_pinned():
    for name, service in services().items():
        if "build" in service:
            continue
        image = service["image"]
        tag = image.rsplit(":", 1)[-1] if ":" in image.split("/")[-1] else ""
        assert tag, f"{name}: {image} has no tag"
        assert tag != "latest", f"{name}: {image} is not pinned"


def test_the_job_runner_is_devhost_scaler_alone():
    command = services()["jobs-scaler"]["command"]
    assert command[:3] == ["python", "-m", "devhost.scale"]


def test_secrets_are_never_literals():
    raw = compose_config(interpolate=False)["services"]
    for name, service in raw.items():
        for key, value in (service.get("environment") or {}).items():
            if SECRETISH.search(key.upper()) and value:
                assert "${" in value, f"{name}: {key} is a literal"


def test_env_example_gives_every_required_variable_a_placeholder():
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", COMPOSE_FILE.read_text()))
    example = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert required <= set(example), f"missing in .env.example: {required - set(example)}"
    for name in required:
        if SECRETISH.search(name):
            # Settings refuses "local-dev-" values outside local development.
            assert "local-dev-" in example[name], f"{name} is not an obvious placeholder"


def test_env_file_is_git_ignored_and_example_is_not():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False, capture_output=True
    )
    assert ignored.returncode == 0, ".env must be git-ignored (.gitignore)"
    example = subprocess.run(
        ["git", "check-ignore", "-q", ".env.example"], cwd=ROOT, check=False, capture_output=True
    )
    assert example.returncode == 1, ".env.example must be committed"
