"""``python -m bench idempotency``: our endpoint idempotency next to Powertools'
``idempotent_function``.

Same process, same Redis (the local one, db 0), same payloads, same run, interleaved.
- ours: an HTTP endpoint declared with ``shared.http.api.Api`` (idempotent,
  ``IdempotencyConfig(ttl_seconds=600)``, its own ``RedisPersistenceLayer``), called in-process
  the way the worker calls it in HTTP streams mode: its Azure function gets a Starlette ``Request``
  (a ~200-byte JSON body, sent over ASGI) and returns the handler's 201 ``Response`` (a ~200-byte
  JSON body), which is then sent over ASGI; each thread runs its calls on an event loop of its own;
- peer: Powertools for AWS Lambda ``idempotent_function`` with its ``RedisCachePersistenceLayer``
  (``aws_lambda_powertools.utilities.idempotency.persistence.redis``) on the same client class,
  over a function taking a dict with the same key and body and returning a dict with the same
  status and body; the key is selected with ``event_key_jmespath="key"``, no local cache. Payload
  validation (our 422 fingerprint check) is left off for the peer: with Powertools 3.37's Redis
  layer the completed record loses the payload hash (``_update_record`` does not write it), so
  every HIT would fail validation. Ours still fingerprints every request: it does more work.

Measured, for a HIT (the key is completed: replay) and a MISS (a new key: run and store):

- overhead per call: each idempotent call's duration minus the median of the plain calls (timed
  in the same repetition, one thread); p50 and p99 of those differences. Our plain call is the
  same handler declared with ``idempotency=None`` and called the same way (so the request/response
  plumbing, the worker-thread hop of the sync handler and the event loop are in both and cancel
  out); the peer's is the undecorated function;
- calls per second: one thread back to back, and ``--threads`` threads sharing the calls (a
  Functions worker runs invocations concurrently; waiting on Redis then overlaps);
  each side's figure includes its own plumbing: ours a whole in-process HTTP call (see
  ``baseline_p50_ms``), the peer's a function call, so the overheads, not these, compare the two
  idempotency layers alone;
- Redis round trips per call: every command written to a socket is counted by the client's
  connection class (``send_packed_command``; neither implementation pipelines, so one command is
  one round trip); the count covers only the timed single-thread calls.

Both our calls, idempotent and plain, run as an authenticated caller (``acting_as``), as a
non-public endpoint runs every handler after authenticating: the idempotency scope is the caller's
owner id, the path production calls take. The endpoints are declared public so that no token is
verified per call (the peer authenticates nothing either).

Each figure is the median over ``--repetitions`` repetitions (the box is noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from typing import Any, cast

import redis
from starlette.requests import Request
from starlette.responses import Response

from bench.report import percentile, print_table, ratio, summarize_ms, write_results
from shared.auth import AuthMethod, Principal, Scope, acting_as
from shared.config import Settings
from shared.http.api import Api
from shared.idempotency import REPLAYED_HEADER, IdempotencyConfig, RedisPersistenceLayer
from shared.idempotency.keys import record_key, scoped_key_hash
from shared.idempotency.persistence.base import BasePersistenceLayer

PT_PREFIX = "bench-powertools"
STATS_KEY = "idempotency:stats:bench"
BODY = json.dumps({"name": "widget", "size": 3, "tags": ["a", "b"], "note": "x" * 120}).encode()
RESPONSE = json.dumps({"id": "8e03978e-40d5-43e8-bc93-6894a57f9324", "pad": "y" * 150})
Call = Callable[[Any], Any]
CALLER = Principal("bench", "caller", frozenset({Scope.ML}), AuthMethod.API_KEY, "bench")


class CountingConnection(redis.Connection):
    """A redis-py connection counting every command it writes (one round trip each, as neither
    side pipelines). It sees both paths: ``redis.Redis`` calls (Powertools) and our dedicated
    per-thread connections, which are built from the same pool settings."""

    commands = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.commands += 1
        super().send_packed_command(command, check_health)


def http_handler() -> Response:
    return Response(RESPONSE, status_code=201, media_type="application/json")


def dict_handler(request: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 201, "body": RESPONSE}


class _Sent:
    """What the client received: the status and headers (the body is read and dropped)."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))


_loops = threading.local()


def _endpoint(store: BasePersistenceLayer | None) -> Call:
    """:func:`http_handler` declared as a POST endpoint (idempotent on ``store``, or plain when
    None), as a call taking an ASGI scope and returning what the client received, as
    :data:`CALLER`, on this thread's event loop."""
    api = Api(tags=("bench",), public=True, described=False)
    idempotency = IdempotencyConfig(ttl_seconds=600) if store is not None else None
    api.post("things", "Create a thing", idempotency=idempotency, idempotency_store=store)(
        http_handler
    )
    function = api.functions["http_handler"]

    async def send(scope: dict[str, Any]) -> _Sent:
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": BODY, "more_body": False}
            await asyncio.Event().wait()  # connected until the response is sent
            return {"type": "http.disconnect"}

        sent = _Sent()
        response = await function(Request(scope, receive))
        await response(scope, receive, sent)
        return sent

    def call(scope: dict[str, Any]) -> _Sent:
        loop = getattr(_loops, "loop", None)
        if loop is None:
            loop = _loops.loop = asyncio.new_event_loop()
        with acting_as(CALLER):  # the task copies this context: the handler runs as CALLER
            return loop.run_until_complete(send(scope))

    return call


