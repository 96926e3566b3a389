"""devhost serving HTTP triggers over real HTTP: routing, auth, request/response fidelity."""

import uuid

import httpx
import pytest

from devhost.testing import run_devhost
from tests.e2e.devhost.support import APPS, FUNCTION_KEY, MASTER_KEY

HTTP_APP = APPS / "http_app"
KEYS = {"DEVHOST_FUNCTION_KEY": FUNCTION_KEY, "DEVHOST_MASTER_KEY": MASTER_KEY}


@pytest.fixture(scope="module")
def api():
    with (
        run_devhost(HTTP_APP, env=KEYS) as base_url,
        httpx.Client(base_url=f"{base_url}/api", timeout=10) as client,
    ):
        yield client


@pytest.mark.parametrize(
    ("path", "handler", "params"),
    [
        ("items/42", "by_id", {"id": "42"}),
        ("items/abc", "by_name", {"name": "abc"}),
        ("items/special", "special", {}),
        ("ITEMS/SPECIAL", "special", {}),  # literals are case-insensitive
        ("items/99999999999", "by_name", {"name": "99999999999"}),  # beyond int32: not {id:int}
        ("items/caf%C3%A9", "by_name", {"name": "café"}),  # values are percent-decoded
        ("items/two%0Alines", "by_name", {"name": "two\nlines"}),  # a newline reaches it too
    ],
)
def test_most_specific_route_wins(api, path, handler, params):
    response = api.get(path)
    assert response.status_code == 200
    assert response.json() == {"handler": handler, "route_params": params}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("files/a/b/c.txt", {"path": "a/b/c.txt"}),
        ("files/one", {"path": "one"}),
        ("files", {}),
        ("optional", {}),
        ("optional/x", {"value": "x"}),
        (
            "typed/TRUE/3f2504e0-4f89-11d3-9a0c-0305e82c3301/-9000000000/2.5e3/abc",
            {
                "flag": "TRUE",
                "uid": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
                "big": "-9000000000",
                "ratio": "2.5e3",
                "word": "abc",
            },
        ),
        ("limits/abc/10/abbbc", {"code": "abc", "n": "10", "slug": "abbbc"}),
    ],
)
def test_route_parameters(api, path, params):
    response = api.get(path)
    assert response.status_code == 200
    assert response.json() == {"route_params": params}


@pytest.mark.parametrize(
    "path",
    [
        "nope",
        "items",
        "items/1/extra",
        "optional/x/y",
        "typed/maybe/3f2504e0-4f89-11d3-9a0c-0305e82c3301/1/1.5/abc",  # not a bool
        "typed/true/not-a-guid/1/1.5/abc",
        "typed/true/3f2504e0-4f89-11d3-9a0c-0305e82c3301/1/1.5/abc1",  # not alpha
        "limits/abcd/5/abc",  # length(3)
        "limits/abc/11/abc",  # range(1,10)
        "limits/abc/5/xabcx",  # regex(^ab+c$)
    ],
)
def test_unmatched_paths_are_404_with_empty_body(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.content == b""


def test_wrong_method_on_known_route_is_404_like_the_host(api):
    # The real host answers 404, not 405, when the route exists but the method does not
    # (Azure/azure-functions-host#10098).
    response = api.post("health")
    assert response.status_code == 404
    assert response.content == b""
    assert api.delete("items/7").status_code == 204  # same template, other function
    assert api.delete("items/abc").status_code == 404


def test_wrong_method_can_answer_405_when_configured():
    env = {**KEYS, "DEVHOST_METHOD_NOT_ALLOWED_STATUS": "405"}
    with run_devhost(HTTP_APP, env=env) as base_url:
        assert httpx.post(f"{base_url}/api/health").status_code == 405
        assert httpx.get(f"{base_url}/api/nope").status_code == 404


def test_route_prefix_is_required(api):
    response = httpx.get(str(api.base_url).replace("/api", "") + "/health")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("path", "key", "status"),
    [
        ("auth/function", None, 401),
        ("auth/function", "wrong", 401),
        ("auth/function", FUNCTION_KEY, 200),
        ("auth/function", MASTER_KEY, 200),
        ("auth/admin", None, 401),
        ("auth/admin", FUNCTION_KEY, 401),
        ("auth/admin", MASTER_KEY, 200),
        ("auth/default", None, 401),  # FunctionApp's default http_auth_level is FUNCTION
        ("auth/default", FUNCTION_KEY, 200),
        ("health", None, 200),
    ],
)
def test_auth_levels_with_header(api, path, key, status):
    headers = {"x-functions-key": key} if key else {}
    response = api.get(path, headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.content == b""


def test_auth_key_in_code_query_parameter(api):
    assert api.get("auth/function", params={"code": FUNCTION_KEY}).status_code == 200
    assert api.get("auth/admin", params={"code": MASTER_KEY}).status_code == 200
    assert api.get("auth/admin", params={"code": FUNCTION_KEY}).status_code == 401


def test_request_is_passed_faithfully(api):
    response = api.post(
        "echo?a=1&a=2&b=x%20y",
        content=b'{"k": [1, 2]}',
        headers={"content-type": "application/json", "X-Trace": "abc"},
    )
    assert response.status_code == 200
    seen = response.json()
    assert seen["method"] == "POST"
    assert seen["url"].endswith("/api/echo?a=1&a=2&b=x%20y")
    assert seen["params"] == {"a": "1,2", "b": "x y"}
    assert seen["headers"]["x-trace"] == "abc"
    assert seen["body"] == '{"k": [1, 2]}'
    assert seen["json"] == {"k": [1, 2]}


def test_response_status_headers_and_bytes_are_faithful(api):
    response = api.get("respond")
    assert response.status_code == 201
    assert response.content == b"\x00\x01binary"
    assert response.headers["x-custom"] == "one"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert response.headers["content-length"] == "8"


def test_text_response_gets_charset_and_str_return_is_plain_text(api):
    response = api.get("text")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.content == "héllo".encode()
    response = api.get("plain-string")
    assert response.status_code == 200
    assert response.text == "just a string"
    assert response.headers["content-type"].startswith("text/plain")


def test_sync_handler_runs_in_pool_thread_with_context(api):
    trace_parent = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"
    first = api.get("sync", headers={"traceparent": trace_parent}).json()
    second = api.get("sync").json()
    assert first["thread"].startswith("devhost-fn")
    assert first["function_name"] == "sync_handler"
    assert first["function_directory"] == str(HTTP_APP)
    assert first["thread_local_invocation_id"] == first["invocation_id"]
    assert first["trace_parent"] == trace_parent
    assert uuid.UUID(first["invocation_id"]).version == 4
    assert first["invocation_id"] != second["invocation_id"]


def test_async_handler_runs_on_the_event_loop(api):
    seen = api.get("async").json()
    assert seen["thread"] == "MainThread"
    assert uuid.UUID(seen["invocation_id"]).version == 4


def test_handler_exception_is_500_with_empty_body(api):
    response = api.get("boom")
    assert response.status_code == 500
    assert response.content == b""
    # The server keeps serving afterwards.
    assert api.get("health").status_code == 200


def test_non_http_return_value_is_500(api):
    assert api.get("returns-none").status_code == 500


def test_homepage_and_host_status(api):
    root = str(api.base_url).removesuffix("/api/").removesuffix("/api")
    assert httpx.get(root + "/").status_code == 200
    assert httpx.get(root + "/admin/host/status").status_code == 401
    status = httpx.get(root + "/admin/host/status", headers={"x-functions-key": MASTER_KEY})
    assert status.status_code == 200
    assert status.json()["state"] == "Running"
