"""The real manifests in deploy/ pass kokemus's own checks, and are shaped the way deploy/README.md says.

The generic checks (schemas, Pod Security, linting, checkov) are deploy/ci-checks.sh's tools.
"""

from __future__ import annotations

import pytest

from deploy.kokemus_checks.common import DEPLOY, PERMISSIONS, load_yaml, service_folders
from deploy.kokemus_checks.lock import check_lock_files
from deploy.kokemus_checks.manifests import check_manifests, is_service_deployment
from deploy.kokemus_checks.nats_servers import nats_nodes

pytestmark = pytest.mark.deploy

KINDS_PER_SERVICE = ("Deployment", "Service", "ServiceAccount")


def names(objects: list[dict], kind: str) -> set[str]:
    return {o["metadata"]["name"] for o in objects if o.get("kind") == kind}


def test_every_service_folder_has_its_deployment_in_the_base(rendered_base: list[dict]) -> None:
    folders = service_folders()
    deployments = names(rendered_base, "Deployment")
    missing = [service for service in folders if service not in deployments]
    assert not missing, f"services without a Deployment in deploy/kustomize/base: {missing}"
    matrix_services = set(load_yaml(PERMISSIONS)["services"])
    assert deployments == matrix_services, "the base and deploy/nats/permissions.yaml disagree on the services"
    for service in deployments:
        for kind in KINDS_PER_SERVICE:
            assert service in names(rendered_base, kind), f"{kind}/{service} missing from the base"
        assert any(name.startswith(f"{service}-config") for name in names(rendered_base, "ConfigMap"))


def test_every_target_fits_the_settings_the_nats_servers_and_postgresql(rendered: dict) -> None:
    assert set(rendered) == {"dev", "production", "production+servicemonitor"}
    assert check_manifests(rendered) == []


def test_production_runs_the_services_highly_available(rendered: dict) -> None:
    production = rendered["production"]
    assert names(production, "PodDisruptionBudget") == names(production, "Deployment")
    autoscaled = {o["spec"]["scaleTargetRef"]["name"] for o in production if o["kind"] == "HorizontalPodAutoscaler"}
    assert autoscaled == {"registry", "orders", "contracts", "feedback"}
    for deployment in (o for o in production if o["kind"] == "Deployment"):
        assert deployment["spec"]["template"]["spec"]["topologySpreadConstraints"], deployment["metadata"]["name"]
        if deployment["metadata"]["name"] in autoscaled:
            assert "replicas" not in deployment["spec"], "an HPA scales it, so the Deployment sets no replicas"
    assert all(o["spec"]["minReplicas"] >= 2 for o in production if o["kind"] == "HorizontalPodAutoscaler")
    [audit] = [o for o in production if o["kind"] == "Deployment" and o["metadata"]["name"] == "audit"]
    assert audit["spec"]["replicas"] == 2
    [cluster] = [o for o in production if o["kind"] == "Cluster"]
    assert cluster["spec"]["instances"] == 3
    assert names(production, "Database") == {f"kokemus-pg-{s}" for s in autoscaled | {"audit"}}
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    for database in (o for o in production if o["kind"] == "Database"):
        owner = database["spec"]["owner"]
        assert roles[owner]["passwordSecret"]["name"] == f"kokemus-pg-{owner}"


def test_each_service_reads_its_own_credentials(rendered: dict) -> None:
    for deployment in (o for o in rendered["production"] if is_service_deployment(o)):
        service = deployment["metadata"]["name"]
        for container in deployment["spec"]["template"]["spec"]["containers"] + deployment["spec"]["template"]["spec"]["initContainers"]:
            secrets = {
                variable["valueFrom"]["secretKeyRef"]["name"]
                for variable in container.get("env", [])
                if "secretKeyRef" in variable.get("valueFrom", {})
            }
            assert secrets <= {f"kokemus-nats-{service}", f"kokemus-pg-{service}"}, (service, container["name"])


def test_dev_and_production_streams_fit_their_nats(rendered: dict) -> None:
    nodes = nats_nodes()
    assert nodes == {"dev": 1, "production": 3}
    for name, replicas in (("dev", "1"), ("production", "3")):
        common = [o for o in rendered[name] if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("kokemus-common")]
        assert [c["data"]["KOKEMUS_STREAM_REPLICAS"] for c in common] == [replicas]
        assert [c["data"]["KOKEMUS_ENVIRONMENT"] for c in common] == [name]


def test_the_lock_pins_what_pyproject_asks_for() -> None:
    assert check_lock_files() == []


def test_every_skipped_checkov_check_says_why() -> None:
    text = (DEPLOY / "checkov.yaml").read_text()
    skipped = load_yaml(DEPLOY / "checkov.yaml")["skip-check"]
    assert skipped
    for check in skipped:
        # the comment right above the entry names the check and gives the reason
        reason = text.split(f"  - {check}\n")[0].rsplit("\n  - ", 1)[-1]
        assert f"# {check} " in reason and len(reason.split()) >= 20, check
