"""Every app setting the code reads (shared.config.Settings, derived at test time so a new field
is caught) is set by Bicep, for the function app and for every Container Apps job, and by
compose for the Functions host, the job runner and the migrations."""

from __future__ import annotations

import json

import pytest

from tests.unit.infra.bicep_model import BicepFile, identifiers, load, text
from tests.unit.infra.support import (
    BICEP_DIR,
    MAIN_BICEP,
    ROOT,
    compose_config,
    secret_fields,
    setting_names,
    uncovered,
)

# Fields Azure does not set, and why.
AZURE_EXEMPT = {
    "storage_connection_string": "storage is identity-based (AzureWebJobsStorage__*): no key",
    "redis_url": "REDIS_HOST, REDIS_PORT, REDIS_PASSWORD and REDIS_SSL are set instead",
    "redis_username": "access-key authentication has no user name",
    **{
        f"redis_{service}_{part}": "Azure Redis authenticates with the access key or Entra ID, no "
        "ACL users: every feature uses REDIS_PASSWORD (per-feature users are for self-hosted Redis)"
        for service in ("idempotency", "voice", "chat", "ratelimit", "jobs", "auth", "health")
        for part in ("username", "password")
    },
    "qdrant_path": "qdrant-client's embedded mode, local only (refused in production)",
    "graph_path": "the embedded graph file, local only (refused in production); Azure keeps the "
    "graph in PostgreSQL or Neo4j (GRAPH_STORE)",
    "idempotency_disabled": "local debugging only (ignored with an error log elsewhere)",
    "reranker_onnx_path": "optional model file that is not deployed (appSettingsOverrides)",
    "auth_jwt_jwks_file": "Azure fetches keys by URL (AUTH_JWT_JWKS_URL); a file is for boxes",
    "auth_jwt_default_tenant": "Entra ID tokens carry their tenant (tid); set it in "
    "appSettingsOverrides for an issuer without one",
}
# Fields compose does not set, and why.
COMPOSE_EXEMPT = {
    "storage_account_name": "identity-based storage is Azure only; Azurite takes a key",
    "storage_blob_service_uri": "identity-based storage is Azure only",
    "storage_queue_service_uri": "identity-based storage is Azure only",
    "storage_client_id": "identity-based storage is Azure only",
    "redis_url": "REDIS_HOST, REDIS_PORT, REDIS_USERNAME and REDIS_PASSWORD are set instead",
    "qdrant_path": "the box runs a Qdrant server (QDRANT_URL)",
    "graph_path": "the embedded graph file, local only (refused outside local development)",
    "idempotency_disabled": "local debugging only",
}
# Names the targets may set that no Settings field reads: the Functions host's and Azure's own,
# the host keys of the box, and the Neo4j endpoint the deployment provides for the graph store.
PLATFORM_NAMES = {
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__tableServiceUri",
    "AzureWebJobsFeatureFlags",
    "AZURE_CLIENT_ID",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    "PYTHON_ENABLE_OPENTELEMETRY",  # the worker's: the host's trace context per invocation
    "FUNCTIONS_MASTER_KEY",
    "FUNCTIONS_DEFAULT_KEY",
    "NEO4J_URI",
    "NEO4J_USERNAME",
    "NEO4J_PASSWORD",
}
# Names of local.settings.sample.json that are not Settings fields: the local host's own.
LOCAL_ONLY_PREFIXES = ("DEVHOST_",)
# The host's and the worker's own settings: HTTP streams need init indexing and a body limit above
# the media limit (shared/http/web.py).
STREAMS_NAMES = {"PYTHON_ENABLE_INIT_INDEXING", "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"}
HOST_NAMES = {"FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsFeatureFlags", *STREAMS_NAMES}
# The Python worker's thread pool, sized to the instance's HTTP concurrency (main.bicep); devhost
# and shared.http.executor read it from the environment, not from Settings.
WORKER_NAMES = {"PYTHON_THREADPOOL_THREAD_COUNT"}
# Flex Consumption refuses these as app settings (the runtime is in functionAppConfig), and a
# connection string would mean a shared key.
FORBIDDEN_IN_FLEX = {
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "AzureWebJobsStorage",
}
COMPOSE_APP_SERVICES = ("api", "jobs-scaler", "migrate")


def all_names() -> set[str]:
    return {name for names in setting_names().values() for name in names}


def secret_names() -> set[str]:
    names = setting_names()
    return {name for field in secret_fields() for name in names[field]}


@pytest.fixture(scope="module")
def main() -> BicepFile:
    return load(MAIN_BICEP)


