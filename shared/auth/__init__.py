"""Authentication and authorization: issued API keys and JWT bearer tokens -> a ``Principal``
with a tenant, a user and scopes; ``@endpoint`` applies it to every non-health function."""

from shared.auth.authenticate import (
    authenticate,
    authorize,
    get_api_key_store,
    get_jwt_verifier,
    reset_auth,
)
from shared.auth.principal import (
    AuthMethod,
    Principal,
    Scope,
    acting_as,
    current_principal,
    require_principal,
)

__all__ = [
    "AuthMethod",
    "Principal",
    "Scope",
    "acting_as",
    "authenticate",
    "authorize",
    "current_principal",
    "get_api_key_store",
    "get_jwt_verifier",
    "require_principal",
    "reset_auth",
]
