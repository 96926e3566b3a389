"""azure.yaml: azd provisions infra/bicep and deploys the function app and the jobs to the
resources main.bicep tags for them."""

from __future__ import annotations

from typing import Any

import yaml

from tests.unit.infra.bicep_model import load, object_properties, string_literal, text
from tests.unit.infra.support import BICEP_DIR, MAIN_BICEP, ROOT


def azure_yaml() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "azure.yaml").read_text())
    return loaded


def test_infra_points_at_the_bicep_folder():
    infra = azure_yaml()["infra"]
    assert infra["provider"] == "bicep"
    assert infra["path"] == "infra/bicep"
    assert (ROOT / infra["path"] / f"{infra.get('module', 'main')}.bicep").is_file()


def test_one_function_service_and_containerapp_services_for_the_jobs():
    services = azure_yaml()["services"]
    hosts = {name: s["host"] for name, s in services.items()}
    assert [n for n, h in hosts.items() if h == "function"] == ["api"]
    for name, service in services.items():
        if service["host"] == "containerapp":
            dockerfile = ROOT / service.get("project", ".") / service["docker"]["path"]
            assert dockerfile.is_file(), name


def test_every_service_matches_a_tagged_resource():
    main = load(MAIN_BICEP)
    (app,) = main.modules_at("modules/function-app.bicep")
    tagged = {string_literal(app.params["serviceName"])}
    kinds = object_properties(main.params["jobKinds"].default)
    for module in main.modules_at("modules/job.bicep"):
        service = module.params["serviceName"]
        if string_literal(service) is not None:
            tagged.add(string_literal(service))
        else:  # 'jobs-${kind.key}' over the kinds run as jobs (maxExecutions > 0)
            assert text(service) == "'jobs-${kind.key}'"
            tagged |= {
                f"jobs-{kind}"
                for kind, spec in kinds.items()
                if int(text(object_properties(spec)["maxExecutions"])) > 0
            }
    assert set(azure_yaml()["services"]) == tagged
    for path in ("function-app.bicep", "job.bicep"):
        assert "'azd-service-name': serviceName" in (BICEP_DIR / "modules" / path).read_text()


def test_the_migrations_run_after_each_deployment():
    hook = azure_yaml()["hooks"]["postdeploy"]["posix"]["run"]
    assert "AZURE_MIGRATE_JOB_NAME" in hook
    assert "AZURE_MIGRATE_JOB_NAME" in load(MAIN_BICEP).outputs
