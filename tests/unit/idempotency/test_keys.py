"""Reading the Idempotency-Key header, scoping keys and fingerprinting requests."""

from __future__ import annotations

import pytest

from shared.idempotency.exceptions import IdempotencyKeyInvalidError
from shared.idempotency.keys import (
    MAX_KEY_LENGTH,
    all_tags,
    parse_key_header,
    record_key,
    request_fingerprint,
    scoped_key_hash,
)
from shared.stores.hash_tags import tag_of

UUID = "8e03978e-40d5-43e8-bc93-6894a57f9324"


@pytest.mark.parametrize(
    ("header", "key"),
    [
        (f'"{UUID}"', UUID),  # the draft's example
        (f'  "{UUID}"\t', UUID),  # surrounding whitespace is discarded (RFC 8941 §4.2)
        (r'"say \"hi\" \\ bye"', r'say "hi" \ bye'),  # sf-string escapes
        ('"with space"', "with space"),
        (UUID, UUID),  # documented leniency: a bare value
        ("abc:def/1", "abc:def/1"),
        ('"' + "k" * MAX_KEY_LENGTH + '"', "k" * MAX_KEY_LENGTH),
    ],
)
def test_valid_key_header_is_parsed(header: str, key: str) -> None:
    # given a header value a client may send / when it is parsed / then the key comes back
    assert parse_key_header(header) == key


@pytest.mark.parametrize(
    "header",
    [
        "",  # empty
        '""',  # empty string
        "   ",
        '"' + "k" * (MAX_KEY_LENGTH + 1) + '"',  # too long
        "k" * (MAX_KEY_LENGTH + 1),
        '"unterminated',
        '"a" trailing',
        '"a";param=1',  # parameters are refused
        '"a", "b"',  # a list (two headers folded into one)
        r'"bad \n escape"',  # only \" and \\ are escapes
        '"tab\tinside"',  # control characters are not sf-string characters
        '"caf\u00e9"',  # non-ASCII
        "two words",  # bare values cannot contain spaces
        "semi;colon",
    ],
)
def test_malformed_key_header_is_refused(header: str) -> None:
    # given a malformed header / when parsed / then it is a 400-class idempotency error
    with pytest.raises(IdempotencyKeyInvalidError) as caught:
        parse_key_header(header)
    assert caught.value.status == 400


def test_scoped_key_hash_differs_per_caller_function_and_key() -> None:
    # given the same key under different scopes
    base = scoped_key_hash("key:abc", "app.create", "k1")
    # then each scope produces its own hash, and the hash is stable
    assert base == scoped_key_hash("key:abc", "app.create", "k1")
    assert base != scoped_key_hash("key:abd", "app.create", "k1")
    assert base != scoped_key_hash("key:abc", "app.update", "k1")
    assert base != scoped_key_hash("key:abc", "app.create", "k2")
    assert len(base) == 64


def test_scoped_key_hash_parts_cannot_be_shifted_into_each_other() -> None:
    # given parts whose concatenation is equal / then the hashes still differ
    assert scoped_key_hash("a:b", "c", "k") != scoped_key_hash("a", "b:c", "k")
    assert scoped_key_hash("a", "bc", "k") != scoped_key_hash("a", "b", "ck")


def test_record_key_lives_under_the_idempotency_prefix() -> None:
    assert record_key("ab" * 32) == "idempotency:{ab}:" + "ab" * 32


def test_record_keys_spread_over_256_cluster_slots_by_their_hash_tag() -> None:
    # given many key hashes / when their records are named / then Redis Cluster hashes only the
    # tag: two hex digits, 256 tags in all, each one of all_tags()
    tags = {tag_of(record_key(scoped_key_hash("s", "f", str(n)))) for n in range(5000)}
    assert tags == set(all_tags())
    assert len(tags) == 256


def test_fingerprint_covers_method_path_and_body() -> None:
    base = request_fingerprint("POST", "/api/things", b'{"a":1}')
    assert base == request_fingerprint("post", "/api/things", b'{"a":1}')
    assert base != request_fingerprint("PUT", "/api/things", b'{"a":1}')
    assert base != request_fingerprint("POST", "/api/other", b'{"a":1}')
    assert base != request_fingerprint("POST", "/api/things", b'{"a": 1}')


def test_fingerprint_fields_ignore_formatting_and_other_fields() -> None:
    # given two bodies that agree on the chosen fields only
    first = b'{"amount": 10, "to": {"iban": "X"}, "note": "a"}'
    second = b'{"note":"b","to":{"iban":"X"},"amount":10}'
    fields = ("amount", "to.iban")
    # then their fingerprints are equal, and differ once a chosen field changes
    assert request_fingerprint("POST", "/p", first, fields) == request_fingerprint(
        "POST", "/p", second, fields
    )
    changed = b'{"amount": 11, "to": {"iban": "X"}}'
    assert request_fingerprint("POST", "/p", first, fields) != request_fingerprint(
        "POST", "/p", changed, fields
    )


def test_fingerprint_fields_tell_absent_from_null() -> None:
    absent = request_fingerprint("POST", "/p", b"{}", ("a",))
    null = request_fingerprint("POST", "/p", b'{"a": null}', ("a",))
    assert absent != null


def test_fingerprint_fields_fall_back_to_raw_body_when_not_a_json_object() -> None:
    # given a body that is not a JSON object / then the raw bytes are hashed
    assert request_fingerprint("POST", "/p", b"[1]", ("a",)) == request_fingerprint(
        "POST", "/p", b"[1]"
    )
    assert request_fingerprint("POST", "/p", b"\xff", ("a",)) == request_fingerprint(
        "POST", "/p", b"\xff"
    )
