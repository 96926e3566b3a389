"""devhost in HTTP streams mode, with an app written against the documented extension: route
values in ``path_params``, response bodies sent as they are produced, request bodies read as they
arrive, the host's body limit, and a mixed app refused as the worker refuses it."""

from __future__ import annotations

import time

import httpx
import pytest

from devhost.testing import DevhostError, run_devhost, start_devhost
from tests.e2e.devhost.support import APPS


@pytest.fixture(scope="module")
def api():
    env = {"FUNCTIONS_REQUEST_BODY_SIZE_LIMIT": str(4 * 1024 * 1024)}
    with (
        run_devhost(APPS / "streams_app", env=env) as base_url,
        httpx.Client(base_url=f"{base_url}/api", timeout=30) as client,
    ):
        yield client


def test_events_reach_the_client_as_they_are_produced(api: httpx.Client):
    arrivals: list[float] = []
    with api.stream("GET", "/ticks/4") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrivals.append(time.monotonic())
    assert len(arrivals) == 4
    # produced 0.4 s apart: the first arrived long before the last was produced
    assert arrivals[-1] - arrivals[0] > 0.8


def test_a_request_body_arrives_in_pieces_as_the_client_sends_it(api: httpx.Client):
    def body():
        for _ in range(8):
            yield b"x" * 65536

    response = api.post("/echo-size", content=body())
    size, pieces = response.text.split()
    assert int(size) == 8 * 65536
    assert int(pieces) > 1


def test_the_hosts_body_limit_is_413_before_the_function_runs(api: httpx.Client):
    response = api.post("/echo-size", content=b"x" * (4 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.content == b""


def test_a_function_that_raises_is_an_empty_500_like_the_host(api: httpx.Client):
    response = api.get("/broken")
    assert response.status_code == 500
    assert response.content == b""


def test_route_constraints_still_apply(api: httpx.Client):
    assert api.get("/ticks/notanumber").status_code == 404


def test_an_app_mixing_classic_and_streams_functions_is_refused_at_start():
    with pytest.raises(DevhostError) as error:
        start_devhost(APPS / "mixed_app")
    message = str(error.value)
    assert "classic" in message
    assert "streamed" in message
    assert "HTTP streams" in message
