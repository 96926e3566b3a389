"""``iterate_in_thread``: a consumer cancelled while a step runs in its thread (a client that
went away mid-sentence) still closes the blocking generator, once that step has finished."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from shared.http.streams import iterate_in_thread


def test_cancelled_mid_step_closes_the_generator_after_the_step() -> None:
    started, release = threading.Event(), threading.Event()
    log: list[str] = []

    def produce() -> Iterator[int]:
        try:
            yield 1
            started.set()
            release.wait(5)  # the second item takes a while (a sentence being synthesized)
            log.append("second made")
            yield 2
            log.append("third made")
            yield 3
        finally:
            log.append("closed")

    async def consume() -> None:
        items = iterate_in_thread(produce())
        first = await anext(items)
        assert first == 1
        waiting = asyncio.ensure_future(anext(items))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
        waiting.cancel()  # the client goes away while the second step runs
        await asyncio.sleep(0.05)
        release.set()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting

    asyncio.run(consume())
    # the step that was running finished, then the generator was closed: nothing more was made
    assert log == ["second made", "closed"]
