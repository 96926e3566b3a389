"""Bad input everywhere: schemathesis sends every operation of ``GET /api/openapi.json`` generated
(valid and invalid) requests over HTTP, authenticated with a real API key, and each answer must be
one the document describes: never a 5xx, a documented status, the documented content type and a
body matching the documented schema.

Deterministic: a fixed seed and a bounded number of examples per operation (fewer where each
request runs a model), so a failure reproduces with the same request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from tests.utils.api_description import app_document
from tests.utils.app_host import start_app_host
from tests.utils.auth import ALL_SCOPES, auth_headers

SEED = 21
EXAMPLES = 20  # per operation, in the fuzzing phase
# Each request runs a model (speech, transcription, chat): a few random examples and no coverage
# phase (its boundary values are the longest inputs), still every operation.
MODEL_HEAVY = r"^/api/(v1/)?(audio|voice|chat|media/[^/]+/speech)"
MODEL_EXAMPLES = 3
# A chat answer costs one model step per token: a valid token budget is cut to this many.
ANSWER_TOKENS = 16
TOKEN_BUDGETS = ("max_tokens", "max_completion_tokens")
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture(scope="module")
def fuzzed_host() -> Iterator[str]:
    """The app on a devhost of its own: the chat model on one thread, as llama.cpp's threads
    (one per core by default) spin against each other on a busy machine, ten times slower."""
    with start_app_host(env={"LLM_THREADS": "1"}) as url:
        yield url


@pytest.fixture(scope="module")
def api_key(fuzzed_host: str) -> str:
    """A real API key with every scope (admin included) of a tenant of its own, issued over HTTP."""
    tenant = f"fuzz-{uuid.uuid4().hex[:8]}"
    admin = auth_headers("fuzz-admin", tenant=tenant, scopes=["admin"])
    issued = httpx.post(
        f"{fuzzed_host}/auth/keys",
        headers=admin,
        json={"user": "fuzzer", "name": "schemathesis", "scopes": list(ALL_SCOPES)},
        timeout=30,
    )
    assert issued.status_code == 201, issued.text
    return str(issued.json()["key"])


CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "request-timeout": 120,
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
        "operations": [
            {
                "include-path-regex": MODEL_HEAVY,
                "generation": {"max-examples": MODEL_EXAMPLES},
                "phases": {"coverage": {"enabled": False}},
            }
        ],
    }
)
schema = schemathesis.openapi.from_dict(app_document(), config=CONFIG)


def test_the_fuzzed_document_is_the_one_served(fuzzed_host: str) -> None:
    # Built here at collection (one test per operation), it must be the one the app serves.
    assert httpx.get(f"{fuzzed_host}/openapi.json", timeout=30).json() == app_document()


@schema.parametrize()
def test_every_operation_answers_as_documented(case, fuzzed_host: str, api_key: str) -> None:
    _cut_token_budgets(case.body)
    response = case.call_and_validate(
        base_url=fuzzed_host.removesuffix("/api"),
        headers={"Authorization": f"Bearer {api_key}"},
        checks=CHECKS,
    )
    # The key holds every scope: whatever else was generated, the caller is let in.
    assert response.status_code not in (401, 403), response.text


def _cut_token_budgets(body: object) -> None:
    """Cut a valid chat token budget (at any depth: ``options.max_tokens``) to ANSWER_TOKENS;
    an invalid one is kept, it is the input under test."""
    if isinstance(body, dict):
        for name, value in body.items():
            if name in TOKEN_BUDGETS and type(value) is int and value > ANSWER_TOKENS:
                body[name] = ANSWER_TOKENS
            else:
                _cut_token_budgets(value)
    elif isinstance(body, list):
        for item in body:
            _cut_token_budgets(item)
