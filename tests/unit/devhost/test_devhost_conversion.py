"""Response conversion, message decoding and key checks (pure functions)."""

import base64

import azure.functions as func
import pytest

from devhost.auth import KeyChecker
from devhost.http_server import to_http_response
from devhost.queues import decode_body


def test_http_response_conversion_like_the_worker():
    response = func.HttpResponse("hi", status_code=202, headers={"X-A": "1"})
    response.headers.add("X-A", "2")
    response.headers.add("Set-Cookie", "a=1")
    response.headers.add("Set-Cookie", "b=2")
    response.headers.add("Content-Length", "999")
    status, headers, body = to_http_response(response)
    assert status == 202
    assert body == b"hi"
    # Headers travel as a name -> value map: the last value of a repeated header wins,
    # except cookies; the server computes Content-Length itself.
    assert headers == [
        (b"X-A", b"2"),
        (b"Content-Type", b"text/plain; charset=utf-8"),
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
    ]


def test_explicit_content_type_and_non_text_mimetype():
    _, headers, _ = to_http_response(func.HttpResponse(b"{}", mimetype="application/json"))
    assert headers == [(b"Content-Type", b"application/json")]
    _, headers, _ = to_http_response(func.HttpResponse("x", headers={"content-type": "a/b"}))
    assert headers == [(b"content-type", b"a/b")]


def test_string_result_and_invalid_results():
    assert to_http_response("ok") == (200, [(b"content-type", b"text/plain; charset=utf-8")], b"ok")
    with pytest.raises(TypeError):
        to_http_response(None)
    with pytest.raises(TypeError):
        to_http_response({"a": 1})


def test_decode_body():
    assert decode_body(base64.b64encode("é".encode()).decode(), "base64") == "é".encode()
    assert decode_body("raw text", "none") == b"raw text"
    with pytest.raises(ValueError):
        decode_body("not base64!", "base64")


def test_key_checker():
    keys = KeyChecker(function_key="f", master_key="m")
    assert keys.authorized("anonymous", None)
    assert not keys.authorized("function", None)
    assert keys.authorized("function", "f")
    assert keys.authorized("function", "m")
    assert not keys.authorized("admin", "f")
    assert keys.authorized("admin", "m")
    assert "f" not in repr(keys).replace("KeyChecker", "")
    empty = KeyChecker(function_key="", master_key="")
    assert not empty.authorized("function", "")
    assert KeyChecker.presented_key({"x-functions-key": "h"}, {"code": "q"}) == "h"
    assert KeyChecker.presented_key({}, {"code": "q"}) == "q"
    assert KeyChecker.presented_key({}, {}) is None
