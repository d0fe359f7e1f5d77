"""The checks of deploy/checks.py fail on broken input: a check that passes everything proves nothing."""

from __future__ import annotations

import copy
from types import ModuleType

import pytest

from tests.deploy.conftest import require

pytestmark = pytest.mark.deploy


def deployment() -> dict:
    """A minimal Deployment that passes every check (the starting point each test breaks)."""
    security = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    resources = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}}
    labels = {"app.kubernetes.io/name": "orders", "app.kubernetes.io/part-of": "kokemus", "app.kubernetes.io/component": "service"}
    probe = lambda path: {"httpGet": {"path": path, "port": "http"}}  # noqa: E731
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "orders", "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "orders"}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": "orders",
                    "automountServiceAccountToken": False,
                    "terminationGracePeriodSeconds": 50,
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "topologySpreadConstraints": [
                        {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
                         "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "orders"}}}
                    ],
                    "initContainers": [{
                        "name": "migrate", "image": "kokemus:1.0", "args": ["migrate", "orders"],
                        "securityContext": copy.deepcopy(security), "resources": copy.deepcopy(resources),
                        "envFrom": [{"configMapRef": {"name": "settings"}}],
                        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                    }],
                    "containers": [{
                        "name": "orders", "image": "kokemus:1.0", "args": ["serve", "orders"],
                        "ports": [{"name": "http", "containerPort": 8080}],
                        "envFrom": [{"configMapRef": {"name": "settings"}}],
                        "env": [{"name": "KOKEMUS_NATS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "password"}}}],
                        "livenessProbe": probe("/healthz"), "readinessProbe": probe("/readyz"),
                        "securityContext": copy.deepcopy(security), "resources": copy.deepcopy(resources),
                        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                    }],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }


def supporting_objects() -> list[dict]:
    selector = {"matchLabels": {"app.kubernetes.io/name": "orders"}}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "orders"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {
            "KOKEMUS_SHUTDOWN_GRACE_SECONDS": "20", "KOKEMUS_HTTP_PORT": "8080", "KOKEMUS_STREAM_REPLICAS": "3",
            "OTEL_SERVICE_NAME": "orders", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
            "KOKEMUS_NATS_URL": "nats://nats:4222", "KOKEMUS_DB_HOST": "pg-rw",
        }},
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "orders"},
         "spec": {"minAvailable": 1, "selector": selector}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny"},
         "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "nats"},
         "spec": {"podSelector": selector, "policyTypes": ["Egress"],
                  "egress": [{"ports": [{"protocol": "TCP", "port": 4222}]}]}},
    ]


def workload_problems(checks: ModuleType, broken: dict, extra: list[dict] | None = None, environment: str = "production") -> list[str]:
    objects = [broken] + (supporting_objects() if extra is None else extra)
    return checks.check_pod_security(objects) + checks.check_service_workloads(objects, environment, nats_nodes=3)


def test_the_starting_point_passes(checks: ModuleType) -> None:
    require("kubernetes_validate", "kubernetes-validate")
    objects = [deployment()] + supporting_objects()
    assert checks.check_schemas(objects, crds={}) == []
    assert workload_problems(checks, deployment()) == []


# ---------------------------------------------------------------------------------------------------
# schemas


def test_an_invalid_field_fails_the_schema_check(checks: ModuleType) -> None:
    require("kubernetes_validate", "kubernetes-validate")
    broken = deployment()
    broken["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    [problem] = checks.check_schemas([broken], crds={})
    assert problem.startswith("Deployment/orders") and "imagePullPolcy" in problem


def test_a_wrongly_typed_field_fails_the_schema_check(checks: ModuleType) -> None:
    require("kubernetes_validate", "kubernetes-validate")
    broken = deployment()
    broken["spec"]["replicas"] = "two"
    [problem] = checks.check_schemas([broken], crds={})
    assert ".spec.replicas" in problem


def test_an_unknown_kind_fails_the_schema_check(checks: ModuleType) -> None:
    require("kubernetes_validate", "kubernetes-validate")
    unknown = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "x"}, "spec": {}}
    [problem] = checks.check_schemas([unknown], crds={})
    assert "no schema for example.com/v1 Gadget" in problem


