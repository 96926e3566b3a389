"""The app indexes the way the Functions worker indexes it, and its security rules hold."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest

# Health and discovery endpoints, and the web console's static files (public like a login page:
# no data, no secret; every API call the console makes carries the caller's credential), are the
# only ones a caller may reach without a credential.
ANONYMOUS_ROUTES = {
    "health",
    "services/status",
    "models/status",
    "openapi.json",
    "console",
    "console/{*path}",
}
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


@pytest.fixture(scope="module")
def functions() -> list[Any]:
    # get_functions() may be called once per app object, exactly as the worker does.
    import function_app

    return function_app.app.get_functions()


def test_function_names_are_unique(functions):
    names = [f.get_function_name() for f in functions]
    assert len(names) == len(set(names)), names


def test_every_function_json_is_valid(functions):
    for function in functions:
        document = json.loads(function.get_function_json())
        assert document["scriptFile"] == "function_app.py"
        bindings = document["bindings"]
        assert sum(b["direction"] == "IN" and b["type"].endswith("Trigger") for b in bindings) == 1
        for binding in bindings:
            assert {"name", "type", "direction"} <= binding.keys(), binding


def test_python_parameters_match_binding_names(functions):
    for function in functions:
        bindings = json.loads(function.get_function_json())["bindings"]
        binding_names = {b["name"] for b in bindings if b["name"] != "$return"}
        parameters = set(inspect.signature(function.get_user_function()).parameters) - {"context"}
        assert parameters == binding_names, function.get_function_name()


def test_every_http_function_uses_http_streams_and_one_credential(functions):
    # The app authenticates every caller itself, so the host asks for no function key on top
    # (one credential: what OpenAI-style clients and the trading agent send). Every HTTP
    # function takes the streams-mode Request: the worker serves an app one way only.
    from starlette.requests import Request

    for function in functions:
        if not function.is_http_function():
            continue
        trigger = function.get_trigger()
        level = str(getattr(trigger.auth_level, "value", trigger.auth_level)).lower()
        assert level == "anonymous", trigger.route
        parameter = inspect.signature(function.get_user_function()).parameters["req"]
        assert parameter.annotation is Request, trigger.route


def test_every_function_but_the_health_checks_authenticates_its_caller(functions):
    # The declaration authenticates unless public=True; only the health/discovery routes may
    # say so, and everything else names the scope it needs (or none: any valid credential).
    from shared.http.contract import contract_of

    for function in functions:
        if not function.is_http_function():
            continue
        route = function.get_trigger().route
        contract = contract_of(function.get_user_function())
        assert contract is not None, f"{route} was not declared through Api (no authentication)"
        assert contract.public == (route in ANONYMOUS_ROUTES), route
    scoped = {
        contract.scope
        for function in functions
        if function.is_http_function()
        and (contract := contract_of(function.get_user_function())) is not None
    }
    from shared.auth import Scope

    assert set(Scope) <= scoped  # every scope guards something


def test_every_state_changing_endpoint_is_idempotent(functions):
    # New endpoints are idempotent by default (Api); this test keeps it so.
    from shared.http.contract import contract_of

    for function in functions:
        if not function.is_http_function():
            continue
        methods = {
            str(getattr(m, "value", m)).upper() for m in function.get_trigger().methods or []
        }
        if methods and methods <= READ_ONLY_METHODS:
            continue
        contract = contract_of(function.get_user_function())
        assert contract is not None, function.get_function_name()
        assert contract.idempotent, function.get_function_name()


def test_importing_the_app_loads_no_driver_or_model():
    import subprocess
    import sys

    # (python_multipart is not listed: FastAPI, which the HTTP streams extension brings, imports
    # it; it is a small pure-Python parser.)
    probe = (
        "import sys, function_app; "
        "heavy = ['redis', 'psycopg', 'qdrant_client', 'azure.storage.blob', 'azure.identity', "
        "'onnxruntime', 'openvino', 'torch', 'faster_whisper', 'llama_cpp', "
        "'azure.storage.queue', 'pypdf', 'piper', "
        "'numpy', 'tokenizers', 'sklearn', 'pyarrow', 'skl2onnx', 'onnx', 'neo4j', 'ladybug']; "
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
