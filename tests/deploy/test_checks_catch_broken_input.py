"""The checks of deploy/kokemus_checks fail on broken input: a check that passes everything proves nothing.

Only kokemus's own checks are here (the manifests against the service settings, the NATS servers and
PostgreSQL's limits; the lock against pyproject.toml); the NATS matrix has tests/deploy/test_nats_permissions.py.
The generic checks are established tools (deploy/ci-checks.sh), tested by their own projects.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from deploy.kokemus_checks.lock import check_lock
from deploy.kokemus_checks.manifests import check_connection_budget, check_manifests, check_service_workloads

pytestmark = pytest.mark.deploy

NATS_NODES = {"dev": 1, "production": 3}


def http_get(path: str) -> dict:
    return {"httpGet": {"path": path, "port": "http"}}


def deployment() -> dict:
    """A minimal service Deployment that passes every check (the starting point each test breaks)."""
    labels = {"app.kubernetes.io/name": "orders", "app.kubernetes.io/part-of": "kokemus",
              "app.kubernetes.io/component": "service"}
    env_from = [{"configMapRef": {"name": "settings"}}]
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
                    "terminationGracePeriodSeconds": 50,
                    "initContainers": [{
                        "name": "migrate", "image": "kokemus:1.0", "args": ["migrate", "orders"],
                        "envFrom": copy.deepcopy(env_from), "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                    }],
                    "containers": [{
                        "name": "orders", "image": "kokemus:1.0", "args": ["serve", "orders"],
                        "ports": [{"name": "http", "containerPort": 8080}],
                        "envFrom": copy.deepcopy(env_from),
                        "env": [{"name": "KOKEMUS_NATS_PASSWORD",
                                 "valueFrom": {"secretKeyRef": {"name": "s", "key": "password"}}},
                                {"name": "KOKEMUS_KEY_ENCRYPTION_KEYS",
                                 "valueFrom": {"secretKeyRef": {"name": "ring", "key": "keys"}}}],
                        "livenessProbe": http_get("/healthz"), "readinessProbe": http_get("/readyz"),
                        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                    }],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }


def settings(**changes: str) -> dict:
    """The ConfigMap the Deployment reads its settings from."""
    data = {
        "KOKEMUS_ENVIRONMENT": "production", "KOKEMUS_SHUTDOWN_GRACE_SECONDS": "20", "KOKEMUS_HTTP_PORT": "8080",
        "KOKEMUS_STREAM_REPLICAS": "3", "OTEL_SERVICE_NAME": "orders", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
        "KOKEMUS_NATS_URL": "nats://nats:4222", "KOKEMUS_DB_HOST": "pg-rw", "KOKEMUS_DB_NAME": "orders",
        "KOKEMUS_IDENTITY_JWKS": '{"keys": []}',
    }
    data.update(changes)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
            "data": {key: value for key, value in data.items() if value is not None}}


def workload_problems(broken: dict, config_map: dict | None = None) -> list[str]:
    return check_service_workloads([broken, config_map or settings()], NATS_NODES)


def main_container(d: dict) -> dict:
    return d["spec"]["template"]["spec"]["containers"][0]


def test_the_starting_point_passes() -> None:
    assert workload_problems(deployment()) == []
    assert check_service_workloads([deployment(), settings(KOKEMUS_ENVIRONMENT="dev", KOKEMUS_STREAM_REPLICAS="1")],
                                   NATS_NODES) == []


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda d: d["spec"]["template"]["spec"].update(terminationGracePeriodSeconds=30),
         "terminationGracePeriodSeconds 30"),
        (lambda d: main_container(d)["livenessProbe"]["httpGet"].update(path="/"),
         "livenessProbe must be an HTTP GET of /healthz"),
        (lambda d: main_container(d).pop("readinessProbe"), "readinessProbe must be an HTTP GET of /readyz"),
        (lambda d: main_container(d)["ports"][0].update(containerPort=9090),
         "livenessProbe must be an HTTP GET of /healthz on port 8080"),
        (lambda d: main_container(d)["readinessProbe"]["httpGet"].update(port=9090),
         "readinessProbe must be an HTTP GET of /readyz on port 8080"),
        (lambda d: main_container(d).update(args=["serve", "audit"]), "must run `kokemus serve orders`"),
        (lambda d: d["spec"]["template"]["spec"].pop("initContainers"),
         "no init container runs `kokemus migrate orders`"),
        (lambda d: d["spec"]["template"]["spec"]["volumes"].clear(), "/tmp must be an emptyDir volume"),
        (lambda d: main_container(d)["env"].append({"name": "KOKEMUS_DB_PASSWORD", "value": "hunter2"}),
         "must come from a Secret"),
        (lambda d: main_container(d)["env"].append({"name": "OTEL_SERVICE_NAME", "value": "audit"}),
         "OTEL_SERVICE_NAME is 'audit'"),
        (lambda d: d["spec"]["template"]["spec"]["initContainers"][0].setdefault("env", []).append(
            {"name": "KOKEMUS_HTTP_PORT", "value": "eighty"}), "init container migrate would refuse its settings"),
        (lambda d: main_container(d).update(env=[e for e in main_container(d)["env"]
                                                 if e["name"] != "KOKEMUS_KEY_ENCRYPTION_KEYS"]),
         "KOKEMUS_KEY_ENCRYPTION_KEYS is not set"),
    ],
    ids=["grace", "liveness", "readiness", "port-moved", "probe-port", "args", "no-migration", "no-tmp",
         "literal-secret", "otel-name", "migration-settings", "no-key-ring"],
)
def test_a_broken_service_deployment_fails(breakage: Callable[[dict], object], expected: str) -> None:
    broken = deployment()
    breakage(broken)
    problems = workload_problems(broken)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # the probes look at 8080, but the service would listen elsewhere
        ({"KOKEMUS_HTTP_PORT": "9090"}, "livenessProbe must be an HTTP GET of /healthz on port 9090"),
        # a longer shutdown needs a longer grace period: 2 x 30 + 5 > 50
        ({"KOKEMUS_SHUTDOWN_GRACE_SECONDS": "30"}, "KOKEMUS_SHUTDOWN_GRACE_SECONDS=30 + 5 s"),
        # the settings' default (20 s) applies where the ConfigMap says nothing
        ({"KOKEMUS_SHUTDOWN_GRACE_SECONDS": None, "KOKEMUS_HTTP_PORT": None}, None),
        ({"KOKEMUS_DB_POOL_SIZE": "500"}, "the service would refuse its settings"),
        ({"KOKEMUS_DB_NAME": None}, "KOKEMUS_DB_HOST is set but KOKEMUS_DB_NAME is not"),
        ({"KOKEMUS_NATS_URL": None}, "KOKEMUS_NATS_URL is not set"),
        ({"KOKEMUS_STREAM_REPLICAS": "1"}, "KOKEMUS_STREAM_REPLICAS must be 3 in production"),
        ({"KOKEMUS_ENVIRONMENT": "staging"}, "KOKEMUS_ENVIRONMENT='staging' has no NATS values"),
    ],
    ids=["http-port", "shutdown-grace", "defaults", "refused", "db-name", "nats-url", "production-replicas",
         "environment"],
)
def test_settings_the_deployment_does_not_fit_fail(changes: dict, expected: str | None) -> None:
    problems = workload_problems(deployment(), settings(**changes))
    if expected is None:
        assert problems == []
    else:
        assert any(expected in p for p in problems), problems


def test_more_stream_replicas_than_nats_servers_fails() -> None:
    problems = workload_problems(deployment(), settings(KOKEMUS_ENVIRONMENT="dev"))
    assert any("KOKEMUS_STREAM_REPLICAS=3 but NATS has 1 server(s) in dev" in p for p in problems), problems


def test_a_service_without_a_deployment_fails() -> None:
    problems = check_service_workloads([deployment(), settings()], NATS_NODES, ["orders", "payments"])
    assert problems == ["Deployment/payments: missing (a service without a Deployment)"]


def cluster() -> dict:
    return {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": "pg"},
        "spec": {"instances": 3, "storage": {"size": "1Gi"},
                 "managed": {"roles": [{"name": "orders", "login": True, "passwordSecret": {"name": "s"}}]}},
    }


def test_connection_pools_that_outgrow_postgresql_fail() -> None:
    pg = cluster()
    pg["spec"]["managed"]["roles"][0]["connectionLimit"] = 20
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "orders"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "orders"},
                    "minReplicas": 2, "maxReplicas": 3}}
    objects = [deployment(), pg, hpa, settings()]  # 4 pods x pool 10 (the settings' default), + 1 migration = 41
    problems = check_connection_budget(objects)
    assert any("= 40 connections, but role orders has connectionLimit 20" in p for p in problems), problems
    pg["spec"]["managed"]["roles"][0]["connectionLimit"] = 50
    pg["spec"]["postgresql"] = {"parameters": {"max_connections": "40"}}
    problems = check_connection_budget(objects)
    expected = ("Cluster/pg: the services may open 41 connections at full scale, but max_connections is 40 "
                "with 10 kept for the server itself")
    assert problems == [expected]
    objects[-1] = settings(KOKEMUS_DB_POOL_SIZE="3")  # 4 x 3 + 1 = 13
    assert check_connection_budget(objects) == []


def test_a_lock_that_does_not_match_pyproject_fails() -> None:
    pyproject = {"project": {"dependencies": ["nats-py>=2.9", "pydantic>=2.7", "uvicorn>=0.30"]}}
    lock = (
        "nats-py==2.16.0 \\\n    --hash=sha256:aa\n"
        "pydantic==2.6.0 \\\n    --hash=sha256:bb\n"
        "rich==15.0.0\n"
    )
    problems = check_lock(pyproject, lock)
    assert any("rich==15.0.0 has no --hash" in p for p in problems)
    assert any("pydantic==2.6.0 does not satisfy 'pydantic>=2.7'" in p for p in problems)
    assert any("'uvicorn>=0.30' from pyproject.toml is not pinned" in p for p in problems)


def named(objects: list[dict], kind: str, name: str) -> dict:
    [found] = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def env_entry(container: dict, name: str) -> dict:
    [found] = [variable for variable in container["env"] if variable["name"] == name]
    return found


def config_of(objects: list[dict], workload: str) -> dict:
    [found] = [o for o in objects
               if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith(f"{workload}-config")]
    return found["data"]


def pod_of(objects: list[dict], workload: str) -> dict:
    return named(objects, "Deployment", workload)["spec"]["template"]["spec"]


def drop_volume(objects: list[dict], workload: str, volume: str) -> None:
    pod = pod_of(objects, workload)
    pod["volumes"] = [v for v in pod["volumes"] if v["name"] != volume]


def oidc(objects: list[dict]) -> dict:
    return named(objects, "ConfigMap", next(o["metadata"]["name"] for o in objects
                                            if o["metadata"]["name"].startswith("kokemus-oidc")))["data"]


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        # every service checks tokens with the identity service's public keys, the identity service signs them
        (lambda o: drop_volume(o, "orders", "identity-jwks"),
         "Deployment/orders: KOKEMUS_IDENTITY_JWKS=/etc/kokemus/identity-jwks/jwks.json is in no mounted"),
        (lambda o: config_of(o, "identity").pop("KOKEMUS_IDENTITY_SIGNING_KEY"),
         "Deployment/identity: KOKEMUS_IDENTITY_SIGNING_KEY is not set"),
        (lambda o: config_of(o, "identity").update(KOKEMUS_IDENTITY_SIGNING_KEY='{"kty": "OKP", "d": "x"}'),
         "Deployment/identity: KOKEMUS_IDENTITY_SIGNING_KEY must come from a Secret"),
        (lambda o: drop_volume(o, "audit", "audit-signing-key"),
         "Deployment/audit: KOKEMUS_AUDIT_SIGNING_KEY=/etc/kokemus/audit-signing-key/signing-key.jwk is in no "
         "mounted secret"),
        (lambda o: drop_volume(o, "identity", "identity-systems"),
         "Deployment/identity: KOKEMUS_IDENTITY_SYSTEMS=/etc/kokemus/identity-systems/systems.json is in no mounted "
         "secret"),
        # the owner migrates, the runtime role serves
        (lambda o: config_of(o, "identity").update(KOKEMUS_DB_RUNTIME_ROLE="kokemus_identity_owner"),
         "Deployment/identity: KOKEMUS_DB_RUNTIME_ROLE is kokemus_identity_owner, the database's owner"),
        (lambda o: config_of(o, "identity").pop("KOKEMUS_DB_RUNTIME_ROLE"),
         "Deployment/identity: the migration gives no KOKEMUS_DB_RUNTIME_ROLE"),
        (lambda o: env_entry(pod_of(o, "identity")["initContainers"][0], "KOKEMUS_DB_PASSWORD")["valueFrom"]
         ["secretKeyRef"].update(name="kokemus-pg-identity"),
         "Deployment/identity migrate: the migration must log in as kokemus_identity_owner with the Secret"),
        (lambda o: named(o, "Database", "kokemus-pg-identity")["spec"].update(name="people"),
         "Deployment/identity: no Database identity"),
        # the web
        (lambda o: o.remove(named(o, "Deployment", "web")), "Deployment/web: missing"),
        (lambda o: env_entry(pod_of(o, "web")["containers"][0], "KOKEMUS_WEB_COOKIE_KEY").update(
            value="a-key-in-the-manifest", valueFrom=None),
         "Deployment/web: KOKEMUS_WEB_COOKIE_KEY must come from a Secret"),
        (lambda o: config_of(o, "web").update(KOKEMUS_WEB_PORT="9000"),
         "Deployment/web: livenessProbe must be an HTTP GET of /healthz on port 9000 (KOKEMUS_WEB_PORT)"),
        (lambda o: pod_of(o, "web").update(terminationGracePeriodSeconds=15),
         "Deployment/web: terminationGracePeriodSeconds 15 is less than the preStop pause (5 s)"),
        (lambda o: config_of(o, "web").update(KOKEMUS_WEB_HOST="127.0.0.1"),
         "Deployment/web: KOKEMUS_WEB_HOST=127.0.0.1 is unreachable"),
        (lambda o: config_of(o, "web").update(KOKEMUS_WEB_PUBLIC_URL="http://localhost:8000"),
         "Deployment/web: KOKEMUS_WEB_PUBLIC_URL must be https:// in production"),
        (lambda o: config_of(o, "web").update(KOKEMUS_WEB_PUBLIC_URL="http://kokemus.example.fi"),
         "the web would refuse its settings"),
        (lambda o: config_of(o, "web").update(KOKEMUS_WEB_PUBLIC_URL="https://kokemus.hyvinvointialue.fi"),
         "Ingress/web: routes kokemus.example.fi to the web, but KOKEMUS_WEB_PUBLIC_URL is "
         "https://kokemus.hyvinvointialue.fi"),
        (lambda o: oidc(o).update(KOKEMUS_OIDC_PEOPLE_CLIENT_IDS="kokemus-cli"),
         "the identity service does not accept ID tokens for the web's client kokemus-web "
         "(KOKEMUS_OIDC_PEOPLE_CLIENT_IDS)"),
        (lambda o: pod_of(o, "web")["containers"][0]["env"].append(
            {"name": "KOKEMUS_OIDC_STAFF_ISSUER", "value": "https://elsewhere.example.fi"}),
         "the staff provider is https://elsewhere.example.fi, but the identity service trusts"),
    ],
    ids=["jwks-unmounted", "no-signing-key", "inline-signing-key", "audit-key-unmounted", "systems-unmounted",
         "runtime-is-owner",
         "no-runtime-role", "migration-as-runtime", "no-database", "no-web", "literal-cookie-key", "web-port",
         "web-grace", "web-loopback", "web-http-production", "web-http-public", "ingress-host", "client-not-accepted",
         "issuers-differ"],
)
def test_the_real_production_target_broken_fails(rendered: dict, breakage: Callable[[list[dict]], object],
                                                 expected: str) -> None:
    objects = copy.deepcopy(rendered["production"])  # which passes (test_manifests.py)
    breakage(objects)
    for workload in (o for o in objects if o["kind"] == "Deployment"):
        for container in workload["spec"]["template"]["spec"]["containers"]:  # valueFrom=None: the entry has none
            container["env"] = [{k: v for k, v in entry.items() if v is not None} for entry in container.get("env", [])]
    problems = check_manifests({"production": objects})
    assert any(expected in p for p in problems), problems
