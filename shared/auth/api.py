"""Request and response models of the API key administration endpoints (``/api/auth/...``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.auth.api_keys import ApiKeyRecord
from shared.auth.principal import Principal, Scope, checked_identity
from shared.errors import UnauthorizedError


class ApiKeyIn(BaseModel):
    """A key to issue for a user of the caller's tenant."""

    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1, max_length=256, description="the user the key acts as")
    name: str = Field(min_length=1, max_length=100, description="what the key is for")
    scopes: list[Scope] = Field(min_length=1, description="what the key may do")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)

    @field_validator("user")
    @classmethod
    def _valid_user(cls, value: str) -> str:
        try:
            checked_identity("tenant", value)
        except UnauthorizedError as exc:
            raise ValueError("user must be printable text") from exc
        return value

    @field_validator("scopes")
    @classmethod
    def _unique(cls, value: list[Scope]) -> list[Scope]:
        return sorted(set(value))


class ApiKeyView(BaseModel):
    """An issued key as listed: never its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    tenant: str
    user: str
    name: str
    scopes: list[Scope]
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @field_validator("scopes", mode="before")
    @classmethod
    def _sorted(cls, value: Any) -> Any:
        return sorted(value) if isinstance(value, set | frozenset) else value

    @classmethod
    def of(cls, record: ApiKeyRecord) -> ApiKeyView:
        return cls.model_validate(record)


class IssuedApiKey(ApiKeyView):
    """A new key: ``key`` is the secret, shown in this response only."""

    key: str


class ApiKeyList(BaseModel):
    keys: list[ApiKeyView]


class WhoAmI(BaseModel):
    """The caller as the platform sees it."""

    tenant: str
    user: str
    owner: str
    scopes: list[Scope]
    method: str
    credential_id: str

    @classmethod
    def of(cls, principal: Principal) -> WhoAmI:
        return cls(
            tenant=principal.tenant,
            user=principal.user,
            owner=principal.owner,
            scopes=sorted(principal.scopes),
            method=principal.method.value,
            credential_id=principal.credential_id,
        )