def cluster() -> dict:
    return {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": "pg"},
        "spec": {"instances": 3, "storage": {"size": "1Gi"},
                 "managed": {"roles": [{"name": "orders", "login": True, "passwordSecret": {"name": "s"}}]}},
    }


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda c: c["spec"].update(instances="three"), "'three' is not of type 'integer'"),
        (lambda c: c["spec"].update(instances=0), "less than the minimum of 1"),
        (lambda c: c["spec"].pop("instances"), "'instances' is a required property"),
        (lambda c: c["spec"].update(primaryUpdateStrategy="whenever"), "is not one of"),
        (lambda c: c["spec"]["storage"].update(sise="1Gi"), "Additional properties are not allowed ('sise'"),
        (lambda c: c["spec"]["managed"]["roles"][0].pop("name"), "'name' is a required property"),
        (lambda c: c["spec"]["managed"]["roles"][0]["passwordSecret"].pop("name"), "'name' is a required property"),
    ],
    ids=["instances-type", "instances-minimum", "instances-missing", "enum", "unknown-field", "role-name", "secret-name"],
)
def test_a_broken_cnpg_cluster_fails_its_crd_schema(checks: ModuleType, breakage, expected: str) -> None:
    require("jsonschema", "jsonschema")
    crds = checks.load_crd_validators()
    assert checks.check_schemas([cluster()], crds=crds) == []
    broken = cluster()
    breakage(broken)
    problems = checks.check_schemas([broken], crds=crds)
    assert problems and expected in problems[0], problems


def test_a_cnpg_database_without_owner_fails_its_crd_schema(checks: ModuleType) -> None:
    require("jsonschema", "jsonschema")
    database = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database", "metadata": {"name": "d"},
                "spec": {"cluster": {"name": "pg"}, "name": "orders"}}
    [problem] = checks.check_schemas([database], crds=checks.load_crd_validators())
    assert "'owner' is a required property" in problem


# ---------------------------------------------------------------------------------------------------
# Pod Security "restricted" and the workload rules


