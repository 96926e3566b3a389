"""MicroBatcher: concurrent callers share one call, each gets its own rows, errors reach all."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from shared.inference.batching import MicroBatcher


@dataclass
class Echo:
    """A sliceable result: the items a call processed."""

    items: list[str]

    def slice(self, start: int, stop: int) -> Echo:
        return Echo(self.items[start:stop])


class SlowModel:
    """Records each call; takes ``seconds`` per call, like a model with a fixed overhead."""

    def __init__(self, seconds: float = 0.02) -> None:
        self.calls: list[list[str]] = []
        self.seconds = seconds

    def __call__(self, items: list[str]) -> Echo:
        self.calls.append(list(items))
        time.sleep(self.seconds)
        return Echo([item.upper() for item in items])


def submit_concurrently(batcher: MicroBatcher, jobs: list[list[str]]) -> list[Echo]:
    results: list[Echo | None] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def call(index: int) -> None:
        barrier.wait()
        results[index] = batcher.submit(jobs[index])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return [r for r in results if r is not None]


def test_concurrent_callers_share_calls_and_get_their_own_rows():
    # given a model that takes 20 ms per call and 16 callers arriving together
    model = SlowModel()
    batcher = MicroBatcher(model, max_batch=32, max_wait_seconds=0.005)
    jobs = [[f"text-{i}-a", f"text-{i}-b"] for i in range(16)]

    # when they all submit
    results = submit_concurrently(batcher, jobs)

    # then each gets exactly its own texts back, in order, from far fewer calls than callers
    assert [r.items for r in results] == [[t.upper() for t in job] for job in jobs]
    assert len(model.calls) < 8
    assert batcher.stats.items == 32
    assert batcher.stats.largest > 2


def test_a_batch_never_gathers_beyond_max_batch_texts():
    model = SlowModel()
    batcher = MicroBatcher(model, max_batch=4, max_wait_seconds=0.05)

    submit_concurrently(batcher, [[f"t{i}"] for i in range(12)])

    assert max(len(call) for call in model.calls) <= 4
    assert sum(len(call) for call in model.calls) == 12


def test_a_lone_caller_does_not_wait_for_the_window():
    # given a long gathering window and no concurrent callers
    model = SlowModel(seconds=0)
    batcher = MicroBatcher(model, max_batch=32, max_wait_seconds=0.5)

    started = time.perf_counter()
    for _ in range(5):
        batcher.submit(["alone"])

    # then no call paid the 0.5 s window
    assert time.perf_counter() - started < 0.5
    assert len(model.calls) == 5


def test_an_error_in_the_model_reaches_every_caller_of_that_call():
    def broken(items: list[str]) -> Echo:
        raise RuntimeError("model failed")

    batcher: MicroBatcher = MicroBatcher(broken, max_batch=8, max_wait_seconds=0.01)

    with pytest.raises(RuntimeError, match="model failed"):
        batcher.submit(["x"])
    # and the worker keeps serving afterwards
    with pytest.raises(RuntimeError, match="model failed"):
        batcher.submit(["y"])
