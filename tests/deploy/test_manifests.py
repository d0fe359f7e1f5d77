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

KINDS_PER_WORKLOAD = ("Deployment", "Service", "ServiceAccount")
WEB = "web"  # the web interface: a Deployment like a service's, but no stream, no tables (not in SERVICE_NAMES)


def names(objects: list[dict], kind: str) -> set[str]:
    return {o["metadata"]["name"] for o in objects if o.get("kind") == kind}


def deployment(objects: list[dict], name: str) -> dict:
    [found] = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == name]
    return found


def test_every_service_folder_has_its_deployment_in_the_base(rendered_base: list[dict]) -> None:
    folders = service_folders()
    assert "identity" in folders
    services = {o["metadata"]["name"] for o in rendered_base if is_service_deployment(o)}
    missing = [service for service in folders if service not in services]
    assert not missing, f"services without a Deployment in deploy/kustomize/base: {missing}"
    matrix = load_yaml(PERMISSIONS)
    assert services == set(matrix["services"]), "the base and deploy/nats/permissions.yaml disagree on the services"
    assert names(rendered_base, "Deployment") == services | {WEB}
    assert WEB in matrix["clients"], "the web connects to NATS as its own user"
    for workload in services | {WEB}:
        for kind in KINDS_PER_WORKLOAD:
            assert workload in names(rendered_base, kind), f"{kind}/{workload} missing from the base"
        assert any(name.startswith(f"{workload}-config") for name in names(rendered_base, "ConfigMap"))


def test_every_target_fits_the_settings_the_nats_servers_and_postgresql(rendered: dict) -> None:
    assert set(rendered) == {"dev", "production", "production+servicemonitor"}
    assert check_manifests(rendered) == []


def test_production_runs_the_services_highly_available(rendered: dict) -> None:
    production = rendered["production"]
    assert names(production, "PodDisruptionBudget") == names(production, "Deployment")
    autoscaled = {o["spec"]["scaleTargetRef"]["name"] for o in production if o["kind"] == "HorizontalPodAutoscaler"}
    assert autoscaled == {"registry", "orders", "contracts", "feedback", "identity", WEB}
    for workload in (o for o in production if o["kind"] == "Deployment"):
        assert workload["spec"]["template"]["spec"]["topologySpreadConstraints"], workload["metadata"]["name"]
        if workload["metadata"]["name"] in autoscaled:
            assert "replicas" not in workload["spec"], "an HPA scales it, so the Deployment sets no replicas"
    assert all(o["spec"]["minReplicas"] >= 2 for o in production if o["kind"] == "HorizontalPodAutoscaler")
    assert deployment(production, "audit")["spec"]["replicas"] == 2
    assert all(o["metadata"].get("namespace") == "kokemus" for o in production if o["kind"] != "Namespace")


def test_each_service_has_a_database_an_owner_role_and_a_runtime_role(rendered: dict) -> None:
    production = rendered["production"]
    [cluster] = [o for o in production if o["kind"] == "Cluster"]
    assert cluster["spec"]["instances"] == 3
    assert names(production, "Database") == {f"kokemus-pg-{s}" for s in service_folders()}
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    for database in (o for o in production if o["kind"] == "Database"):
        service = database["spec"]["name"]
        assert database["spec"]["owner"] == f"kokemus_{service}_owner"
        assert roles[f"kokemus_{service}_owner"]["passwordSecret"]["name"] == f"kokemus-pg-{service}-owner"
        assert roles[f"kokemus_{service}"]["passwordSecret"]["name"] == f"kokemus-pg-{service}"
    assert set(roles) == {f"kokemus_{s}{suffix}" for s in service_folders() for suffix in ("", "_owner")}


def secrets_of(container: dict, pod: dict) -> set[str]:
    """The Secrets a container reads: through its environment and through the volumes it mounts."""
    from_env = {variable["valueFrom"]["secretKeyRef"]["name"] for variable in container.get("env", [])
                if "secretKeyRef" in variable.get("valueFrom", {})}
    volumes = {v["name"]: v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
    return from_env | {volumes[m["name"]] for m in container.get("volumeMounts", []) if m["name"] in volumes}


# Each workload's containers read exactly these Secrets: its own credentials and keys, nobody else's.
SECRETS = {
    "identity": {"kokemus-nats-identity", "kokemus-pg-identity", "kokemus-identity-key-ring",
                 "kokemus-identity-signing-key", "kokemus-identity-systems"},
    "audit": {"kokemus-nats-audit", "kokemus-pg-audit", "kokemus-audit-key-ring", "kokemus-audit-signing-key"},
    WEB: {"kokemus-nats-web", "kokemus-web-cookie-key", "kokemus-oidc-web"},
}


NATS_TLS = "nats-server-tls"


def test_in_production_every_workload_reaches_nats_over_tls_and_sees_only_the_ca_of_its_secret(rendered: dict) -> None:
    def common(objects: list[dict]) -> dict:
        [found] = [o for o in objects
                   if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("kokemus-common")]
        return found

    production = rendered["production"]
    assert common(production)["data"]["KOKEMUS_NATS_URL"].startswith("tls://")
    mount = common(production)["data"]["KOKEMUS_NATS_TLS_CA"]
    for workload in (o for o in production if o["kind"] == "Deployment"):
        pod = workload["spec"]["template"]["spec"]
        [volume] = [v for v in pod["volumes"] if v.get("secret", {}).get("secretName") == NATS_TLS]
        assert volume["secret"]["items"] == [{"key": "ca.crt", "path": "ca.crt"}]  # never the server's key
        [mounted] = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == volume["name"]]
        assert f"{mounted['mountPath']}/ca.crt" == mount and mounted["readOnly"]
    dev = common(rendered["dev"])
    assert dev["data"]["KOKEMUS_NATS_URL"].startswith("nats://") and "KOKEMUS_NATS_TLS_CA" not in dev["data"]


