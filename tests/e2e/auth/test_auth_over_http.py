"""Authentication over HTTP, on every function the app serves: no credential 401, a credential
without the function's scope 403, bad tokens and revoked keys 401, another tenant's things 404."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.utils.auth import ALL_SCOPES, FUNCTION_KEY, auth_headers, mint_jwt

HOST_KEY = {"x-functions-key": FUNCTION_KEY}


def _routes() -> list[tuple[str, str, str | None]]:
    """(method, path, scope) of every operation that needs a caller's credential, from the API
    description (built from the function index: every HTTP function is in it)."""
    from tests.utils.api_description import app_document as openapi_document

    found = []
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            caller = [e for e in operation["security"] if "bearer" in e]
            if not caller:
                continue  # public
            scopes = caller[0]["bearer"]
            found.append((method.upper(), _filled(path, operation), scopes[0] if scopes else None))
    return sorted(found, key=lambda r: (r[1], r[0]))


def _filled(path: str, operation: dict[str, Any]) -> str:
    """``path`` with each path parameter given a value of its type (an id nobody has for a uuid;
    fixed, so test ids are the same in every run)."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            uuid_typed = parameter["schema"].get("format") == "uuid"
            value = "00000000-0000-4000-8000-000000000000" if uuid_typed else "x"
            path = path.replace("{" + parameter["name"] + "}", value)
    return path.removeprefix("/api")


ROUTES = _routes()


def error_media_type(route: str) -> str:
    """OpenAI's error object under /v1 (what the openai SDK reads), problem+json elsewhere."""
    return "application/json" if route.startswith("/v1/") else "application/problem+json"


@pytest.fixture(scope="module")
def api(app_host: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_host, timeout=60) as client:
        yield client


def _send(api: httpx.Client, method: str, route: str, headers: dict[str, str]) -> httpx.Response:
    return api.request(
        method,
        route,
        headers={**headers, "content-type": "application/json"},
        content=b"{}" if method in ("POST", "PUT", "PATCH") else None,
    )


@pytest.mark.parametrize(
    ("method", "route", "scope"), ROUTES, ids=[f"{m} {r}" for m, r, _ in ROUTES]
)
def test_without_a_credential_every_function_answers_401(api, method, route, scope) -> None:
    response = _send(api, method, route, {})  # no credential at all: no host key is needed
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith(error_media_type(route))
    assert response.headers["www-authenticate"].startswith("Bearer")


SCOPED = [r for r in ROUTES if r[2] is not None]


@pytest.mark.parametrize(
    ("method", "route", "scope"), SCOPED, ids=[f"{m} {r}" for m, r, _ in SCOPED]
)
def test_a_credential_without_the_scope_gets_403(api, method, route, scope) -> None:
    others = [s for s in ALL_SCOPES if s != scope]
    response = _send(api, method, route, auth_headers("scope-less", scopes=others))
    assert response.status_code == 403, response.text
    if route.startswith("/v1/"):  # OpenAI's error object: the scope is named in the message
        assert repr(scope) in response.json()["error"]["message"]
    else:
        assert response.json()["required_scope"] == scope


