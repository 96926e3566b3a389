"""API key administration (``admin`` scope, within the caller's tenant) and ``whoami``.
Logic: ``shared/auth``."""

from __future__ import annotations

from shared.auth import Principal, Scope, get_api_key_store
from shared.auth.api import ApiKeyIn, ApiKeyList, ApiKeyView, IssuedApiKey, WhoAmI
from shared.auth.api_keys import utc_after_days
from shared.http.api import Api
from shared.idempotency import IdempotencyConfig

api = Api(tags=("auth",), scope=Scope.ADMIN)
bp = api.blueprint

# A replayed issue answers the same key, so its idempotency record holds the secret: keep it
# only as long as a client's retries take.
ISSUE_REPLAY_SECONDS = 300


@api.post(
    "auth/keys",
    "Issue an API key for a user of the caller's tenant (the key is shown once)",
    status=201,
    errors=(422, 503),
    idempotency=IdempotencyConfig(ttl_seconds=ISSUE_REPLAY_SECONDS),
)
def auth_key_issue(body: ApiKeyIn, caller: Principal) -> IssuedApiKey:
    record, key = get_api_key_store().issue(
        tenant=caller.tenant,
        user=body.user,
        name=body.name,
        scopes=body.scopes,
        created_by=caller.owner,
        expires_at=utc_after_days(body.expires_in_days) if body.expires_in_days else None,
    )
    return IssuedApiKey(**ApiKeyView.of(record).model_dump(), key=key)


@api.get("auth/keys", "The API keys of the caller's tenant (no secrets)", errors=(503,))
def auth_key_list(caller: Principal) -> ApiKeyList:
    records = get_api_key_store().list_keys(caller.tenant)
    return ApiKeyList(keys=[ApiKeyView.of(r) for r in records])


@api.delete(
    "auth/keys/{key_id}",
    "Revoke an API key of the caller's tenant (refused from the next request on)",
    errors=(404, 503),
)
def auth_key_revoke(key_id: str, caller: Principal) -> ApiKeyView:
    return ApiKeyView.of(get_api_key_store().revoke(caller.tenant, key_id))


@api.get("auth/whoami", "The authenticated caller: tenant, user, scopes", scope=None)
def auth_whoami(caller: Principal) -> WhoAmI:
    return WhoAmI.of(caller)