def test_each_workload_reads_its_own_credentials_and_keys(rendered: dict) -> None:
    production = rendered["production"]
    for workload in (o for o in production if o["kind"] == "Deployment"):
        name, pod = workload["metadata"]["name"], workload["spec"]["template"]["spec"]
        [main] = pod["containers"]
        own = SECRETS.get(name, {f"kokemus-nats-{name}", f"kokemus-pg-{name}", f"kokemus-{name}-key-ring"})
        assert secrets_of(main, pod) == own | {NATS_TLS}, name  # and the CA of the NATS servers' certificate
        migrations = [secrets_of(init, pod) for init in pod.get("initContainers", [])]
        assert migrations == ([] if name == WEB else [{f"kokemus-pg-{name}-owner"}]), name


def test_every_service_checks_tokens_with_the_identity_services_public_keys(rendered: dict) -> None:
    for workload in (o for o in rendered["production"] if is_service_deployment(o)):
        pod = workload["spec"]["template"]["spec"]
        [main] = pod["containers"]
        mounted = {m["name"]: m["mountPath"] for m in main["volumeMounts"]}
        assert mounted["identity-jwks"] == "/etc/kokemus/identity-jwks", workload["metadata"]["name"]
        [jwks] = [v for v in pod["volumes"] if v["name"] == "identity-jwks"]
        assert jwks["configMap"]["name"] == "kokemus-identity-jwks"


def selects(selector: dict, labels: dict) -> bool:
    """A label selector (matchLabels, matchExpressions with In) against a pod's labels."""
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def egress_of(objects: list[dict], name: str) -> tuple[bool, set[int]]:
    """Whether the workload's egress is denied by default, and the ports its egress rules open."""
    labels = deployment(objects, name)["spec"]["template"]["metadata"]["labels"]
    policies = [o["spec"] for o in objects
                if o["kind"] == "NetworkPolicy" and selects(o["spec"]["podSelector"], labels)]
    denied = any("Egress" in p["policyTypes"] for p in policies)
    ports = {port["port"] for p in policies for rule in p.get("egress", []) for port in rule.get("ports", [])}
    return denied, ports


def ingress_of(objects: list[dict], name: str) -> set[tuple[str, int]]:
    """(namespace, port) of every ingress rule that lets another namespace reach the workload's pods."""
    labels = deployment(objects, name)["spec"]["template"]["metadata"]["labels"]
    policies = [o["spec"] for o in objects
                if o["kind"] == "NetworkPolicy" and selects(o["spec"]["podSelector"], labels)]
    assert any("Ingress" in p["policyTypes"] and not p.get("ingress") for p in policies), "no default deny"
    return {(peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"], port["port"])
            for p in policies for rule in p.get("ingress", []) for peer in rule["from"] for port in rule["ports"]}


def test_the_identity_service_and_the_web_reach_only_what_they_need(rendered: dict) -> None:
    dns, nats, postgres, otlp, https = 53, 4222, 5432, {4317, 4318}, 443
    for target, providers in (("dev", set()), ("production", {https})):
        assert egress_of(rendered[target], "identity") == (True, {dns, nats, postgres, *otlp, *providers}), target
        assert egress_of(rendered[target], WEB) == (True, {dns, nats, *providers}), target
        # only Prometheus reaches the identity service (metrics), only the Ingress controller the web
        assert ingress_of(rendered[target], "identity") == {("monitoring", 8080)}
        assert ingress_of(rendered[target], WEB) == {("ingress-nginx", 8000)}
    # the web is reached through the Ingress, at its Service's port
    production = rendered["production"]
    [ingress] = [o for o in production if o["kind"] == "Ingress"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    [service] = [o for o in production if o["kind"] == "Service" and o["metadata"]["name"] == backend["name"]]
    assert backend["port"]["name"] in {port["name"] for port in service["spec"]["ports"]}
    assert selects({"matchLabels": service["spec"]["selector"]},
                   deployment(production, WEB)["spec"]["template"]["metadata"]["labels"])


def test_dev_and_production_streams_fit_their_nats(rendered: dict) -> None:
    nodes = nats_nodes()
    assert nodes == {"dev": 1, "production": 3}
    for name, replicas in (("dev", "1"), ("production", "3")):
        common = [o for o in rendered[name]
                  if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("kokemus-common")]
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
