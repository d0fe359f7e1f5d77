"""The real manifests in deploy/ pass the checks deploy/ci-checks.sh runs (all but checkov, which is slow)."""

from __future__ import annotations

import tomllib
from types import ModuleType

import pytest

from tests.deploy.conftest import require

pytestmark = pytest.mark.deploy

KINDS_PER_SERVICE = ("Deployment", "Service", "ServiceAccount")


def names(objects: list[dict], kind: str) -> set[str]:
    return {o["metadata"]["name"] for o in objects if o.get("kind") == kind}


def test_every_service_folder_has_its_deployment_in_the_base(checks: ModuleType, rendered_base: list[dict]) -> None:
    folders = checks.service_folders()
    deployments = names(rendered_base, "Deployment")
    missing = [service for service in folders if service not in deployments]
    assert not missing, f"services without a Deployment in deploy/kustomize/base: {missing}"
    matrix_services = set(checks.load_yaml(checks.PERMISSIONS)["services"])
    assert deployments == matrix_services, "the base and deploy/nats/permissions.yaml disagree on the services"
    for service in deployments:
        for kind in KINDS_PER_SERVICE:
            assert service in names(rendered_base, kind), f"{kind}/{service} missing from the base"
        assert any(name.startswith(f"{service}-config") for name in names(rendered_base, "ConfigMap"))


def test_every_overlay_is_valid_for_kubernetes_and_the_operators(checks: ModuleType, rendered: dict) -> None:
    require("kubernetes_validate", "kubernetes-validate")
    require("jsonschema", "jsonschema")
    problems = [f"[{name}] {p}" for name, objects in rendered.items() for p in checks.check_schemas(objects)]
    assert problems == []


def test_every_overlay_follows_the_workload_rules(checks: ModuleType, rendered: dict) -> None:
    assert checks.check_policy(rendered, checks.service_folders() or None) == []


def test_production_runs_the_services_highly_available(checks: ModuleType, rendered: dict) -> None:
    production = rendered["production"]
    assert names(production, "PodDisruptionBudget") == names(production, "Deployment")
    autoscaled = {o["spec"]["scaleTargetRef"]["name"] for o in production if o["kind"] == "HorizontalPodAutoscaler"}
    assert autoscaled == {"registry", "orders", "contracts", "feedback"}
    [audit] = [o for o in production if o["kind"] == "Deployment" and o["metadata"]["name"] == "audit"]
    assert audit["spec"]["replicas"] == 2
    [cluster] = [o for o in production if o["kind"] == "Cluster"]
    assert cluster["spec"]["instances"] == 3
    assert names(production, "Database") == {f"kokemus-pg-{s}" for s in autoscaled | {"audit"}}
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    for database in (o for o in production if o["kind"] == "Database"):
        owner = database["spec"]["owner"]
        assert roles[owner]["passwordSecret"]["name"] == f"kokemus-pg-{owner}"


def test_each_service_reads_its_own_credentials(checks: ModuleType, rendered: dict) -> None:
    for deployment in (o for o in rendered["production"] if checks.is_service_deployment(o)):
        service = deployment["metadata"]["name"]
        for container in deployment["spec"]["template"]["spec"]["containers"] + deployment["spec"]["template"]["spec"]["initContainers"]:
            secrets = {
                variable["valueFrom"]["secretKeyRef"]["name"]
                for variable in container.get("env", [])
                if "secretKeyRef" in variable.get("valueFrom", {})
            }
            assert secrets <= {f"kokemus-nats-{service}", f"kokemus-pg-{service}"}, (service, container["name"])


def test_dev_and_production_streams_fit_their_nats(checks: ModuleType, rendered: dict) -> None:
    nodes = checks.nats_nodes()
    assert nodes == {"dev": 1, "production": 3}
    for name, replicas in (("dev", "1"), ("production", "3")):
        common = [o for o in rendered[name] if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("kokemus-common")]
        assert [c["data"]["KOKEMUS_STREAM_REPLICAS"] for c in common] == [replicas]


def test_the_crd_schemas_are_valid_crds(checks: ModuleType) -> None:
    require("kubernetes_validate", "kubernetes-validate")
    crds = [o for path in sorted(checks.CRD_DIR.glob("*.yaml")) for o in checks.load_objects(path.read_text())]
    assert {c["spec"]["names"]["kind"] for c in crds} >= {"Cluster", "Database", "ServiceMonitor"}
    assert checks.check_schemas(crds) == []


def test_the_lock_pins_what_pyproject_asks_for(checks: ModuleType) -> None:
    require("packaging", "packaging")
    pyproject = tomllib.loads((checks.REPO / "pyproject.toml").read_text())
    build_lock = checks.BUILD_LOCK.read_text() if checks.BUILD_LOCK.exists() else None
    assert checks.check_lock(pyproject, checks.REQUIREMENTS_LOCK.read_text(), build_lock) == []


def test_the_dockerfile_builds_as_the_readme_says(checks: ModuleType) -> None:
    assert checks.check_dockerfile(checks.DOCKERFILE.read_text()) == []


def test_yaml_is_lint_free(checks: ModuleType) -> None:
    require("yamllint", "yamllint")
    assert checks.run_yamllint() == []


def test_every_accepted_checkov_finding_has_a_reason(checks: ModuleType) -> None:
    accepted = checks.load_yaml(checks.CHECKOV_ACCEPTED)["accepted"]
    assert accepted
    for entry in accepted:
        assert entry["check"].startswith("CKV") and len(entry["reason"].split()) >= 10, entry
