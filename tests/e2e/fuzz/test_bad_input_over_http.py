"""Regressions found by the fuzz test: a path the app's functions do not expect still gets a
documented answer in the client's error shape, not the host's bodiless or text/plain 404; text
holding NUL, which PostgreSQL cannot store, is a 4xx naming where it is, not a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.utils.api_description import app_document
from tests.utils.auth import auth_headers, new_caller


def _with_uuid_in_path() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in app_document()["paths"].items():
        for method, operation in item.items():
            parameters = [p for p in operation.get("parameters", []) if p["in"] == "path"]
            if any(p["schema"].get("format") == "uuid" for p in parameters):
                found.append((method.upper(), path, operation))
    return found


OPERATIONS = _with_uuid_in_path()


@pytest.fixture(scope="module")
def api(app_host: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_host.removesuffix("/api"), timeout=60) as client:
        yield client


def _error_media_type(path: str) -> str:
    return "application/json" if path.startswith("/api/v1/") else "application/problem+json"


@pytest.mark.parametrize(
    ("method", "path", "operation"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_a_malformed_id_is_a_documented_404_problem(api, method, path, operation) -> None:
    # given an id that is no uuid in every uuid parameter of the path
    for parameter in operation["parameters"]:
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", "null,null")
    # when an authorized caller asks for it
    response = api.request(
        method,
        path,
        headers={**auth_headers("malformed"), "content-type": "application/json"},
        content=b"{}" if method in {"POST", "PUT"} else None,
    )
    # then the app (not the host) answers: a 404 in the error shape the document lists for it
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith(_error_media_type(path))
    assert "404" in operation["responses"]


def test_a_path_value_holding_a_newline_reaches_the_function(api) -> None:
    response = api.get("/api/ml/models/two%0Alines", headers=auth_headers("newline"))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


def test_text_holding_nul_is_refused_where_it_would_have_been_a_500(api) -> None:
    caller = new_caller("nul")
    body = api.post("/api/media/collections", headers=caller, json={"name": "a\u0000b"})
    assert body.status_code == 422, body.text
    assert body.headers["content-type"].startswith("application/problem+json")
    assert body.json()["errors"][0]["location"] == "name"
    assert api.get("/api/media?collection=%00", headers=caller).status_code == 400
    assert api.get("/api/ml/models/a%00b", headers=caller).status_code == 404
    created = api.post("/api/media/collections", headers=caller, json={"name": "a b"})
    assert created.status_code == 201  # the same text without the NUL is fine