def function_app_settings(main: BicepFile) -> tuple[set[str], set[str]]:
    """(plain, secret) setting names the function app module receives."""
    (module,) = main.modules_at("modules/function-app.bicep")
    return (
        main.setting_names(module.params["appSettings"]),
        main.setting_names(module.params["secretSettings"]),
    )


def job_modules(main: BicepFile) -> dict[str, tuple[set[str], set[str]]]:
    """Job module symbol -> (plain, secret) setting names it receives."""
    modules = main.modules_at("modules/job.bicep")
    assert modules, "main.bicep deploys no Container Apps job"
    return {
        m.symbol: (
            main.setting_names(m.params["appSettings"]),
            main.setting_names(m.params["secretSettings"]),
        )
        for m in modules
    }


def test_the_function_app_gets_every_setting(main: BicepFile):
    plain, secret = function_app_settings(main)
    assert uncovered(AZURE_EXEMPT, plain | secret) == {}


def test_every_job_gets_every_setting(main: BicepFile):
    for symbol, (plain, secret) in job_modules(main).items():
        assert uncovered(AZURE_EXEMPT, plain | secret) == {}, symbol


def test_bicep_sets_no_unknown_name(main: BicepFile):
    plain, secret = function_app_settings(main)
    names = plain | secret
    for job_plain, job_secret in job_modules(main).values():
        names |= job_plain | job_secret
    assert names - all_names() - PLATFORM_NAMES - STREAMS_NAMES - WORKER_NAMES == set()


def test_secrets_reach_azure_only_through_key_vault(main: BicepFile):
    targets = {"function app": function_app_settings(main), **job_modules(main)}
    for target, (plain, secret) in targets.items():
        assert not plain & secret_names(), f"{target}: secret in a plain app setting"
        assert not plain & {"NEO4J_PASSWORD"}, target
        exempt_names = {n for f in AZURE_EXEMPT for n in setting_names()[f]}
        assert secret_names() - exempt_names <= secret, f"{target}: secret not from Key Vault"


def test_the_flex_consumption_app_gets_no_refused_setting(main: BicepFile):
    plain, secret = function_app_settings(main)
    assert not (plain | secret) & FORBIDDEN_IN_FLEX


def test_modules_turn_the_settings_into_app_settings_and_env():
    app = load(BICEP_DIR / "modules" / "function-app.bicep")
    assert "secretSettings" in identifiers(app.variables["keyVaultReferences"])
    assert "@Microsoft.KeyVault(SecretUri=" in text(app.variables["keyVaultReferences"])
    job = load(BICEP_DIR / "modules" / "job.bicep")
    env = job.module("job").params["containers"]
    assert {"plainEnv", "secretEnv"} <= identifiers(env)
    assert "appSettings" in identifiers(job.variables["plainEnv"])
    assert "secretSettings" in identifiers(job.variables["secretEnv"])
    assert "keyVaultUrl" in text(job.variables["secrets"])


@pytest.mark.parametrize("service", COMPOSE_APP_SERVICES)
def test_compose_gives_every_setting(service: str):
    environment = set(compose_config()["services"][service]["environment"])
    assert uncovered(COMPOSE_EXEMPT, environment) == {}
    assert environment - all_names() - PLATFORM_NAMES - STREAMS_NAMES == set()


@pytest.mark.parametrize("service", COMPOSE_APP_SERVICES)
def test_compose_secrets_come_from_the_env_file(service: str):
    raw = compose_config(interpolate=False)["services"][service]["environment"]
    for name in secret_names() & set(raw):
        assert "${" in raw[name], f"{service}: {name} is a literal, not read from .env"


def test_local_settings_sample_names_are_settings_or_local_only():
    sample = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    odd = {
        name
        for name in sample
        if name not in all_names()
        and name not in HOST_NAMES
        and not name.startswith(LOCAL_ONLY_PREFIXES)
    }
    assert odd == set(), "a sample setting no Settings field reads (or allow-list it here)"


def test_http_streams_settings_reach_the_host_wherever_the_app_runs(main: BicepFile):
    # func start (the sample), Azure (Bicep) and the compose box all run the worker in HTTP
    # streams mode with a body limit above MAX_FILE_SIZE plus the multipart framing.
    sample = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    compose = compose_config()["services"]["api"]["environment"]
    plain, _ = function_app_settings(main)
    media_limit = 100 * 1024 * 1024
    for where, names in (("sample", set(sample)), ("compose", set(compose)), ("bicep", plain)):
        assert names >= STREAMS_NAMES, where
    assert sample["PYTHON_ENABLE_INIT_INDEXING"] == compose["PYTHON_ENABLE_INIT_INDEXING"] == "1"
    assert int(sample["FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"]) > media_limit
    assert int(compose["FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"]) > media_limit
