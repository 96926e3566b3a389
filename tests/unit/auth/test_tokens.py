"""JWT verification: HS256 with the secret, RS256/ES256 from a JWKS file or URL, and every way
a token must be refused."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from shared.auth.principal import AuthMethod, Scope
from shared.auth.tokens import JwtVerifier
from shared.config import Settings
from shared.errors import ServiceUnavailableError, UnauthorizedError

ISSUER = "https://issuer.test"
AUDIENCE = "api://mlplatform"
SECRET = "unit-test-secret-of-at-least-32-bytes!"


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "auth_jwt_secret": SECRET,
        "auth_jwt_issuer": ISSUER,
        "auth_jwt_audience": AUDIENCE,
        "auth_jwt_jwks_url": None,
        "auth_jwt_jwks_file": None,
        "auth_jwt_leeway_seconds": 60,
        "auth_jwt_default_tenant": None,
    }
    values.update(overrides)
    return Settings(**values)


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "tid": "acme",
        "scp": "voice chat",
        "iat": now,
        "exp": now + 600,
    }
    for name, value in overrides.items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    return payload


def hs256(**overrides: Any) -> str:
    return jwt.encode(claims(**overrides), SECRET, algorithm="HS256")


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def jwks(rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    rsa_jwk = json.loads(RSAAlgorithm.to_jwk(rsa_key.public_key()))
    ec_jwk = json.loads(ECAlgorithm.to_jwk(ec_key.public_key()))
    return {
        "keys": [
            {**rsa_jwk, "kid": "rsa-1", "alg": "RS256", "use": "sig"},
            {**ec_jwk, "kid": "ec-1", "alg": "ES256", "use": "sig"},
        ]
    }


@pytest.fixture
def jwks_file(tmp_path: Path, rsa_key, ec_key) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks(rsa_key, ec_key)))
    return path


@pytest.fixture
def jwks_url(rsa_key, ec_key) -> Iterator[str]:
    body = json.dumps(jwks(rsa_key, ec_key)).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/keys"
    finally:
        server.shutdown()
        server.server_close()


def refused(verifier: JwtVerifier, token: str) -> str:
    with pytest.raises(UnauthorizedError) as raised:
        verifier.verify(token)
    return raised.value.detail


def test_hs256_token_gives_tenant_user_and_known_scopes() -> None:
    principal = JwtVerifier(settings()).verify(hs256(scp="voice chat other:thing"))
    assert (principal.tenant, principal.user, principal.owner) == ("acme", "alice", "acme/alice")
    assert principal.scopes == {Scope.VOICE, Scope.CHAT}
    assert principal.method is AuthMethod.JWT


def test_roles_and_scope_claims_also_grant_scopes() -> None:
    verifier = JwtVerifier(settings())
    assert verifier.verify(hs256(scp=None, roles=["ml", "Other.Role"])).scopes == {Scope.ML}
    assert verifier.verify(hs256(scp=None, scope="predict admin")).scopes == {
        Scope.PREDICT,
        Scope.ADMIN,
    }


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"aud": "api://someone-else"}, "audience"),
        ({"iss": "https://evil.test"}, "issuer"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
        ({"exp": None}, "'exp'"),
        ({"aud": None}, "'aud'"),
        ({"tid": None}, "tenant"),
        ({"sub": None}, "user"),
        ({"tid": "../other"}, "tenant"),
    ],
)
def test_bad_claims_are_refused_with_the_reason(overrides, reason) -> None:
    assert reason in refused(JwtVerifier(settings()), hs256(**overrides))


def test_wrong_signature_is_refused() -> None:
    token = jwt.encode(claims(), "another-secret-of-at-least-32-bytes!", algorithm="HS256")
    assert "signature" in refused(JwtVerifier(settings()), token)


def test_clock_skew_within_leeway_is_accepted_beyond_it_refused() -> None:
    just_expired = hs256(exp=int(time.time()) - 30)
    assert JwtVerifier(settings(auth_jwt_leeway_seconds=60)).verify(just_expired).user == "alice"
    assert "expired" in refused(JwtVerifier(settings(auth_jwt_leeway_seconds=10)), just_expired)


def test_unsigned_and_unknown_algorithms_are_refused() -> None:
    unsigned = jwt.encode(claims(), key="", algorithm="none")
    assert "'none'" in refused(JwtVerifier(settings()), unsigned)
    hs512 = jwt.encode(claims(), SECRET + SECRET, algorithm="HS512")
    assert "'HS512'" in refused(JwtVerifier(settings()), hs512)


def test_garbage_is_refused() -> None:
    assert "not a valid JWT" in refused(JwtVerifier(settings()), "not.a.token")


def test_default_tenant_applies_only_when_configured() -> None:
    token = hs256(tid=None)
    assert JwtVerifier(settings(auth_jwt_default_tenant="corp")).verify(token).tenant == "corp"


def test_no_issuer_configured_refuses_every_token() -> None:
    assert "no JWT issuer" in refused(JwtVerifier(settings(auth_jwt_issuer=None)), hs256())


def test_rs256_and_es256_from_a_jwks_file(jwks_file, rsa_key, ec_key) -> None:
    verifier = JwtVerifier(settings(auth_jwt_jwks_file=jwks_file))
    rs = jwt.encode(claims(sub="rsa-user"), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    es = jwt.encode(claims(sub="ec-user"), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    assert verifier.verify(rs).user == "rsa-user"
    assert verifier.verify(es).user == "ec-user"


def test_rs256_from_a_jwks_url(jwks_url, rsa_key) -> None:
    verifier = JwtVerifier(settings(auth_jwt_jwks_url=jwks_url, auth_jwt_secret=None))
    token = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    assert verifier.verify(token).owner == "acme/alice"
    # HS256 is refused when no secret is configured, whatever the token says
    assert "no secret" in refused(verifier, hs256())


def test_unknown_kid_and_foreign_keys_are_refused(jwks_file, rsa_key) -> None:
    verifier = JwtVerifier(settings(auth_jwt_jwks_file=jwks_file))
    unknown = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "nope"})
    assert "unknown" in refused(verifier, unknown)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims(), stranger, algorithm="RS256", headers={"kid": "rsa-1"})
    assert "signature" in refused(verifier, forged)
    no_kid = jwt.encode(claims(), rsa_key, algorithm="RS256")
    assert "kid" in refused(verifier, no_kid)


def test_key_of_another_algorithm_is_refused(jwks_file, rsa_key) -> None:
    # the EC key's kid on an RS256 token: the key's algorithm decides, not the token's header
    token = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "ec-1"})
    assert "does not match" in refused(JwtVerifier(settings(auth_jwt_jwks_file=jwks_file)), token)


def test_public_key_cannot_be_used_as_an_hmac_secret(jwks_file, rsa_key) -> None:
    # the classic algorithm confusion: sign HS256 with the published public key
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import hashlib
    import hmac as hmac_lib

    header = jwt.utils.base64url_encode(
        json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode()
    )
    payload = jwt.utils.base64url_encode(json.dumps(claims()).encode())
    signing_input = header + b"." + payload
    signature = hmac_lib.new(public_pem, signing_input, hashlib.sha256).digest()
    token = (signing_input + b"." + jwt.utils.base64url_encode(signature)).decode()
    verifier = JwtVerifier(settings(auth_jwt_jwks_file=jwks_file))
    assert "signature" in refused(verifier, token)


def test_unreachable_jwks_url_is_503_not_401(rsa_key) -> None:
    verifier = JwtVerifier(settings(auth_jwt_jwks_url="http://127.0.0.1:9/keys"))
    token = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})
    with pytest.raises(ServiceUnavailableError):
        verifier.verify(token)


def test_a_remembered_token_still_expires() -> None:
    verifier = JwtVerifier(settings(auth_jwt_leeway_seconds=0))
    token = hs256(exp=int(time.time()) + 1)
    assert verifier.verify(token).user == "alice"
    assert verifier.verify(token).user == "alice"  # remembered
    time.sleep(
        max(0.0, jwt.decode(token, options={"verify_signature": False})["exp"] - time.time()) + 0.05
    )
    assert "expired" in refused(verifier, token)


def test_a_token_that_is_not_three_segments_is_refused() -> None:
    token = hs256()
    assert "not a valid JWT" in refused(JwtVerifier(settings()), token + ".extra")
    assert "not a valid JWT" in refused(JwtVerifier(settings()), "%%%." + token.split(".", 1)[1])
