"""Pure functions: reading the ``Idempotency-Key`` header, scoping keys, fingerprinting requests.

The header is a Structured Field Item whose value must be an sf-string (RFC 8941 §3.3.3; IETF
draft "The Idempotency-Key HTTP Header Field" §2):
``Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"``.

Leniency, documented: many clients send the key unquoted (``Idempotency-Key: 8e03978e-...``). A bare
value of visible ASCII without ``"``, ``\\``, ``,`` or ``;`` is accepted as if it were quoted. Item
parameters (``"k";a=1``) and lists (``"a", "b"``) are refused: they would make the key ambiguous.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from shared.http.call import HttpCall
from shared.idempotency.exceptions import IdempotencyKeyInvalidError
from shared.stores.hash_tags import hash_tag

KEY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
RECORD_PREFIX = "idempotency:"
# Records are spread over 256 hash tags (the key hash's first two hex digits): a record and its
# tag's counters share a slot on a Redis Cluster, and 256 tags still spread over every shard.
TAG_LENGTH = 2

# sf-string: DQUOTE *( %x20-21 / %x23-5B / %x5D-7E / "\" ( DQUOTE / "\" ) ) DQUOTE
_SF_STRING = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"')
_SF_ESCAPE = re.compile(r'\\(["\\])')
# The lenient bare form: visible ASCII except DQUOTE, comma, semicolon and backslash.
_BARE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+")
_MISSING = object()


def parse_key_header(value: str) -> str:
    """The key carried by an ``Idempotency-Key`` header value.

    Raises ``IdempotencyKeyInvalidError`` (400) when the value is not an sf-string (or the lenient
    bare form), or when the key is empty or longer than 255 characters. Surrounding spaces are
    ignored, as RFC 8941 parsing requires.
    """
    text = value.strip(" \t")
    if text.startswith('"'):
        match = _SF_STRING.fullmatch(text)
        if match is None:
            raise IdempotencyKeyInvalidError(
                "the Idempotency-Key header must be one quoted string (RFC 8941 sf-string) "
                "of printable ASCII, without parameters"
            )
        key = _SF_ESCAPE.sub(r"\1", match.group(1))
    elif _BARE.fullmatch(text):
        key = text
    elif not text:
        key = ""
    else:
        raise IdempotencyKeyInvalidError(
            'the Idempotency-Key header must be a quoted string, e.g. "8e03978e-40d5-43e8-bc93-..."'
        )
    if not key:
        raise IdempotencyKeyInvalidError("the Idempotency-Key header is empty")
    if len(key) > MAX_KEY_LENGTH:
        raise IdempotencyKeyInvalidError(
            f"the Idempotency-Key is {len(key)} characters; the limit is {MAX_KEY_LENGTH}"
        )
    return key


def scoped_key_hash(scope: str, function_name: str, key: str) -> str:
    """SHA-256 hex of (scope, function, key): the only form of a key that is stored or logged.

    The parts are length-prefixed so no choice of strings can make two scopes collide
    (``("a:b", "c")`` and ``("a", "b:c")`` hash differently).
    """
    material = f"{len(scope)}:{scope}{len(function_name)}:{function_name}{key}"
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def record_key(key_hash: str) -> str:
    """The Redis key of a record: ``idempotency:{<first two hex>}:<sha256 hex>``."""
    return f"{RECORD_PREFIX}{hash_tag(key_hash[:TAG_LENGTH])}:{key_hash}"


def all_tags() -> list[str]:
    """Every tag :func:`record_key` can choose (where the store-wide counters live)."""
    return [f"{n:0{TAG_LENGTH}x}" for n in range(16**TAG_LENGTH)]


def request_fingerprint(method: str, path: str, body: bytes, fields: Sequence[str] = ()) -> str:
    """SHA-256 hex over the method, the path and the body (or the chosen JSON fields).

    With ``fields``, the body is parsed as a JSON object and only those fields (dotted paths reach
    into nested objects) are hashed, in canonical JSON, so formatting and other fields do not
    matter. A body that is not a JSON object falls back to the raw bytes.
    """
    digest = hashlib.sha256(f"{method.upper()}\n{path}\n".encode())
    selected = _selected_fields(body, fields) if fields else None
    if selected is None:
        digest.update(b"body\n")
        digest.update(body)
    else:
        digest.update(b"fields\n")
        digest.update(selected)
    return digest.hexdigest()


def _selected_fields(body: bytes, fields: Sequence[str]) -> bytes | None:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(document, dict):
        return None
    picked = []
    for name in fields:
        value = _lookup(document, name)
        # An absent field and a field that is null are different requests.
        picked.append([name, None] if value is _MISSING else [name, [value]])
    return json.dumps(picked, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _lookup(document: dict[str, Any], dotted: str) -> Any:
    current: Any = document
    for part in dotted.split("."):
        if not isinstance(current, dict) or part not in current:
            return _MISSING
        current = current[part]
    return current


def message_fingerprint(body: bytes) -> str:
    """SHA-256 hex of a queue message body."""
    return hashlib.sha256(b"message\n" + body).hexdigest()


def request_key(req: HttpCall) -> str | None:
    """The request's Idempotency-Key (validated by the endpoint before the handler runs), or
    None when the client sent none. Features use it to tie their own records to the key."""
    raw = req.headers.get(KEY_HEADER)
    return parse_key_header(raw) if raw else None
