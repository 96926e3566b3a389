"""infra/bicep: what can be checked without a Bicep compiler (syntax, declarations, wiring)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.unit.infra.bicep_model import (
    BicepFile,
    identifiers,
    load,
    object_properties,
    string_literal,
    text,
    walk,
)
from tests.unit.infra.support import BICEP_DIR, MAIN_BICEP, ROOT

BICEP_FILES = sorted(BICEP_DIR.rglob("*.bicep"))
AVM_REFERENCE = re.compile(r"^br/public:avm/(res|ptn|utl)/[a-z0-9-]+(/[a-z0-9-]+)*:\d+\.\d+\.\d+$")
# Names an output may have besides app settings: azd's and the deployment's own.
AZD_OUTPUT = re.compile(r"^(AZURE_[A-Z0-9_]+|SERVICE_[A-Z0-9_]+)$")
# Property names whose value is a credential: never a string literal.
CREDENTIAL_KEYS = {
    "password",
    "administratorloginpassword",
    "accountkey",
    "primarykey",
    "secondarykey",
    "apikey",
    "connectionstring",
    "sharedkey",
}


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(BICEP_DIR)) for p in paths]


@pytest.fixture(scope="module")
def main() -> BicepFile:
    return load(MAIN_BICEP)


def test_the_templates_exist():
    assert MAIN_BICEP.is_file()
    assert len(BICEP_FILES) >= 2


@pytest.mark.parametrize("path", BICEP_FILES, ids=ids(BICEP_FILES))
def test_every_bicep_file_parses(path: Path):
    # tree-sitter-bicep wrongly flags `{ ...spread }`: the templates avoid it.
    assert load(path).syntax_errors == []


@pytest.mark.parametrize("path", BICEP_FILES, ids=ids(BICEP_FILES))
def test_every_parameter_has_a_description(path: Path):
    model = load(path)
    missing = [name for name, param in model.params.items() if not param.description]
    assert missing == [], f"@description missing in {path.name}"


@pytest.mark.parametrize("path", BICEP_FILES, ids=ids(BICEP_FILES))
def test_module_references_exist_or_are_pinned_verified_modules(path: Path):
    for module in load(path).modules:
        if module.is_local:
            assert (path.parent / module.path).is_file(), f"{path.name}: {module.path} not found"
        else:
            assert AVM_REFERENCE.match(module.path), (
                f"{path.name}: {module.path} is not an Azure Verified Module pinned to x.y.z"
            )


@pytest.mark.parametrize("path", BICEP_FILES, ids=ids(BICEP_FILES))
def test_local_modules_get_every_required_parameter_and_no_unknown_one(path: Path):
    for module in load(path).modules:
        if not module.is_local:
            continue
        target = load(path.parent / module.path)
        passed = set(module.params)
        required = {name for name, param in target.params.items() if param.default is None}
        assert not passed - set(target.params), f"{module.symbol}: unknown params"
        assert not required - passed, f"{module.symbol}: required params missing"


def test_main_is_subscription_scoped_and_creates_the_resource_group(main: BicepFile):
    assert "targetScope = 'subscription'" in text(main.tree.root_node)
    groups = [
        body
        for node in walk(main.tree.root_node)
        if node.type == "resource_declaration"
        and "Microsoft.Resources/resourceGroups@" in (string_literal(node.named_children[1]) or "")
        for body in [node.named_children[-1]]
    ]
    assert len(groups) == 1
    assert "tags" in object_properties(groups[0])


def test_names_come_from_a_resource_token_and_resources_carry_azd_tags(main: BicepFile):
    token = text(main.variables["resourceToken"])
    assert "uniqueString(subscription().id, environmentName, location)" in token
    assert "'azd-env-name': environmentName" in text(main.variables["tags"])
    for module in main.modules:
        assert "tags" in module.params, f"module {module.symbol} gets no tags"


def test_every_parameter_without_default_is_in_main_parameters_json(main: BicepFile):
    given = json.loads((BICEP_DIR / "main.parameters.json").read_text())["parameters"]
    required = {name for name, param in main.params.items() if param.default is None}
    assert required <= set(given), f"missing in main.parameters.json: {required - set(given)}"
    assert set(given) <= set(main.params), (
        f"not params of main.bicep: {set(given) - set(main.params)}"
    )


@pytest.mark.parametrize("path", BICEP_FILES, ids=ids(BICEP_FILES))
def test_no_secret_literals(path: Path):
    model = load(path)
    for name, param in model.params.items():
        if param.secure and param.default is not None:
            assert string_literal(param.default) == "", f"@secure() {name} has a default value"
    for node in walk(model.tree.root_node):
        if node.type != "object_property":
            continue
        key = text(node.named_children[0]).strip("'").lower()
        value = node.named_children[-1]
        if key in CREDENTIAL_KEYS:
            assert string_literal(value) is None, (
                f"{path.name}: literal {key} at {node.start_point}"
            )


def test_outputs_use_the_app_setting_names_or_azd_names(main: BicepFile):
    from tests.unit.infra.support import setting_names

    sample = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    known = set(sample) | {n for names in setting_names().values() for n in names}
    external = {"NEO4J_URI"}  # an endpoint parameter, not read by shared/config.py yet
    odd = [
        name
        for name in main.outputs
        if not AZD_OUTPUT.match(name) and name not in known and name not in external
    ]
    assert odd == [], "outputs must carry the names of local.settings.sample.json / Settings"


def test_every_job_kind_of_the_code_has_a_bicep_definition(main: BicepFile):
    from shared.config import Settings
    from shared.jobs.queues import job_kinds

    default = main.params["jobKinds"].default
    assert default is not None
    kinds = object_properties(default)
    assert set(kinds) == set(job_kinds(Settings()))
    for kind, spec in kinds.items():
        assert {"queue", "maxExecutions", "gpu"} <= set(object_properties(spec)), kind


def test_jobs_scale_on_their_queue_with_the_managed_identity():
    job = load(BICEP_DIR / "modules" / "job.bicep")
    rule_text = text(job.variables["eventTrigger"])
    for needle in ("type: 'azure-queue'", "queueLength: '1'", "identity: identityResourceId"):
        assert needle in rule_text
    params = job.module("job").params
    for name in ("replicaTimeout", "replicaRetryLimit", "eventTriggerConfig", "secrets"):
        assert name in params
    for name in ("replicaTimeoutSeconds", "replicaRetryLimit", "maxExecutions"):
        assert name in job.params


def test_function_app_is_flex_consumption_python_311_with_identity_based_storage():
    app = load(BICEP_DIR / "modules" / "function-app.bicep")
    assert "name: 'FC1'" in text(app.module("plan").body)
    site = app.module("site").params
    config = text(site["functionAppConfig"])
    assert "name: 'python'" in config
    assert "version: '3.11'" in config
    assert "type: 'UserAssignedIdentity'" in config
    assert "keyVaultAccessIdentityResourceId" in site
    assert {"appSettings", "keyVaultReferences"} <= identifiers(site["appSettingsKeyValuePairs"])


def test_storage_allows_no_shared_keys():
    storage = load(BICEP_DIR / "modules" / "storage.bicep")
    params = storage.module("account").params
    assert text(params["allowSharedKeyAccess"]) == "false"


def test_the_options_of_the_issue_are_parameters(main: BicepFile):
    assert "'managed'" in text(main.params["redisKind"].decorators["allowed"])
    assert "'cache'" in text(main.params["redisKind"].decorators["allowed"])
    for name in ("deployQdrant", "qdrantUrl", "neo4jUri", "gpuWorkloadProfileType"):
        assert name in main.params
    environment = load(BICEP_DIR / "modules" / "container-apps.bicep")
    assert "gpuWorkloadProfileType" in identifiers(environment.variables["gpuProfile"])
    assert "storages" in environment.module("managedEnvironment").params
    qdrant = load(BICEP_DIR / "modules" / "qdrant.bicep")
    assert "storageType: 'AzureFile'" in text(qdrant.module("app").params["volumes"])


def test_postgres_allows_the_vector_extension_and_redis_requires_tls():
    postgres = load(BICEP_DIR / "modules" / "postgres.bicep")
    allow = object_properties(postgres.resources["allowVector"])
    assert string_literal(allow["name"]) == "azure.extensions"
    assert "value: 'VECTOR'" in text(allow["properties"])
    assert "sslmode=require" in text(postgres.resources["dsnSecret"])
    redis = load(BICEP_DIR / "modules" / "redis.bicep")
    assert "clientProtocol: 'Encrypted'" in text(redis.module("managedRedis").body)
    cache = redis.module("cacheRedis").params
    assert text(cache["enableNonSslPort"]) == "false"


def test_only_the_migrate_job_gets_the_postgres_administrator_dsn(main: BicepFile):
    """The function app and the worker jobs log in as the service roles: their POSTGRES_DSN has
    host and database but no credentials; the administrator's DSN goes to the migrate job only."""
    postgres = load(BICEP_DIR / "modules" / "postgres.bicep")
    app_dsn = text(object_properties(postgres.resources["appDsnSecret"])["properties"])
    assert "@" not in app_dsn  # no user:password@
    assert "administrator" not in app_dsn
    assert "sslmode=require" in app_dsn
    assert "administratorPassword" in text(postgres.resources["dsnSecret"])

    serving = object_properties(main.variables["secretSettings"])
    assert text(serving["POSTGRES_DSN"]) == "postgres.outputs.appDsnSecretUri"
    for service in ("JOBS", "WORKER", "MEDIA", "VOICE", "CHAT", "ML", "AUTH", "HEALTH"):
        assert f"POSTGRES_{service}_PASSWORD" in serving
    assert text(main.module("functionApp").params["secretSettings"]) == "secretSettings"
    assert text(main.module("jobs").params["secretSettings"]) == "secretSettings"
    assert text(main.module("migrateJob").params["secretSettings"]) == "migrateSecretSettings"
    assert "postgres.outputs.dsnSecretUri" in text(main.variables["migrateSecretSettings"])


