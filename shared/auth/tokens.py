"""JWT bearer tokens: HS256 with AUTH_JWT_SECRET, RS256/ES256 with keys from a JWKS URL or file.

Contract of ``JwtVerifier.verify``: a ``Principal`` for a token that

- names an algorithm of ``ALGORITHMS`` whose key source is configured (HS256 only with the
  secret, RS256/ES256 only with a JWKS key found by the token's ``kid``: a public key is never
  used as an HMAC secret, and ``none`` is never accepted);
- has a valid signature, ``exp`` in the future and ``nbf``/``iat`` not in the future (both with
  AUTH_JWT_LEEWAY_SECONDS of clock skew), ``iss`` equal to AUTH_JWT_ISSUER and ``aud``
  containing AUTH_JWT_AUDIENCE;
- names a tenant (AUTH_JWT_TENANT_CLAIM, else AUTH_JWT_DEFAULT_TENANT) and a user
  (AUTH_JWT_USER_CLAIM).

Scopes are the platform's scope names found in ``scp`` or ``scope`` (space-separated, as OAuth 2
and Entra ID delegated tokens carry them) and in ``roles`` (Entra ID app roles). Anything else is
401 with the reason. A JWKS URL that cannot be fetched is 503 (the ``jwks`` breaker), not 401:
the token may well be valid.

A verified token's principal is remembered (by the whole token) until the token expires, for at
most ``VERIFIED_CACHE_SECONDS``: clients send the same token for its whole life, and checking the
signature once is enough. Expiry is still checked on every use; a key removed from the JWKS stops
working for tokens already seen within ``VERIFIED_CACHE_SECONDS``.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.auth.principal import AuthMethod, Principal, checked_identity, known_scopes
from shared.errors import ServiceUnavailableError, UnauthorizedError

if TYPE_CHECKING:
    import jwt

    from shared.config import Settings

logger = logging.getLogger(__name__)

HMAC_ALGORITHMS = ("HS256",)
PUBLIC_KEY_ALGORITHMS = ("RS256", "ES256")
ALGORITHMS = HMAC_ALGORITHMS + PUBLIC_KEY_ALGORITHMS
VERIFIED_CACHE_SECONDS = 60.0
VERIFIED_CACHE_ENTRIES = 10_000


class JwtVerifier:
    """Verifies bearer JWTs against the configured key sources (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.auth_jwt_secret
        self._jwks_url = settings.auth_jwt_jwks_url
        self._jwks_file = settings.auth_jwt_jwks_file
        self._issuer = settings.auth_jwt_issuer
        self._audience = settings.auth_jwt_audience
        self._leeway = settings.auth_jwt_leeway_seconds
        self._tenant_claim = settings.auth_jwt_tenant_claim
        self._user_claim = settings.auth_jwt_user_claim
        self._default_tenant = settings.auth_jwt_default_tenant
        self._jwks_cache_seconds = settings.auth_jwks_cache_seconds
        self._lock = threading.Lock()
        self._jwks_client: jwt.PyJWKClient | None = None
        self._file_keys: tuple[float, dict[str, Any]] | None = None  # (mtime, kid -> PyJWK)
        # token -> (principal, usable until: epoch seconds)
        self._verified: dict[str, tuple[Principal, float]] = {}

    @property
    def configured(self) -> bool:
        """True when some key source, the issuer and the audience are all set."""
        has_keys = bool(self._secret or self._jwks_url or self._jwks_file)
        return has_keys and bool(self._issuer) and bool(self._audience)

    def verify(self, token: str) -> Principal:
        """The token's principal, or 401 / 503 (see the module docstring)."""
        seen = self._verified.get(token)
        now = time.time()
        if seen is not None and now < seen[1]:
            return seen[0]
        principal, expires = self._verify(token)
        self._remember(token, principal, min(expires + self._leeway, now + VERIFIED_CACHE_SECONDS))
        return principal

    def _remember(self, token: str, principal: Principal, until: float) -> None:
        with self._lock:
            if len(self._verified) >= VERIFIED_CACHE_ENTRIES:
                now = time.time()
                self._verified = {t: v for t, v in self._verified.items() if v[1] > now}
                if len(self._verified) >= VERIFIED_CACHE_ENTRIES:
                    self._verified.clear()  # a flood of distinct tokens: start over
            self._verified[token] = (principal, until)

    def _verify(self, token: str) -> tuple[Principal, float]:
        import jwt

        if not self.configured:
            raise UnauthorizedError("bearer tokens are not accepted: no JWT issuer is configured")
        header = _header_of(token)
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise UnauthorizedError(f"JWT algorithm {algorithm!r} is not accepted")
        key = self._key_for(str(algorithm), header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[str(algorithm)],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise UnauthorizedError("the token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise UnauthorizedError("the token is for another audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise UnauthorizedError("the token is from another issuer") from exc
        except jwt.InvalidSignatureError as exc:
            raise UnauthorizedError("the token's signature is not valid") from exc
        except jwt.ImmatureSignatureError as exc:
            raise UnauthorizedError("the token is not valid yet") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise UnauthorizedError(f"the token has no {exc.claim!r} claim") from exc
        except jwt.PyJWTError as exc:
            raise UnauthorizedError("the token is not valid") from exc
        return self._principal(claims), float(claims["exp"])

    def _principal(self, claims: dict[str, Any]) -> Principal:
        tenant, user = checked_identity(
            claims.get(self._tenant_claim, self._default_tenant), claims.get(self._user_claim)
        )
        return Principal(
            tenant=tenant,
            user=user,
            scopes=known_scopes(_scope_names(claims)),
            method=AuthMethod.JWT,
            credential_id=str(claims.get("jti", ""))[:64],
        )

    def _key_for(self, algorithm: str, kid: object) -> Any:
        if algorithm in HMAC_ALGORITHMS:
            if self._secret is None:
                raise UnauthorizedError(f"{algorithm} tokens are not accepted (no secret set)")
            return self._secret.get_secret_value()
        if not (self._jwks_url or self._jwks_file):
            raise UnauthorizedError(f"{algorithm} tokens are not accepted (no JWKS configured)")
        if not isinstance(kid, str) or not kid:
            raise UnauthorizedError("the token names no signing key (kid)")
        jwk = self._file_key(kid) if self._jwks_file else None
        if jwk is None and self._jwks_url:
            jwk = self._url_key(kid)
        if jwk is None:
            raise UnauthorizedError("the token's signing key is unknown")
        if jwk.algorithm_name != algorithm:
            raise UnauthorizedError("the token's algorithm does not match its key")
        return jwk.key

    def _file_key(self, kid: str) -> Any:
        """The key ``kid`` of AUTH_JWT_JWKS_FILE, re-read when the file changes."""
        import jwt

        assert self._jwks_file is not None
        path = Path(self._jwks_file)
        try:
            mtime = path.stat().st_mtime
            with self._lock:
                if self._file_keys is None or self._file_keys[0] != mtime:
                    keys = jwt.PyJWKSet.from_json(path.read_text()).keys
                    self._file_keys = (mtime, {k.key_id: k for k in keys if k.key_id})
                return self._file_keys[1].get(kid)
        except (OSError, jwt.PyJWKError, jwt.PyJWKSetError) as exc:
            logger.error("the JWKS file %s cannot be used: %s", path, exc)
            raise ServiceUnavailableError("the token signing keys are unavailable") from exc

    def _url_key(self, kid: str) -> Any:
        """The key ``kid`` from AUTH_JWT_JWKS_URL (cached; an unknown kid refetches the set)."""
        import jwt

        from shared.resilience import guard

        assert self._jwks_url is not None
        with self._lock:
            if self._jwks_client is None:
                self._jwks_client = jwt.PyJWKClient(
                    self._jwks_url,
                    cache_keys=True,
                    lifespan=max(self._jwks_cache_seconds, 1),
                    timeout=5,
                )
            client = self._jwks_client
        try:
            with guard("jwks", counts=(jwt.PyJWKClientConnectionError,)):
                return client.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as exc:
            logger.warning("JWKS fetch failed: %s", type(exc).__name__)
            raise ServiceUnavailableError(
                "the token signing keys cannot be fetched", headers={"Retry-After": "5"}
            ) from exc
        except jwt.PyJWKClientError:
            return None


def _header_of(token: str) -> dict[str, Any]:
    """The JOSE header, unverified (it only picks the key; the signature covers it)."""
    segment = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise UnauthorizedError("the bearer token is not a valid JWT") from exc
    if not isinstance(header, dict) or token.count(".") != 2:
        raise UnauthorizedError("the bearer token is not a valid JWT")
    return header


def _scope_names(claims: dict[str, Any]) -> Iterable[str]:
    for claim in ("scp", "scope"):
        value = claims.get(claim)
        if isinstance(value, str):
            yield from value.split()
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, str))
    roles = claims.get("roles")
    if isinstance(roles, list):
        yield from (r for r in roles if isinstance(r, str))
