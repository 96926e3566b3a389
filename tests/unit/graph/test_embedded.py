"""The embedded (ladybug) store's own behaviour: one process per file, threads, persistence."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from shared.graph import GraphUnavailableError, LearnedConcept, RelatedConcept
from shared.graph.embedded import EmbeddedGraphStore

HOLD_THE_FILE = """
import sys, ladybug
database = ladybug.Database(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "graph" / "concepts.lbug"


def test_data_survives_reopening_the_file(path: Path):
    first = EmbeddedGraphStore(path)
    first.learn("alice", ["python", "pandas"], confidence=0.5, at=7)
    first.close()

    second = EmbeddedGraphStore(path)
    assert second.concepts("alice") == [
        LearnedConcept("pandas", 0.5, 7),
        LearnedConcept("python", 0.5, 7),
    ]
    second.close()


def test_a_file_held_by_another_process_is_a_503_until_it_is_released(path: Path):
    # Given: another process (a job worker, say) has the database open.
    creator = EmbeddedGraphStore(path)
    creator.ping()  # creates the file (the store opens it on first use)
    creator.close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_FILE, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        store = EmbeddedGraphStore(path)

        # When / then: this process gets a clear 503, not a crash.
        with pytest.raises(GraphUnavailableError) as caught:
            store.ping()
        assert caught.value.status == 503
        assert "lock" in caught.value.extensions["reason"].lower()
    finally:
        holder.communicate(input="", timeout=30)

    # And once the holder exits, the same store opens the file on its next call.
    store.ping()
    store.close()


def test_threads_share_one_store(path: Path):
    store = EmbeddedGraphStore(path)
    errors: list[BaseException] = []

    def learn(worker: int) -> None:
        try:
            for step in range(10):
                store.learn(f"user-{worker}", ["python", f"topic {step}"], confidence=0.5, at=step)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=learn, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(store.concepts("user-3")) == 11
    # python co-occurred with "topic 0" once per user: 8 workers.
    assert RelatedConcept("topic 0", "python", 8) in store.related("anyone", ["python"], limit=20)
    store.close()


def test_in_memory_when_the_path_is_empty_or_memory():
    for location in ("", ":memory:"):
        store = EmbeddedGraphStore(location)
        assert store.path == ":memory:"
        store.learn("alice", ["python"], confidence=1, at=1)
        assert store.concepts("alice") == [LearnedConcept("python", 1.0, 1)]
        store.close()


def test_apostrophes_and_backslashes_are_stored_as_given(path: Path):
    store = EmbeddedGraphStore(path)
    store.learn("o'brien", ["o'reilly \\ books"], confidence=0.5, at=1)
    assert store.concepts("o'brien") == [LearnedConcept("o'reilly \\ books", 0.5, 1)]
    store.close()


def test_a_closed_store_refuses_work(path: Path):
    store = EmbeddedGraphStore(path)
    store.ping()
    store.close()
    with pytest.raises(GraphUnavailableError):
        store.ping()
