"""Pure logic of Redis Cluster support: hash tags, key layouts, the failover retry budget."""

from __future__ import annotations

import uuid

import pytest
from redis.crc import key_slot

from shared.chat.sessions import CONTEXT_PREFIX, SESSION_PREFIX, cache_key
from shared.idempotency.keys import record_key, scoped_key_hash
from shared.idempotency.persistence.redis import RedisPersistenceLayer
from shared.stores.hash_tags import hash_tag, tag_of
from shared.stores.redis import FAILOVER_BACKOFF_CAP, failover_retries


def test_tag_of_follows_the_cluster_rule_first_braces_not_empty() -> None:
    assert tag_of("idempotency:{3f}:abc") == "3f"
    assert tag_of("a{b}c{d}") == "b"
    assert tag_of("no-tag") is None
    assert tag_of("empty{}tag{x}") is None  # an empty first tag: the whole key is hashed
    assert tag_of("open{only") is None


@pytest.mark.parametrize("value", ["", "a{b", "a}b"])
def test_hash_tag_refuses_what_would_not_be_one_tag(value: str) -> None:
    with pytest.raises(ValueError, match="hash tag"):
        hash_tag(value)


def test_a_record_and_its_counters_share_a_slot() -> None:
    # given the layer's key layout (no connection is made) / then every script's two keys meet
    layer = RedisPersistenceLayer(object())  # type: ignore[arg-type]
    for n in range(200):
        record = record_key(scoped_key_hash("scope", "function", str(n)))
        assert key_slot(record.encode()) == key_slot(layer.stats_key_of(record).encode())


def test_a_record_key_without_a_tag_is_refused() -> None:
    layer = RedisPersistenceLayer(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hash tag"):
        layer.stats_key_of("idempotency:untagged")


def test_a_chat_sessions_cache_entries_share_a_slot() -> None:
    session = uuid.uuid4()
    assert key_slot(cache_key(SESSION_PREFIX, session).encode()) == key_slot(
        cache_key(CONTEXT_PREFIX, session).encode()
    )


@pytest.mark.parametrize("seconds", [0.0, 0.3, 2.0, 5.0, 20.0])
def test_failover_retries_wait_at_least_the_budget_and_not_a_cap_more(seconds: float) -> None:
    retries = failover_retries(seconds)
    waits = [min(FAILOVER_BACKOFF_CAP, 0.05 * 2**n) for n in range(retries)]
    assert sum(waits) >= seconds
    assert sum(waits[:-1]) < seconds or retries == 0
