"""Dependency checks against the real services, and against a Redis stopped under them."""

from __future__ import annotations

from shared.config import Settings
from shared.health.checks import DEFAULT_CHECKS, check_dependencies, overall_ok
from shared.health.probe import DependencyCheck
from shared.stores.redis import RedisService, redis_client_from_settings
from tests.utils.servers import redis_server

REQUIRED = {"redis", "postgres", "blob", "queue", "vectors"}
OPTIONAL = {"graph", "llm", "runtime:openvino", "runtime:onnxruntime", "runtime:ctranslate2"}


def test_every_local_service_answers():
    statuses = check_dependencies()
    assert {s.name for s in statuses} == REQUIRED | OPTIONAL
    assert {s.name for s in statuses if s.required} == REQUIRED
    failed = {s.name: s.error for s in statuses if not s.ok and s.required}
    assert failed == {}, f"services down: {failed} (scripts/services.sh start)"
    # Every store, the graph and the LLM carry their circuit breaker's state.
    assert all(
        s.breaker in ("closed", "open", "half_open") for s in statuses if "runtime" not in s.name
    )
    assert overall_ok(statuses)
    assert all(s.latency_ms is not None and s.latency_ms >= 0 for s in statuses)


def test_a_stopped_required_service_is_named_and_fails_the_whole(monkeypatch):
    with redis_server() as private:
        monkeypatch.setenv("REDIS_PORT", str(private.port))
        client = redis_client_from_settings(Settings(), RedisService.HEALTH)
        check = DependencyCheck("redis", client.ping)
        assert check_dependencies([check])[0].ok
        private.stop()
        [status] = check_dependencies([check])
    assert not status.ok
    assert status.name == "redis"
    assert "Connection" in (status.error or "")
    assert not overall_ok([status])


def test_a_hanging_check_is_cut_off_at_the_timeout():
    import threading

    release = threading.Event()
    hanging = DependencyCheck("slow", lambda: release.wait(5))
    [status] = check_dependencies([hanging], timeout=0.2)
    release.set()
    assert not status.ok
    assert "no answer" in (status.error or "")


def test_only_the_stores_are_required():
    # The graph, the LLM and the model runtimes are reported; the features using them degrade.
    assert {check.name for check in DEFAULT_CHECKS if check.required} == REQUIRED