@pytest.mark.parametrize(
    ("claims", "secret"),
    [
        ({"exp": 1_000_000_000, "nbf": 999_999_000, "iat": 999_999_000}, None),  # expired
        ({"aud": "another-api"}, None),
        ({"iss": "https://elsewhere.example"}, None),
        ({}, "a-different-secret-of-at-least-32-bytes"),  # wrongly signed
    ],
    ids=["expired", "wrong-audience", "wrong-issuer", "wrong-signature"],
)
def test_bad_jwts_are_refused(api, claims: dict[str, Any], secret: str | None) -> None:
    token = mint_jwt("mallory", claims=claims, secret=secret)
    response = api.get("/auth/whoami", headers={**HOST_KEY, "authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_issued_keys_work_in_both_headers_and_revocation_is_immediate(api) -> None:
    admin = auth_headers("key-admin", scopes=["admin"])
    issued = api.post(
        "/auth/keys",
        headers=admin,
        json={"user": "agent-7", "name": "trading agent", "scopes": ["predict", "files"]},
    )
    assert issued.status_code == 201, issued.text
    key, key_id = issued.json()["key"], issued.json()["id"]
    for header in ({"authorization": f"Bearer {key}"}, {"x-api-key": key}):
        me = api.get("/auth/whoami", headers={**HOST_KEY, **header})
        assert me.status_code == 200
        assert me.json()["owner"] == "tests/agent-7"
        assert me.json()["scopes"] == ["files", "predict"]
    # the key's scopes bound it: no admin, no chat
    assert api.get("/auth/keys", headers={**HOST_KEY, "x-api-key": key}).status_code == 403
    listed = api.get("/auth/keys", headers=admin).json()["keys"]
    assert any(k["id"] == key_id and k["last_used_at"] for k in listed)
    assert all("key" not in k for k in listed)
    assert api.delete(f"/auth/keys/{key_id}", headers=admin).status_code == 200
    assert api.get("/auth/whoami", headers={**HOST_KEY, "x-api-key": key}).status_code == 401


def test_an_admin_manages_only_the_keys_of_its_own_tenant(api) -> None:
    ours = auth_headers("admin-a", tenant="tenant-a", scopes=["admin"])
    theirs = auth_headers("admin-b", tenant="tenant-b", scopes=["admin"])
    issued = api.post("/auth/keys", headers=ours, json={"user": "u", "name": "n", "scopes": ["ml"]})
    key_id = issued.json()["id"]
    assert issued.json()["tenant"] == "tenant-a"
    assert key_id not in {k["id"] for k in api.get("/auth/keys", headers=theirs).json()["keys"]}
    assert api.delete(f"/auth/keys/{key_id}", headers=theirs).status_code == 404


def test_a_bad_issue_request_is_422(api) -> None:
    admin = auth_headers("key-admin", scopes=["admin"])
    for body in (
        {"user": "u", "name": "n", "scopes": []},
        {"user": "u", "name": "n", "scopes": ["root"]},
        {"user": "", "name": "n", "scopes": ["ml"]},
        {"user": "u", "name": "n", "scopes": ["ml"], "expires_in_days": 0},
    ):
        assert api.post("/auth/keys", headers=admin, json=body).status_code == 422, body


def test_another_tenants_things_are_not_found(api) -> None:
    name = f"alice-{uuid.uuid4().hex[:8]}"
    alice = auth_headers(name, tenant="tenant-a")
    eve = auth_headers(name, tenant="tenant-b")  # same user name, other tenant
    uploaded = api.post(
        "/media/upload",
        headers=alice,
        files={"file": ("notes.txt", b"tenant a's notes", "text/plain")},
    )
    assert uploaded.status_code in (200, 201), uploaded.text
    file_id = uploaded.json()["id"]
    collection = api.post("/media/collections", headers=alice, json={"name": "private"})
    assert collection.status_code == 201, collection.text
    collection_id = collection.json()["id"]
    document = api.post(
        "/chat/documents", headers=alice, json={"text": "The vault code is 4711.", "source": "memo"}
    )
    assert document.status_code in (200, 201), document.text
    document_id = document.json()["id"]
    model = api.post(
        "/ml/models",
        headers=alice,
        json={
            "name": "shared-name",
            "algorithm": "kmeans",
            "params": {"n_clusters": 2},
            "data": {"rows": [[0, 0], [0, 1], [9, 9], [9, 8]]},
        },
    )
    assert model.status_code == 201, model.text
    batch = api.post(
        "/ml/batch",
        headers=alice,
        json={"operation": "cluster", "data": {"rows": [[0, 0], [0, 1], [9, 9], [9, 8]]}},
    )
    assert batch.status_code == 202, batch.text
    job_id = batch.json()["id"]

    for path in (
        f"/media/{file_id}",
        f"/media/{file_id}/content",
        f"/media/collections/{collection_id}",
        f"/jobs/{job_id}",
        "/ml/models/shared-name",
    ):
        assert api.get(path, headers=alice).status_code == 200, path
        assert api.get(path, headers=eve).status_code == 404, path
    for path in (f"/media/{file_id}", f"/chat/documents/{document_id}"):
        assert api.delete(path, headers=eve).status_code == 404, path
    assert file_id not in {f["id"] for f in api.get("/media", headers=eve).json()["items"]}
    # model names are per caller: the other tenant's "shared-name" is its own, and predicting
    # with a name it never registered is 404, not the first tenant's model
    assert (
        api.post(
            "/ml/models/shared-name/predict", headers=eve, json={"data": {"rows": [[0, 0]]}}
        ).status_code
        == 404
    )
    assert document_id not in {
        d["id"] for d in api.get("/chat/documents", headers=eve).json()["documents"]
    }


@pytest.mark.parametrize(
    ("method", "route", "scope"), ROUTES, ids=[f"{m} {r}" for m, r, _ in ROUTES]
)
def test_an_empty_request_with_every_scope_is_never_a_server_error(
    api, method, route, scope
) -> None:
    # past authentication, an empty JSON body, unknown ids and placeholder names must be the
    # caller's problem (4xx) or an answer, never a 500
    response = _send(api, method, route, auth_headers("empty-request"))
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(error_media_type(route))
