"""The box's telemetry stack, checked as far as a machine without a Docker engine allows: the
Collector's pipelines only use what it defines, the app services export to it, Prometheus scrapes
it, Grafana reads Prometheus and loads the dashboard, and every metric a dashboard panel or an
alert reads is one the app really emits (names derived from the app's instruments)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.unit.infra.support import ROOT, compose_config
from tests.unit.infra.telemetry_names import metric_names_in_promql, prometheus_names

DOCKER = ROOT / "docker"
COLLECTOR = DOCKER / "otel" / "collector.yaml"
PROMETHEUS = DOCKER / "prometheus" / "prometheus.yml"
ALERTS = DOCKER / "prometheus" / "alerts.yml"
DASHBOARD = DOCKER / "grafana" / "dashboards" / "platform.json"
DATASOURCES = DOCKER / "grafana" / "provisioning" / "datasources" / "prometheus.yaml"
DASHBOARD_PROVIDERS = DOCKER / "grafana" / "provisioning" / "dashboards" / "platform.yaml"
APP_SERVICES = ("api", "jobs-scaler")


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _binds(service: str) -> dict[str, str]:
    """Bind-mount target -> source of a compose service."""
    volumes = compose_config()["services"][service].get("volumes", [])
    return {v["target"]: v["source"] for v in volumes if v["type"] == "bind"}


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def test_the_collector_pipelines_use_only_defined_components():
    config = _yaml(COLLECTOR)
    pipelines = config["service"]["pipelines"]
    assert {"traces", "metrics", "logs"} <= set(pipelines)
    for name, pipeline in pipelines.items():
        for part in ("receivers", "processors", "exporters"):
            for component in pipeline.get(part, []):
                assert component in (config.get(part) or {}), f"{name}: {part} {component}"
    for extension in config["service"].get("extensions", []):
        assert extension in config["extensions"]
    assert "prometheus" in pipelines["metrics"]["exporters"]


def test_the_app_exports_to_the_collector_that_compose_mounts_this_file_into():
    services = compose_config()["services"]
    assert _binds("otel-collector")["/etc/otelcol-contrib/config.yaml"] == str(COLLECTOR)
    receiver_port = _port(_yaml(COLLECTOR)["receivers"]["otlp"]["protocols"]["http"]["endpoint"])
    for name in APP_SERVICES:
        endpoint = urlsplit(services[name]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"])
        assert (endpoint.hostname, endpoint.port) == ("otel-collector", receiver_port), name


def test_prometheus_scrapes_the_collectors_exporter_and_loads_the_alerts():
    exporter_port = _port(_yaml(COLLECTOR)["exporters"]["prometheus"]["endpoint"])
    config = _yaml(PROMETHEUS)
    targets = [
        t for job in config["scrape_configs"] for c in job["static_configs"] for t in c["targets"]
    ]
    assert f"otel-collector:{exporter_port}" in targets
    binds = _binds("prometheus")
    assert binds["/etc/prometheus/prometheus.yml"] == str(PROMETHEUS)
    for rule_file in config["rule_files"]:
        assert binds[rule_file] == str(ALERTS)


def test_grafana_reads_prometheus_and_loads_the_dashboard():
    (source,) = _yaml(DATASOURCES)["datasources"]
    url = urlsplit(source["url"])
    assert (url.hostname, url.port) == ("prometheus", 9090)
    assert "prometheus" in compose_config()["services"]
    (provider,) = _yaml(DASHBOARD_PROVIDERS)["providers"]
    binds = _binds("grafana")
    assert binds[provider["options"]["path"]] == str(DASHBOARD.parent)
    assert binds["/etc/grafana/provisioning"] == str(DOCKER / "grafana" / "provisioning")
    panel_sources = {t["datasource"]["uid"] for p in _panels() for t in p["targets"]}
    assert panel_sources == {source["uid"]}


def _panels() -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    return panels


def _alert_expressions() -> list[str]:
    return [rule["expr"] for group in _yaml(ALERTS)["groups"] for rule in group["rules"]]


@pytest.mark.parametrize(
    "expression",
    [t["expr"] for p in _panels() for t in p["targets"]] + _alert_expressions(),
)
def test_every_query_reads_metrics_the_app_emits(expression: str):
    used = metric_names_in_promql(expression)
    assert used, f"no metric in {expression!r}"
    assert used <= prometheus_names(), f"not emitted: {sorted(used - prometheus_names())}"


def test_the_dashboard_covers_what_people_look_for():
    used = {n for p in _panels() for t in p["targets"] for n in metric_names_in_promql(t["expr"])}
    for wanted in (
        "http_server_request_duration_seconds_bucket",
        "platform_idempotency_requests_total",
        "platform_breaker_transitions_total",
        "platform_batch_size_bucket",
        "platform_jobs_queue_depth",
        "platform_jobs_duration_seconds_count",
        "platform_model_load_duration_seconds_sum",
        "platform_llm_tokens_per_second_bucket",
        "db_client_connection_count",
        "process_memory_usage_bytes",
        "process_cpu_utilization_ratio",
    ):
        assert wanted in used, wanted