def test_flex_consumption_concurrency_is_set_on_purpose(main: BicepFile):
    # the instance's HTTP concurrency and always-ready instances are explicit, with a reason
    app = load(BICEP_DIR / "modules" / "function-app.bicep")
    scale = object_properties(
        object_properties(app.module("site").params["functionAppConfig"])["scaleAndConcurrency"]
    )
    http = object_properties(object_properties(scale["triggers"])["http"])
    assert text(http["perInstanceConcurrency"]) == "httpPerInstanceConcurrency"
    assert "name: 'http'" in text(scale["alwaysReady"])
    assert "alwaysReadyHttpInstances" in identifiers(scale["alwaysReady"])
    params = main.module("functionApp").params
    assert text(params["httpPerInstanceConcurrency"]) == "functionHttpPerInstanceConcurrency"
    assert text(params["alwaysReadyHttpInstances"]) == "functionAlwaysReadyHttpInstances"
    for name, default in (
        ("functionHttpPerInstanceConcurrency", "16"),
        ("functionAlwaysReadyHttpInstances", "1"),
    ):
        param = main.params[name]
        assert param.default is not None
        assert text(param.default) == default
        assert len(param.description or "") > 80, f"{name}: say why"
    # and the worker has a thread for every request the instance admits
    threads = object_properties(main.variables["functionSettings"])
    assert "functionHttpPerInstanceConcurrency" in identifiers(
        threads["PYTHON_THREADPOOL_THREAD_COUNT"]
    )


def test_managed_redis_defaults_to_oss_clustering_and_the_app_follows_the_policy(
    main: BicepFile,
):
    policy = main.params["managedRedisClusteringPolicy"]
    assert policy.default is not None
    assert string_literal(policy.default) == "OSSCluster"
    allowed = text(policy.decorators["allowed"])
    assert all(f"'{p}'" in allowed for p in ("OSSCluster", "EnterpriseCluster", "NoCluster"))
    settings = object_properties(main.variables["deploymentSettings"])
    cluster = text(settings["REDIS_CLUSTER"])
    assert "managedRedisClusteringPolicy == 'OSSCluster'" in cluster
    assert "redisKind == 'managed'" in cluster
    assert "cacheRedisSku != 'Basic'" in text(settings["REDIS_WAIT_REPLICAS"])
    redis = load(BICEP_DIR / "modules" / "redis.bicep")
    assert "clusteringPolicy: managedClusteringPolicy" in text(redis.module("managedRedis").body)
