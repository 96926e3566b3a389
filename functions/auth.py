"""API key administration (``admin`` scope, within the caller's tenant) and ``whoami``.
Logic: ``shared/auth``."""

from __future__ import annotations

import azure.functions as func

from shared.auth import Scope, get_api_key_store, require_principal
from shared.auth.api import ApiKeyIn, ApiKeyList, ApiKeyView, IssuedApiKey, WhoAmI
from shared.auth.api_keys import utc_after_days
from shared.http import endpoint, json_response, parse_body
from shared.idempotency import idempotent

bp = func.Blueprint()  # type: ignore[no-untyped-call]

# A replayed issue answers the same key, so its idempotency record holds the secret: keep it
# only as long as a client's retries take.
ISSUE_REPLAY_SECONDS = 300


@bp.route(route="auth/keys", methods=["POST"])
@endpoint(
    "Issue an API key for a user of the caller's tenant (the key is shown once)",
    request=ApiKeyIn,
    response=IssuedApiKey,
    status=201,
    errors=(422, 503),
    tags=("auth",),
    scope=Scope.ADMIN,
)
@idempotent(ttl_seconds=ISSUE_REPLAY_SECONDS)
def auth_key_issue(req: func.HttpRequest) -> func.HttpResponse:
    body = parse_body(req, ApiKeyIn)
    admin = require_principal()
    record, key = get_api_key_store().issue(
        tenant=admin.tenant,
        user=body.user,
        name=body.name,
        scopes=body.scopes,
        created_by=admin.owner,
        expires_at=utc_after_days(body.expires_in_days) if body.expires_in_days else None,
    )
    view = ApiKeyView.of(record)
    return json_response(IssuedApiKey(**view.model_dump(), key=key), status=201)


@bp.route(route="auth/keys", methods=["GET"])
@endpoint(
    "The API keys of the caller's tenant (no secrets)",
    response=ApiKeyList,
    errors=(503,),
    tags=("auth",),
    scope=Scope.ADMIN,
)
def auth_key_list(req: func.HttpRequest) -> func.HttpResponse:
    records = get_api_key_store().list_keys(require_principal().tenant)
    return json_response(ApiKeyList(keys=[ApiKeyView.of(r) for r in records]))


@bp.route(route="auth/keys/{id}", methods=["DELETE"])
@endpoint(
    "Revoke an API key of the caller's tenant (refused from the next request on)",
    response=ApiKeyView,
    errors=(404, 503),
    tags=("auth",),
    scope=Scope.ADMIN,
)
@idempotent()
def auth_key_revoke(req: func.HttpRequest) -> func.HttpResponse:
    record = get_api_key_store().revoke(require_principal().tenant, req.route_params.get("id", ""))
    return json_response(ApiKeyView.of(record))


@bp.route(route="auth/whoami", methods=["GET"])
@endpoint("The authenticated caller: tenant, user, scopes", response=WhoAmI, tags=("auth",))
def auth_whoami(req: func.HttpRequest) -> func.HttpResponse:
    return json_response(WhoAmI.of(require_principal()))