def _ours(client: redis.Redis) -> Call:
    layer = RedisPersistenceLayer(client, stats_key=STATS_KEY)  # same cost, not the app's counters
    return _endpoint(layer)


def _check(ours: Call, tracked: list[str]) -> None:
    """Fail early unless a repeated key is a replay (the bench measures what it claims)."""
    key = str(uuid.uuid4())
    tracked.append(key)
    first, second = ours(_http_request(key)), ours(_http_request(key))
    replayed = (REPLAYED_HEADER.lower().encode(), b"true")
    if (first.status, second.status) != (201, 201) or replayed not in second.headers:
        raise SystemExit(f"our endpoint does not replay: {first.status}, {second.status}")


def _powertools(client: redis.Redis) -> Call:
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # RedisCachePersistenceLayer
    warnings.filterwarnings("ignore", category=UserWarning)  # "no Lambda context registered"
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.persistence.redis import (
        RedisCachePersistenceLayer,
    )

    decorated = idempotent_function(
        data_keyword_argument="request",
        persistence_store=RedisCachePersistenceLayer(client=cast(Any, client)),
        config=IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=600),
        key_prefix=PT_PREFIX,
    )(dict_handler)
    return lambda request: decorated(request=request)


def _http_request(key: str) -> dict[str, Any]:
    """The ASGI scope of a POST of :data:`BODY` to /api/things with ``key``."""
    headers = {
        "content-type": "application/json",
        "content-length": str(len(BODY)),
        "x-functions-key": "bench-caller",
        "idempotency-key": f'"{key}"',
    }
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "server": ("localhost", 80),
        "path": "/api/things",
        "raw_path": b"/api/things",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "path_params": {},
        "client": ("127.0.0.1", 50000),
    }


def _dict_request(key: str) -> dict[str, Any]:
    return {"key": key, "method": "POST", "path": "/api/things", "body": BODY.decode()}


def _time_calls(function: Call, calls: list[Any]) -> tuple[list[float], float, int]:
    """Per-call seconds, total seconds and Redis commands for calling ``function`` on each."""
    gc.collect()
    samples, clock, before = [], time.perf_counter, CountingConnection.commands
    start = clock()
    for argument in calls:
        begun = clock()
        function(argument)
        samples.append(clock() - begun)
    return samples, clock() - start, CountingConnection.commands - before


def _measure(decorated: Call, plain: Call, calls: list[Any]) -> dict[str, float]:
    base, _, _ = _time_calls(plain, calls)
    samples, total, commands = _time_calls(decorated, calls)
    floor = statistics.median(base)
    overhead = [s - floor for s in samples]
    return {
        "p50_overhead_ms": percentile(overhead, 50) * 1000,
        "p99_overhead_ms": percentile(overhead, 99) * 1000,
        "calls_per_second": len(calls) / total,
        "round_trips_per_call": commands / len(calls),
        "baseline_p50_ms": summarize_ms(base)["p50_ms"],
    }


