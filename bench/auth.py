"""``python -m bench auth``: what authenticating a request costs.

The same trivial handler is declared as an endpoint (``shared.http.api.Api``) and called in
process as the host hands it a request (``devhost.inprocess``), five ways: public (no
authentication: the baseline), with an HS256 JWT seen before (its verification is remembered until
it expires) and one used for the first time, with an issued API key whose Redis copy is present
(cached), and with one whose copy was just deleted (uncached: a PostgreSQL lookup, then the copy is
written back). The overhead of each is its p50 minus the baseline's.

Peers, the least a hand-written check would pay with the same libraries and stores:
``jwt.decode`` alone for the JWT, one Redis GET for the cached key, one PostgreSQL SELECT by
id for the uncached key. Each figure is the median over ``--repetitions`` rounds.

Over HTTP (``--http-calls`` sequential GETs through devhost serving ``bench/_auth_app``, with an
issued API key whose Redis copy is present): the route as this project declares every route
(anonymous at the host, the app authenticates the caller: one credential) next to the function-key
path (the host checks ``x-functions-key`` first, then the app the caller), p50/p99.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.report import print_table, ratio, summarize_ms, write_results


def _handler_pair() -> tuple[Callable[..., Any], Callable[..., Any]]:
    import asyncio

    from devhost.inprocess import send
    from shared.auth import Scope
    from shared.http.api import Api

    def baseline() -> dict[str, str]:
        return {"ok": "yes"}

    def authenticated() -> dict[str, str]:
        return {"ok": "yes"}

    public_api = Api(public=True, described=False)
    public_api.get("bench", "public baseline")(baseline)
    guarded_api = Api(scope=Scope.ML, described=False)
    guarded_api.get("bench", "authenticated")(authenticated)
    loop = asyncio.new_event_loop()

    def caller(function: Callable[..., Any]) -> Callable[..., Any]:
        return lambda request: loop.run_until_complete(send(function, request))

    return (
        caller(public_api.functions["baseline"]),
        caller(guarded_api.functions["authenticated"]),
    )


def _request(headers: dict[str, str]) -> Any:
    from devhost.inprocess import ClientRequest

    return ClientRequest("GET", "http://localhost/api/bench", headers=headers)


def _time(
    call: Callable[[], Any], calls: int, before: Callable[[], Any] | None = None
) -> list[float]:
    samples = []
    for _ in range(calls):
        if before is not None:
            before()
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def _round(calls: int) -> dict[str, dict[str, float]]:
    import jwt

    from shared.auth import get_api_key_store, get_jwt_verifier
    from shared.auth.api_keys import CACHE_PREFIX
    from shared.auth.dev_tokens import mint_jwt
    from shared.auth.principal import Scope
    from shared.config import get_settings
    from shared.stores.postgres import PostgresService, get_pool
    from shared.stores.redis import RedisService, get_redis

    settings = get_settings()
    public, guarded = _handler_pair()
    token = mint_jwt("bench", tenant="bench", scopes=["ml"])
    record, key = get_api_key_store().issue(
        tenant="bench", user="bench", name="bench auth", scopes=[Scope.ML], created_by="bench"
    )
    cache = get_redis(RedisService.AUTH)
    forget = lambda: cache.delete(CACHE_PREFIX + record.id)  # noqa: E731
    none_req = _request({})
    jwt_req = _request({"authorization": f"Bearer {token}"})
    key_req = _request({"authorization": f"Bearer {key}"})
    fresh = iter(
        [
            _request({"authorization": f"Bearer {mint_jwt(f'u{i}', scopes=['ml'])}"})
            for i in range(calls)
        ]
    )
    assert guarded(jwt_req).status_code == 200
    assert guarded(key_req).status_code == 200
    get_jwt_verifier()  # built once per process, like the app's
    secret = settings.auth_jwt_secret.get_secret_value() if settings.auth_jwt_secret else ""

    def decode() -> None:
        jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=settings.auth_jwt_audience,
            issuer=settings.auth_jwt_issuer,
        )

    def select() -> None:
        with get_pool(PostgresService.AUTH).connection() as conn:
            conn.execute(
                "SELECT tenant, user_id, scopes, secret_sha256, expires_at, revoked_at"
                " FROM api_keys WHERE id = %s",
                (record.id,),
            ).fetchone()

    try:
        return {
            "none": summarize_ms(_time(lambda: public(none_req), calls)),
            "jwt": summarize_ms(_time(lambda: guarded(jwt_req), calls)),
            "jwt_first_use": summarize_ms(_time(lambda: guarded(next(fresh)), calls)),
            "api_key_cached": summarize_ms(_time(lambda: guarded(key_req), calls)),
            "api_key_uncached": summarize_ms(_time(lambda: guarded(key_req), calls, forget)),
            "peer_jwt_decode": summarize_ms(_time(decode, calls)),
            "peer_redis_get": summarize_ms(
                _time(lambda: cache.get(CACHE_PREFIX + record.id), calls)
            ),
            "peer_postgres_select": summarize_ms(_time(select, calls)),
        }
    finally:
        get_api_key_store().revoke("bench", record.id)


def _over_http(calls: int, repetitions: int) -> dict[str, dict[str, float]]:
    """p50/p99 of both routes of bench/_auth_app through devhost, interleaved, medians."""
    from pathlib import Path

    import httpx

    from devhost.testing import start_devhost
    from shared.auth import Scope, get_api_key_store

    record, key = get_api_key_store().issue(
        tenant="bench", user="bench-http", name="bench http", scopes=[Scope.ML], created_by="bench"
    )
    host_key = "bench-auth-function-key"
    app = Path(__file__).resolve().parent / "_auth_app"
    devhost = start_devhost(app, env={"DEVHOST_FUNCTION_KEY": host_key})
    rounds: dict[str, list[dict[str, float]]] = {"one_credential": [], "function_key": []}
    try:
        with httpx.Client(base_url=f"{devhost.base_url}/api", timeout=30) as client:
            paths = {
                "one_credential": ("/one-credential", {"X-API-Key": key}),
                "function_key": ("/function-key", {"X-API-Key": key, "x-functions-key": host_key}),
            }
            for path, headers in paths.values():  # warm up, and prove both answer
                assert client.get(path, headers=headers).status_code == 200
            for _ in range(repetitions):
                for name, (path, headers) in paths.items():
                    rounds[name].append(
                        summarize_ms(_time(lambda: client.get(path, headers=headers), calls))  # noqa: B023
                    )
    finally:
        devhost.stop()
        get_api_key_store().revoke("bench", record.id)
    return {
        name: {
            stat: round(statistics.median(r[stat] for r in runs), 4)
            for stat in ("p50_ms", "p99_ms")
        }
        for name, runs in rounds.items()
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench auth")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--http-calls", type=int, default=1000)
    args = parser.parse_args(argv)
    rounds = [_round(args.calls) for _ in range(args.repetitions)]
    http = _over_http(args.http_calls, args.repetitions)
    p50 = {
        name: round(statistics.median(r[name]["p50_ms"] for r in rounds), 4) for name in rounds[0]
    }
    p99 = {
        name: round(statistics.median(r[name]["p99_ms"] for r in rounds), 4) for name in rounds[0]
    }
    overhead = {
        name: round(p50[name] - p50["none"], 4)
        for name in ("jwt", "jwt_first_use", "api_key_cached", "api_key_uncached")
    }
    peers = {
        "jwt": "peer_jwt_decode",
        "jwt_first_use": "peer_jwt_decode",
        "api_key_cached": "peer_redis_get",
        "api_key_uncached": "peer_postgres_select",
    }
    results = {
        "repetitions": args.repetitions,
        "calls_per_round": args.calls,
        "p50_ms": p50,
        "p99_ms": p99,
        "overhead_p50_ms": overhead,
        "overhead_over_peer": {name: ratio(overhead[name], p50[peers[name]]) for name in overhead},
        "http": http,
        "http_one_credential_over_function_key_p50": ratio(
            http["one_credential"]["p50_ms"], http["function_key"]["p50_ms"]
        ),
    }
    path = write_results("auth", results)
    print_table(
        "authentication per request (in-process through the endpoint layer; medians of rounds)",
        ["credential", "p50 ms", "p99 ms", "overhead ms", "peer", "peer p50 ms", "overhead/peer"],
        [
            ["none (public)", p50["none"], p99["none"], 0, "-", "-", "-"],
            *[
                [
                    name,
                    p50[name],
                    p99[name],
                    overhead[name],
                    peers[name].removeprefix("peer_"),
                    p50[peers[name]],
                    results["overhead_over_peer"][name],
                ]
                for name in overhead
            ],
        ],
    )
    print_table(
        "over HTTP through devhost (an API key with its Redis copy; medians of rounds)",
        ["route", "p50 ms", "p99 ms"],
        [
            ["anonymous at the host, the app authenticates", *http["one_credential"].values()],
            ["function key at the host, then the app", *http["function_key"].values()],
        ],
    )
    print(f"\nwritten to {path}")
