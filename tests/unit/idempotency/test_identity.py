"""caller_identity and current_owner: a stable, non-secret id per caller.

Inside an authenticated call (``acting_as``, set by an ``Api`` endpoint that is not public) it is
the principal's owner id; a public idempotent endpoint falls back to a hash of the first
credential presented. App Service's ``x-ms-client-principal-id`` header is not trusted either way.
"""

from __future__ import annotations

import hashlib

import pytest

from shared.auth import AuthMethod, Principal, Scope, acting_as
from shared.errors import UnauthorizedError
from shared.http.call import Headers, HttpCall
from shared.identity import caller_identity, current_owner


def _request(
    headers: dict[str, str] | None = None, params: dict[str, str] | None = None
) -> HttpCall:
    return HttpCall("POST", "http://h/api/x", Headers(headers or {}), params or {}, body=b"")


def _key_id(secret: str) -> str:
    return "key:" + hashlib.sha256(secret.encode()).hexdigest()[:16]


ALICE = Principal(tenant="acme", user="alice", scopes=frozenset({Scope.ML}), method=AuthMethod.JWT)


def test_the_authenticated_principal_is_the_identity() -> None:
    # given alice acting, whatever the request presents (another key, a principal header)
    req = _request({"x-functions-key": "k", "x-ms-client-principal-id": "mallory"})
    with acting_as(ALICE):
        # then both the idempotency scope and the owner id are hers
        assert caller_identity(req) == "acme/alice"
        assert current_owner() == "acme/alice"
    # and once the call is over, the request falls back to its credential again
    assert caller_identity(req) == _key_id("k")


def test_the_app_service_principal_header_is_ignored() -> None:
    # given only the principal header, or the header beside a key
    alone = _request({"x-ms-client-principal-id": "user-1"})
    beside = _request({"x-ms-client-principal-id": "user-1", "x-functions-key": "k"})
    # then it identifies nobody: anonymous, or the key's hash as without it
    assert caller_identity(alone) == "anonymous"
    assert caller_identity(beside) == caller_identity(_request({"x-functions-key": "k"}))
    assert "user-1" not in caller_identity(beside)


def test_current_owner_outside_an_authenticated_call_is_401() -> None:
    with pytest.raises(UnauthorizedError) as raised:
        current_owner()
    assert raised.value.status == 401


@pytest.mark.parametrize(
    ("headers", "params", "secret"),
    [
        ({"x-functions-key": "fkey"}, {}, "fkey"),
        ({}, {"code": "qcode"}, "qcode"),
        ({"X-API-Key": "apikey"}, {}, "apikey"),
        ({"Authorization": "Bearer tok.en"}, {}, "tok.en"),
        ({"x-functions-key": "first", "X-API-Key": "second"}, {"code": "third"}, "first"),
        ({"X-API-Key": "second"}, {"code": "third"}, "third"),
    ],
)
def test_presented_credential_becomes_a_hash_prefix(headers, params, secret) -> None:
    # given a request with credentials / then the first one in contract order identifies it
    identity = caller_identity(_request(headers, params))
    assert identity == _key_id(secret)
    assert secret not in identity


def test_no_credentials_is_anonymous() -> None:
    assert caller_identity(_request({"Authorization": "Basic dXNlcjpwYXNz"})) == "anonymous"
    assert caller_identity(_request()) == "anonymous"