def _concurrent_calls_per_second(function: Call, calls: list[Any], threads: int) -> float:
    """Calls per second with ``threads`` threads sharing ``calls``, released at once."""
    gc.collect()
    barrier = threading.Barrier(threads + 1)

    def work(share: list[Any]) -> None:
        barrier.wait()
        for argument in share:
            function(argument)

    workers = [threading.Thread(target=work, args=(calls[i::threads],)) for i in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.perf_counter()
    for worker in workers:
        worker.join()
    return len(calls) / (time.perf_counter() - start)


def _one_repetition(
    ours: Call, plain_ours: Call, peer: Call, calls: int, threads: int, tracked: list[str]
) -> dict[str, dict[str, dict[str, float]]]:
    sequential, concurrent = _new_keys(calls, tracked), _new_keys(calls, tracked)
    plain_peer: Call = lambda request: dict_handler(request=request)  # noqa: E731 - same frame cost
    result: dict[str, dict[str, dict[str, float]]] = {"miss": {}, "hit": {}}
    # MISS: every key is new. HIT: the same keys again, now completed.
    for scenario in ("miss", "hit"):
        for impl, function, plain, index in (
            ("ours", ours, plain_ours, 0),
            ("powertools", peer, plain_peer, 1),
        ):
            figures = _measure(function, plain, sequential[index])
            figures["concurrent_calls_per_second"] = _concurrent_calls_per_second(
                function, concurrent[index], threads
            )
            result[scenario][impl] = figures
    return result


def _new_keys(calls: int, tracked: list[str]) -> tuple[list[Any], list[Any]]:
    keys = [str(uuid.uuid4()) for _ in range(calls)]
    tracked.extend(keys)
    return [_http_request(k) for k in keys], [_dict_request(k) for k in keys]


def _cleanup(client: redis.Redis, keys: list[str]) -> None:
    function = f"{http_handler.__module__}.{http_handler.__qualname__}"
    doomed = [record_key(scoped_key_hash(CALLER.owner, function, k)) for k in keys]
    counters = RedisPersistenceLayer(client, stats_key=STATS_KEY).stats_keys()
    doomed += [*client.scan_iter(match=f"{PT_PREFIX}#*", count=1000), *counters]
    for start in range(0, len(doomed), 1000):
        client.delete(*doomed[start : start + 1000])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench idempotency")
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--calls", type=int, default=1500, help="keys per repetition")
    parser.add_argument("--threads", type=int, default=4, help="threads for concurrent calls/s")
    parser.add_argument("--redis-port", type=int, default=6379)
    args = parser.parse_args(argv)

    # The main credentials (the default user: every key, no dangerous command), as the app's.
    username, password = Settings().redis_credentials()
    pool = redis.ConnectionPool(
        port=args.redis_port,
        username=username,
        password=password.get_secret_value() if password else None,
        connection_class=CountingConnection,
    )
    client = redis.Redis(connection_pool=pool)
    client.ping()
    ours, plain_ours, peer = _ours(client), _endpoint(None), _powertools(client)
    tracked: list[str] = []
    try:
        # warm-up: connections, scripts, worker threads, event loops
        _one_repetition(ours, plain_ours, peer, 300, args.threads, tracked)
        _check(ours, tracked)
        reps = [
            _one_repetition(ours, plain_ours, peer, args.calls, args.threads, tracked)
            for _ in range(args.repetitions)
        ]
    finally:
        _cleanup(client, tracked)
    results = _results(reps, args)
    path = write_results("idempotency", results)
    _print(results, args)
    print(f"\nresults: {path}")


def _results(reps: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for scenario in ("hit", "miss"):
        ours, peer = (
            {n: round(statistics.median(r[scenario][impl][n] for r in reps), 4) for n in names}
            for impl, names in ((i, reps[0][scenario][i].keys()) for i in ("ours", "powertools"))
        )
        results[scenario] = {"ours": ours, "powertools": peer, "ratios": _ratios(ours, peer)}
    results["goals"] = _goals(results["hit"], results["miss"])
    results["method"] = {
        "repetitions": args.repetitions,
        "calls_per_repetition": args.calls,
        "concurrent_threads": args.threads,
        "figure": "median over repetitions",
        "overhead": "idempotent call minus the median plain call, same repetition, 1 thread",
        "ours": "Api endpoint called in-process over ASGI (Starlette Request in, Response out)",
        "calls_per_second": "1 thread back to back; concurrent: N threads sharing the calls",
        "round_trips": "commands written by the connection class (send_packed_command)",
        "redis": f"127.0.0.1:{args.redis_port} db 0, shared by both",
    }
    return results


def _ratios(ours: dict[str, float], peer: dict[str, float]) -> dict[str, float | None]:
    return {
        "throughput_1_thread": ratio(ours["calls_per_second"], peer["calls_per_second"]),
        "throughput_concurrent": ratio(
            ours["concurrent_calls_per_second"], peer["concurrent_calls_per_second"]
        ),
        "p50_overhead": ratio(ours["p50_overhead_ms"], peer["p50_overhead_ms"]),
    }


def _goals(hit: dict[str, Any], miss: dict[str, Any]) -> dict[str, bool]:
    goals = {
        "hit: 1 round trip": hit["ours"]["round_trips_per_call"] == 1,
        "hit: p50 overhead < 0.3 ms": hit["ours"]["p50_overhead_ms"] < 0.3,
        "miss: <= 2 round trips": miss["ours"]["round_trips_per_call"] <= 2,
    }
    for name, figures in (("hit", hit), ("miss", miss)):
        for kind, label in (("concurrent", "concurrent"), ("1_thread", "1 thread")):
            value = figures["ratios"][f"throughput_{kind}"] or 0
            goals[f"{name}: throughput >= 1.5x Powertools ({label})"] = value >= 1.5
    return goals


def _print(results: dict[str, Any], args: argparse.Namespace) -> None:
    columns = "p50_overhead_ms p99_overhead_ms calls_per_second concurrent_calls_per_second"
    columns += " round_trips_per_call"
    rows = [
        [scenario, impl, *(results[scenario][impl][c] for c in columns.split())]
        for scenario in ("hit", "miss")
        for impl in ("ours", "powertools")
    ]
    threads = f"calls/s {args.threads} threads"
    print_table(
        f"Idempotency: Api endpoint (idempotent) vs Powertools idempotent_function "
        f"(median of {args.repetitions} x {args.calls} calls)",
        ["case", "impl", "p50 ovh ms", "p99 ovh ms", "calls/s 1 thread", threads, "RT/call"],
        rows,
    )
    print_table(
        "Ratios ours / Powertools (throughput > 1 and overhead < 1 favour ours)",
        ["case", "throughput 1 thread", f"throughput {args.threads} threads", "p50 overhead"],
        [[s, *results[s]["ratios"].values()] for s in ("hit", "miss")],
    )
    print_table("Goals", ["goal", "met"], list(results["goals"].items()))
