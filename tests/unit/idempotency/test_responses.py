"""Which response headers are replayed, and the stored response round trip."""

from __future__ import annotations

import pytest
from starlette.responses import Response

from shared.idempotency.responses import (
    REPLAYED_HEADER,
    decode_response,
    encode_response,
    is_stored_status,
    replayable_headers,
)


def test_hop_by_hop_cookie_and_request_id_headers_are_not_replayed() -> None:
    # given a response with headers of every kind
    headers = [
        ("Content-Type", "application/json"),
        ("Location", "/things/1"),
        ("ETag", '"v1"'),
        ("Connection", "keep-alive, X-Private"),
        ("X-Private", "hop"),
        ("Keep-Alive", "timeout=5"),
        ("Transfer-Encoding", "chunked"),
        ("Set-Cookie", "session=1"),
        ("set-cookie", "other=2"),
        ("X-Request-Id", "abc"),
        ("Content-Length", "12"),
        ("Link", "</a>; rel=a"),
        ("Link", "</b>; rel=b"),
    ]
    # when filtered / then only end-to-end, non-personal headers remain, in order, repeats kept
    assert replayable_headers(headers) == [
        ("Content-Type", "application/json"),
        ("Location", "/things/1"),
        ("ETag", '"v1"'),
        ("Link", "</a>; rel=a"),
        ("Link", "</b>; rel=b"),
    ]


def test_stored_response_replays_status_headers_and_binary_body_exactly() -> None:
    # given a response with a binary body, a custom media type and repeated headers
    body = bytes(range(256)) + b"\n\r\n{}"
    original = Response(
        body,
        status_code=201,
        headers={"Location": "/x/1", "Set-Cookie": "s=1"},
        media_type="text/csv; charset=latin-1",
    )
    original.headers.append("Link", "</a>")
    original.headers.append("Link", "</b>")
    # when encoded and decoded
    replay = decode_response(encode_response(original))
    # then everything worth replaying is identical and the replay is marked
    assert replay.body == body
    assert replay.status_code == 201
    assert replay.headers["content-type"] == "text/csv; charset=latin-1"
    assert replay.headers["content-length"] == str(len(body))
    assert replay.headers.getlist("Link") == ["</a>", "</b>"]
    assert replay.headers["Location"] == "/x/1"
    assert "Set-Cookie" not in replay.headers
    assert replay.headers[REPLAYED_HEADER] == "true"


@pytest.mark.parametrize(
    ("status", "store_4xx", "stored"),
    [
        (200, False, True),
        (201, False, True),
        (204, False, True),
        (302, False, False),
        (400, False, False),
        (409, False, False),
        (400, True, True),
        (422, True, True),
        (500, True, False),
        (503, False, False),
    ],
)
def test_only_2xx_and_optionally_4xx_outcomes_are_stored(
    status: int, store_4xx: bool, stored: bool
) -> None:
    assert is_stored_status(status, store_4xx=store_4xx) is stored