def main_container(d: dict) -> dict:
    return d["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda d: main_container(d).pop("image"), "image is missing"),
        (lambda d: main_container(d)["securityContext"].update(privileged=True), "privileged must not be true"),
        (lambda d: main_container(d)["securityContext"].update(allowPrivilegeEscalation=True), "allowPrivilegeEscalation must be false"),
        (lambda d: main_container(d)["securityContext"].update(runAsNonRoot=False), "runAsNonRoot must be true"),
        (lambda d: main_container(d)["securityContext"].update(runAsUser=0), "runAsUser must not be 0"),
        (lambda d: main_container(d)["securityContext"]["capabilities"].update(drop=["NET_RAW"]), "capabilities.drop must include ALL"),
        (lambda d: main_container(d)["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]), "capabilities.add"),
        (lambda d: main_container(d)["securityContext"].update(seccompProfile={"type": "Unconfined"}), "seccompProfile.type"),
        (lambda d: main_container(d)["securityContext"].pop("readOnlyRootFilesystem"), "readOnlyRootFilesystem must be true"),
        (lambda d: main_container(d)["resources"].pop("limits"), "resources.limits.cpu is missing"),
        (lambda d: d["spec"]["template"]["spec"].update(hostNetwork=True), "hostNetwork must not be set"),
        (lambda d: d["spec"]["template"]["spec"]["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "hostPath"),
    ],
    ids=["no-image", "privileged", "escalation", "root", "uid-0", "caps-drop", "caps-add", "seccomp", "rw-root",
         "no-limits", "host-network", "host-path"],
)
def test_a_pod_security_violation_fails(checks: ModuleType, breakage, expected: str) -> None:
    broken = deployment()
    breakage(broken)
    problems = checks.check_pod_security([broken])
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda d: d["spec"]["template"]["spec"].update(terminationGracePeriodSeconds=30), "terminationGracePeriodSeconds 30"),
        (lambda d: main_container(d)["livenessProbe"]["httpGet"].update(path="/"), "livenessProbe must be an HTTP GET of /healthz"),
        (lambda d: main_container(d).pop("readinessProbe"), "readinessProbe must be an HTTP GET of /readyz"),
        (lambda d: main_container(d).update(args=["serve", "audit"]), "must run `kokemus serve orders`"),
        (lambda d: d["spec"]["template"]["spec"].pop("initContainers"), "no init container runs `kokemus migrate orders`"),
        (lambda d: main_container(d).update(image="kokemus:latest"), "needs a fixed tag or a digest"),
        (lambda d: main_container(d).update(image="kokemus"), "needs a fixed tag or a digest"),
        (lambda d: d["spec"]["template"]["spec"]["volumes"].clear(), "/tmp must be an emptyDir volume"),
        (lambda d: d["spec"]["template"]["spec"].pop("automountServiceAccountToken"), "automountServiceAccountToken"),
        (lambda d: d["spec"]["template"]["spec"].update(serviceAccountName="default"), "needs its own ServiceAccount"),
        (lambda d: d["spec"].update(replicas=1), "at least 2 replicas"),
        (lambda d: d["spec"]["template"]["spec"].pop("topologySpreadConstraints"), "topologySpreadConstraints"),
        (lambda d: main_container(d)["env"].append({"name": "KOKEMUS_DB_PASSWORD", "value": "hunter2"}), "must come from a Secret"),
    ],
    ids=["grace", "liveness", "readiness", "args", "no-migration", "latest", "untagged", "no-tmp", "token", "default-sa",
         "one-replica", "no-spread", "literal-secret"],
)
def test_a_broken_service_deployment_fails(checks: ModuleType, breakage, expected: str) -> None:
    broken = deployment()
    breakage(broken)
    problems = workload_problems(checks, broken)
    assert any(expected in p for p in problems), problems


def test_production_without_a_disruption_budget_fails(checks: ModuleType) -> None:
    extra = [o for o in supporting_objects() if o["kind"] != "PodDisruptionBudget"]
    assert any("no PodDisruptionBudget" in p for p in workload_problems(checks, deployment(), extra))
    assert workload_problems(checks, deployment(), extra, environment="dev") == []


def test_more_stream_replicas_than_nats_servers_fails(checks: ModuleType) -> None:
    objects = [deployment()] + supporting_objects()
    problems = checks.check_service_workloads(objects, "dev", nats_nodes=1)
    assert any("KOKEMUS_STREAM_REPLICAS=3 but NATS has 1 server(s)" in p for p in problems)


def test_network_policies_must_deny_by_default_and_open_only_the_known_ports(checks: ModuleType) -> None:
    extra = [o for o in supporting_objects() if o["metadata"]["name"] != "deny"]
    problems = workload_problems(checks, deployment(), extra)
    assert any("no default-deny egress" in p for p in problems) and any("no default-deny ingress" in p for p in problems)
    extra = supporting_objects()
    extra[-1]["spec"]["egress"][0]["ports"].append({"protocol": "TCP", "port": 443})
    assert any("lets orders out on ports ['443']" in p for p in workload_problems(checks, deployment(), extra))
    extra = supporting_objects()
    extra[-1]["spec"]["egress"][0].pop("ports")  # a rule without ports opens every port
    assert any("lets orders out on ports ['any']" in p for p in workload_problems(checks, deployment(), extra))


# ---------------------------------------------------------------------------------------------------
# image, lock, checkov acceptances


