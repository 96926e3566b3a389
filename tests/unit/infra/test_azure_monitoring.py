"""Azure's view of the telemetry: the workbook and the alert rules of modules/alerts.bicep query
the names the app really emits (metric names from the app's instruments, dimensions it sets)."""

from __future__ import annotations

import json
import re

import pytest

from tests.unit.infra.bicep_model import BicepFile, load, text
from tests.unit.infra.support import BICEP_DIR, MAIN_BICEP, ROOT
from tests.unit.infra.telemetry_names import emitted_metrics

ALERTS = BICEP_DIR / "modules" / "alerts.bicep"
WORKBOOK = BICEP_DIR / "workbook.json"
RULES = {
    "server-error-rate",
    "breaker-open",
    "poison-messages",
    "jobs-failing",
    "route-p95-latency",
}
SHARED_SOURCE = "\n".join(p.read_text() for p in (ROOT / "shared").rglob("*.py"))


@pytest.fixture(scope="module")
def alerts() -> BicepFile:
    return load(ALERTS)


def _workbook_queries() -> list[str]:
    workbook = json.loads(WORKBOOK.read_text(encoding="utf-8"))
    assert workbook["version"] == "Notebook/1.0"
    return [item["content"]["query"] for item in workbook["items"] if item["type"] == 3]


def _rule_queries(alerts: BicepFile) -> dict[str, str]:
    rules = text(alerts.variables["rules"])
    names = re.findall(r"name: '([a-z0-9-]+)'", rules)
    queries = re.findall(r"query: '((?:[^'\\]|\\.)*)'", rules)
    assert len(names) == len(queries)
    return dict(zip(names, queries, strict=True))


def test_main_deploys_the_workbook_and_alerts_on_its_application_insights():
    main = load(MAIN_BICEP)
    (module,) = main.modules_at("modules/alerts.bicep")
    (monitoring,) = main.modules_at("modules/monitoring.bicep")
    assert text(module.params["appInsightsName"]) == text(monitoring.params["appInsightsName"])
    assert "alertEmail" in main.params


def test_the_alerts_of_the_issue_exist_and_query_application_insights(alerts: BicepFile):
    assert set(_rule_queries(alerts)) == RULES
    body = text(alerts.resources["alertRules"])
    assert "appInsights.id" in body
    assert "loadJsonContent('../workbook.json')" in text(alerts.resources["workbook"])


def _metric_names(query: str) -> set[str]:
    names = set(re.findall(r'name == "([a-z_.]+)"', query))
    for group in re.findall(r"name in \(([^)]*)\)", query):
        names |= set(re.findall(r'"([a-z_.]+)"', group))
    return names


def test_every_metric_a_query_reads_is_emitted_with_the_dimensions_it_filters_on(
    alerts: BicepFile,
):
    queries = [*_rule_queries(alerts).values(), *_workbook_queries()]
    used = set().union(*(_metric_names(q) for q in queries))
    assert used, "no customMetrics query"
    assert used <= set(emitted_metrics()), sorted(used - set(emitted_metrics()))
    dimensions = {d for q in queries for d in re.findall(r'customDimensions\[\\?"([a-z_.]+)', q)}
    assert dimensions
    for dimension in dimensions:
        assert f'"{dimension}"' in SHARED_SOURCE, f"the app never sets {dimension}"


def test_the_workbook_shows_requests_jobs_models_pool_and_processes():
    used = set().union(*(_metric_names(q) for q in _workbook_queries()))
    for wanted in (
        "platform.idempotency.requests",
        "platform.breaker.transitions",
        "platform.jobs.duration",
        "platform.jobs.queue.depth",
        "platform.model.load.duration",
        "db.client.connection.count",
        "process.memory.usage",
    ):
        assert wanted in used, wanted
    assert any(q.startswith("requests") for q in _workbook_queries())