GOOD_DOCKERFILE = """
FROM python:3.11-slim AS builder
RUN python -m venv /opt/kokemus
COPY deploy/requirements.lock /tmp/
RUN /opt/kokemus/bin/pip install --no-deps --require-hashes -r /tmp/requirements.lock
FROM python:3.11-slim
COPY --from=builder /opt/kokemus /opt/kokemus
USER 10001:10001
ENTRYPOINT ["kokemus"]
"""


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.replace("USER 10001:10001\n", ""), "sets no USER"),
        (lambda t: t.replace("USER 10001:10001", "USER root"), "numeric non-zero uid"),
        (lambda t: t.replace("--require-hashes ", ""), "--require-hashes"),
        (lambda t: t.replace("COPY --from", "RUN apt-get update && apt-get install -y gcc\nCOPY --from"), "installs packages"),
        (lambda t: t.split("FROM python:3.11-slim\n")[0], "multi-stage"),
        (lambda t: t.replace('["kokemus"]', '["python"]'), 'ENTRYPOINT must be ["kokemus"]'),
    ],
    ids=["no-user", "root", "no-hashes", "build-tools", "single-stage", "entrypoint"],
)
def test_a_broken_dockerfile_fails(checks: ModuleType, change, expected: str) -> None:
    assert checks.check_dockerfile(GOOD_DOCKERFILE) == []
    problems = checks.check_dockerfile(change(GOOD_DOCKERFILE))
    assert any(expected in p for p in problems), problems


def test_a_lock_that_does_not_match_pyproject_fails(checks: ModuleType) -> None:
    require("packaging", "packaging")
    pyproject = {"project": {"dependencies": ["nats-py>=2.9", "pydantic>=2.7", "uvicorn>=0.30"]}}
    lock = (
        "nats-py==2.16.0 \\\n    --hash=sha256:aa\n"
        "pydantic==2.6.0 \\\n    --hash=sha256:bb\n"
        "rich==15.0.0\n"
    )
    problems = checks.check_lock(pyproject, lock)
    assert any("rich==15.0.0 has no --hash" in p for p in problems)
    assert any("pydantic==2.6.0 does not satisfy 'pydantic>=2.7'" in p for p in problems)
    assert any("'uvicorn>=0.30' from pyproject.toml is not pinned" in p for p in problems)


def test_checkov_findings_need_an_acceptance_with_a_reason_that_still_applies(checks: ModuleType) -> None:
    finding = {"check": "CKV_K8S_43", "name": "Image should use digest", "resource": "Deployment.kokemus.orders", "file": "x"}
    accepted = {"accepted": [{"check": "CKV_K8S_43", "resources": ["Deployment.kokemus.*"], "reason": "digest set at release"}]}
    assert checks.check_checkov_findings([finding], accepted) == []
    assert "fix it, or accept it" in checks.check_checkov_findings([dict(finding, check="CKV_K8S_20")], accepted)[0]
    assert "no longer matches any finding" in checks.check_checkov_findings([], accepted)[0]
    other = dict(finding, resource="Deployment.other.orders")
    assert any("fix it, or accept it" in p for p in checks.check_checkov_findings([other], accepted))
    accepted["accepted"][0]["reason"] = " "
    assert any("has no reason" in p for p in checks.check_checkov_findings([finding], accepted))


def test_connection_pools_that_outgrow_postgresql_fail(checks: ModuleType) -> None:
    pg = cluster()
    pg["spec"]["managed"]["roles"][0]["connectionLimit"] = 20
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "orders"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "orders"},
                    "minReplicas": 2, "maxReplicas": 3}}
    objects = [deployment(), pg, hpa] + supporting_objects()  # 4 pods x pool 10 (default) + 1 = 41
    problems = checks.check_connection_budget(objects)
    assert any("= 41 connections, but role orders has connectionLimit 20" in p for p in problems), problems
    pg["spec"]["managed"]["roles"][0]["connectionLimit"] = 50
    pg["spec"]["postgresql"] = {"parameters": {"max_connections": "40"}}
    problems = checks.check_connection_budget(objects)
    assert problems == ["Cluster/pg: the services may open 41 connections at full scale, but max_connections is 40 "
                        "with 10 kept for the server itself"]
