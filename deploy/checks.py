#!/usr/bin/env python3
"""Checks of everything in deploy/, without a cluster.

`deploy/ci-checks.sh` runs them (`python deploy/checks.py all`), and tests/deploy imports this file by path
to run the same functions on good and on deliberately broken input. Every check function takes data and
returns a list of problems, one string each; an empty list means the check passed.

    python deploy/checks.py render [--out DIR]   render every kustomize target (kubectl kustomize)
    python deploy/checks.py schemas              Kubernetes schemas (kubernetes-validate, strict) and CRDs
    python deploy/checks.py policy               Pod Security "restricted" and the kokemus workload rules
    python deploy/checks.py nats                 the NATS values and the permission matrix agree
    python deploy/checks.py nats-auth [--write]  print (or write) deploy/nats/values-auth.yaml
    python deploy/checks.py lock                 deploy/requirements.lock pins what pyproject.toml asks for
    python deploy/checks.py dockerfile           deploy/Dockerfile builds the way deploy/README.md says
    python deploy/checks.py yamllint             yamllint with deploy/.yamllint.yaml
    python deploy/checks.py shellcheck           shellcheck on deploy/*.sh
    python deploy/checks.py checkov              checkov on the rendered manifests and the Dockerfile
    python deploy/checks.py image                the Dockerfile's build steps without Docker (needs the index)
    python deploy/checks.py all [--no-checkov]   all of the above but image
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

DEPLOY = Path(__file__).resolve().parent
REPO = DEPLOY.parent
KUSTOMIZE = DEPLOY / "kustomize"
CRD_DIR = DEPLOY / "crds"
NATS_DIR = DEPLOY / "nats"
PERMISSIONS = NATS_DIR / "permissions.yaml"
NATS_VALUES = NATS_DIR / "values.yaml"
NATS_DEV_VALUES = NATS_DIR / "values-dev.yaml"
NATS_AUTH_VALUES = NATS_DIR / "values-auth.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
REQUIREMENTS_LOCK = DEPLOY / "requirements.lock"
BUILD_LOCK = DEPLOY / "build-requirements.lock"
CHECKOV_ACCEPTED = DEPLOY / "checkov-accepted.yaml"
YAMLLINT_CONFIG = DEPLOY / ".yamllint.yaml"
SERVICES_DIR = REPO / "services"

# The oldest Kubernetes minor the manifests must be valid for (kubernetes-validate ships schemas from 1.25
# to 1.37); override with KOKEMUS_K8S_VERSION to try another.
K8S_VERSION = os.environ.get("KOKEMUS_K8S_VERSION", "1.33.0")

HEALTH_PORT = 8080
TMP_MOUNT = "/tmp"
# On SIGTERM a service waits up to KOKEMUS_SHUTDOWN_GRACE_SECONDS for in-flight messages and then up to as
# long again for its outbox relay (shared/runtime/service.py, ServiceRuntime.stop); the pod's
# terminationGracePeriodSeconds must cover both waits and this margin to close connections and exit.
GRACE_WAITS = 2
GRACE_MARGIN_SECONDS = 5
# Egress a service pod may have, by port: DNS, NATS, PostgreSQL, OTLP gRPC and HTTP.
ALLOWED_SERVICE_EGRESS_PORTS = {53, 4222, 5432, 4317, 4318}
ALLOWED_SERVICE_INGRESS_PORTS = {HEALTH_PORT}
# Pod Security "restricted": the volume types it allows.
RESTRICTED_VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
}


@dataclass(frozen=True)
class Target:
    """One thing `kubectl kustomize` renders: an overlay, optionally with extra components."""

    name: str
    overlay: str
    environment: str
    components: tuple[str, ...] = ()


TARGETS = (
    Target("dev", "overlays/dev", "dev"),
    Target("production", "overlays/production", "production"),
    Target("production-servicemonitor", "overlays/production", "production", ("components/servicemonitor",)),
)


# --------------------------------------------------------------------------------------------------------
# Rendering


def _tool(name: str) -> str:
    """A console script: the running interpreter's own (the pinned pip-installed tools), else from PATH."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found: install it (see the pip line in deploy/README.md, 'CI checks')")
    return found


def kustomize(directory: Path) -> str:
    result = subprocess.run(
        [_tool("kubectl"), "kustomize", str(directory)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RenderError(f"kubectl kustomize {directory} failed:\n{result.stderr.strip()}")
    return result.stdout


class RenderError(Exception):
    pass


def render(target: Target) -> str:
    """Render a target to YAML text; components are added through a throwaway kustomization."""
    overlay = KUSTOMIZE / target.overlay
    if not target.components:
        return kustomize(overlay)
    with tempfile.TemporaryDirectory(prefix="kokemus-kustomize-") as tmp:
        # kustomize takes only relative paths to other kustomizations
        relative = lambda path: os.path.relpath(path, tmp)  # noqa: E731
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [relative(overlay)],
            "components": [relative(KUSTOMIZE / component) for component in target.components],
        }
        Path(tmp, "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
        return kustomize(Path(tmp))


def load_objects(text: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def render_all(out: Path | None = None) -> dict[str, list[dict]]:
    rendered = {}
    for target in TARGETS:
        text = render(target)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{target.name}.yaml").write_text(text)
        rendered[target.name] = load_objects(text)
    return rendered


def ident(obj: Mapping) -> str:
    return f"{obj.get('kind', '?')}/{(obj.get('metadata') or {}).get('name', '?')}"


# --------------------------------------------------------------------------------------------------------
# Schemas: built-in kinds through kubernetes-validate, custom resources through the CRDs in deploy/crds


def _jsonschema_from_openapi(node: Any, strict: bool = True) -> Any:
    """A CRD's structural OpenAPI v3 schema as JSON Schema, rejecting fields it does not declare."""
    if isinstance(node, list):
        return [_jsonschema_from_openapi(item, strict) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {name: _jsonschema_from_openapi(sub, strict) for name, sub in value.items()}
        elif key.startswith("x-kubernetes-") or key in ("description", "default", "example", "externalDocs"):
            continue
        elif key == "nullable":
            continue
        else:
            out[key] = _jsonschema_from_openapi(value, strict)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if (
        strict
        and out.get("type") == "object"
        and "properties" in out
        and "additionalProperties" not in out
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def load_crd_validators(directory: Path = CRD_DIR) -> dict[tuple[str, str], Any]:
    """(apiVersion, kind) -> a jsonschema validator, for every CRD version in the folder."""
    import jsonschema

    validators = {}
    for path in sorted(directory.glob("*.yaml")):
        for crd in load_objects(path.read_text()):
            if crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                schema = _jsonschema_from_openapi(version["schema"]["openAPIV3Schema"])
                jsonschema.Draft202012Validator.check_schema(schema)
                key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                validators[key] = jsonschema.Draft202012Validator(schema)
    return validators


def _path(error: Any) -> str:
    return "." + ".".join(str(part) for part in error.absolute_path) if error.absolute_path else "(root)"


def check_schemas(
    objects: Iterable[dict], k8s_version: str = K8S_VERSION, crds: Mapping[tuple[str, str], Any] | None = None
) -> list[str]:
    """Every object valid for its kind: strict Kubernetes schemas, or the CRD schema of a custom resource."""
    import kubernetes_validate

    crds = load_crd_validators() if crds is None else crds
    problems = []
    for obj in objects:
        key = (obj.get("apiVersion", ""), obj.get("kind", ""))
        if not key[0] or not key[1]:
            problems.append(f"{ident(obj)}: apiVersion and kind are required")
            continue
        if not (obj.get("metadata") or {}).get("name"):
            problems.append(f"{ident(obj)}: metadata.name is required")
        if key in crds:
            for error in sorted(crds[key].iter_errors(obj), key=lambda e: list(e.absolute_path)):
                problems.append(f"{ident(obj)} ({key[0]}): {_path(error)}: {error.message}")
            continue
        try:
            kubernetes_validate.validate(obj, k8s_version, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{ident(obj)} (Kubernetes {error.version}): {_path(error)}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(
                f"{ident(obj)}: no schema for {key[0]} {key[1]} in Kubernetes {k8s_version} "
                f"nor among the CRDs in {CRD_DIR.relative_to(REPO)}"
            )
    return problems


# --------------------------------------------------------------------------------------------------------
# Workload policy: Pod Security "restricted", and the rules every kokemus service follows


def pod_spec(obj: Mapping) -> dict | None:
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return (spec.get("template") or {}).get("spec") or {}
    if kind == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    return None


def _containers(spec: Mapping) -> Iterator[tuple[str, dict]]:
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(group) or []:
            yield group, container


def check_pod_security(objects: Iterable[dict]) -> list[str]:
    """Pod Security Standard "restricted", plus a read-only root filesystem, an image and resource limits."""
    problems = []
    for obj in objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        where = ident(obj)
        pod = spec.get("securityContext") or {}
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(flag):
                problems.append(f"{where}: {flag} must not be set")
        for volume in spec.get("volumes") or []:
            kinds = set(volume) - {"name"}
            if not kinds <= RESTRICTED_VOLUME_TYPES:
                problems.append(f"{where}: volume {volume.get('name')} of type {sorted(kinds)} is not allowed")
        if not spec.get("containers"):
            problems.append(f"{where}: no containers")
        for group, container in _containers(spec):
            at = f"{where} {group[:-1]} {container.get('name', '?')}"
            sc = container.get("securityContext") or {}
            if not container.get("image"):
                problems.append(f"{at}: image is missing")
            if sc.get("runAsNonRoot", pod.get("runAsNonRoot")) is not True:
                problems.append(f"{at}: runAsNonRoot must be true (container or pod securityContext)")
            if sc.get("runAsUser", pod.get("runAsUser")) == 0:
                problems.append(f"{at}: runAsUser must not be 0")
            if sc.get("privileged"):
                problems.append(f"{at}: privileged must not be true")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{at}: allowPrivilegeEscalation must be false")
            capabilities = sc.get("capabilities") or {}
            if "ALL" not in (capabilities.get("drop") or []):
                problems.append(f"{at}: capabilities.drop must include ALL")
            if set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
                problems.append(f"{at}: capabilities.add may only hold NET_BIND_SERVICE")
            seccomp = (sc.get("seccompProfile") or pod.get("seccompProfile") or {}).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost"):
                problems.append(f"{at}: seccompProfile.type must be RuntimeDefault or Localhost")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{at}: readOnlyRootFilesystem must be true")
            for port in container.get("ports") or []:
                if port.get("hostPort"):
                    problems.append(f"{at}: hostPort must not be used")
            resources = container.get("resources") or {}
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in (resources.get(section) or {}):
                        problems.append(f"{at}: resources.{section}.{resource} is missing")
    return problems


def is_service_deployment(obj: Mapping) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return (
        obj.get("kind") == "Deployment"
        and labels.get("app.kubernetes.io/part-of") == "kokemus"
        and labels.get("app.kubernetes.io/component") == "service"
    )


def container_env(container: Mapping, objects: Iterable[dict]) -> dict[str, str]:
    """The literal environment of a container: envFrom ConfigMaps first, then env values (as Kubernetes)."""
    config_maps = {
        (obj.get("metadata") or {}).get("name"): obj.get("data") or {}
        for obj in objects
        if obj.get("kind") == "ConfigMap"
    }
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef")
        if ref and ref.get("name") in config_maps:
            prefix = source.get("prefix", "")
            env.update({prefix + key: str(value) for key, value in config_maps[ref["name"]].items()})
    for variable in container.get("env") or []:
        if "value" in variable:
            env[variable["name"]] = str(variable["value"])
        elif "valueFrom" in variable:
            env[variable["name"]] = "<valueFrom>"
    return env


def _selects(selector: Mapping | None, labels: Mapping) -> bool:
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _probe_target(probe: Mapping | None, container: Mapping) -> tuple[str | None, int | None]:
    http = (probe or {}).get("httpGet") or {}
    port = http.get("port")
    if isinstance(port, str):
        named = {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}
        port = named.get(port)
    return http.get("path"), port


def _policy_ports(rules: Iterable[Mapping]) -> set[Any]:
    return {port.get("port") for rule in rules for port in rule.get("ports") or [{"port": "any"}]}


def check_service_workloads(
    objects: list[dict], environment: str, nats_nodes: int | None = None, services: Iterable[str] | None = None
) -> list[str]:
    """The rules each kokemus service Deployment follows, in one rendered target of `environment`."""
    problems = []
    deployments = [obj for obj in objects if is_service_deployment(obj)]
    if services is not None:
        names = {(d.get("metadata") or {}).get("name") for d in deployments}
        for missing in sorted(set(services) - names):
            problems.append(f"Deployment/{missing}: missing (a service without a Deployment)")
    hpas = {
        ((o.get("spec") or {}).get("scaleTargetRef") or {}).get("name"): o
        for o in objects
        if o.get("kind") == "HorizontalPodAutoscaler"
    }
    pdbs = [o for o in objects if o.get("kind") == "PodDisruptionBudget"]
    policies = [o for o in objects if o.get("kind") == "NetworkPolicy"]
    service_accounts = {(o.get("metadata") or {}).get("name"): o for o in objects if o.get("kind") == "ServiceAccount"}

    for deployment in deployments:
        name = deployment["metadata"]["name"]
        where = f"Deployment/{name}"
        spec = deployment.get("spec") or {}
        template = spec.get("template") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        pod = template.get("spec") or {}
        containers = pod.get("containers") or []
        main = next((c for c in containers if c.get("name") == name), containers[0] if containers else {})

        if main.get("args") != ["serve", name]:
            problems.append(f"{where}: container {main.get('name')} must run `kokemus serve {name}` (args)")
        migrations = [c for c in pod.get("initContainers") or [] if c.get("args") == ["migrate", name]]
        if not migrations:
            problems.append(f"{where}: no init container runs `kokemus migrate {name}` before the service starts")
        for _, container in _containers(pod):
            image = container.get("image") or ""
            if image and "@sha256:" not in image and (":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")):
                problems.append(f"{where} {container.get('name')}: image {image!r} needs a fixed tag or a digest")
            mounts = {m.get("mountPath"): m.get("name") for m in container.get("volumeMounts") or []}
            volumes = {v.get("name"): v for v in pod.get("volumes") or []}
            if "emptyDir" not in volumes.get(mounts.get(TMP_MOUNT), {}):
                problems.append(f"{where} {container.get('name')}: {TMP_MOUNT} must be an emptyDir volume")

        for probe_name, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            if _probe_target(main.get(probe_name), main) != (path, HEALTH_PORT):
                problems.append(f"{where}: {probe_name} must be an HTTP GET of {path} on port {HEALTH_PORT}")

        if pod.get("automountServiceAccountToken") is not False:
            problems.append(f"{where}: automountServiceAccountToken must be false")
        account = pod.get("serviceAccountName")
        if not account or account == "default" or account not in service_accounts:
            problems.append(f"{where}: needs its own ServiceAccount (serviceAccountName), not the default one")

        env = container_env(main, objects)
        grace_setting = env.get("KOKEMUS_SHUTDOWN_GRACE_SECONDS")
        termination = pod.get("terminationGracePeriodSeconds", 30)
        try:
            grace = float(grace_setting) if grace_setting is not None else None
        except ValueError:
            grace = None
        if grace is None:
            problems.append(f"{where}: KOKEMUS_SHUTDOWN_GRACE_SECONDS is not set to a number")
        elif termination < GRACE_WAITS * grace + GRACE_MARGIN_SECONDS:
            problems.append(
                f"{where}: terminationGracePeriodSeconds {termination} is less than {GRACE_WAITS} x "
                f"KOKEMUS_SHUTDOWN_GRACE_SECONDS={grace_setting} + {GRACE_MARGIN_SECONDS} s: the pod would be "
                "killed while it drains in-flight messages or flushes its relay"
            )
        if env.get("KOKEMUS_HTTP_PORT") != str(HEALTH_PORT):
            problems.append(f"{where}: KOKEMUS_HTTP_PORT must be {HEALTH_PORT}, where the probes look")
        for variable in ("OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT", "KOKEMUS_NATS_URL", "KOKEMUS_DB_HOST"):
            if not env.get(variable):
                problems.append(f"{where}: {variable} is not set")
        if env.get("OTEL_SERVICE_NAME") not in (None, name):
            problems.append(f"{where}: OTEL_SERVICE_NAME is {env.get('OTEL_SERVICE_NAME')!r}, not {name!r}")
        for variable in ("KOKEMUS_NATS_PASSWORD", "KOKEMUS_DB_PASSWORD"):
            if env.get(variable) not in (None, "<valueFrom>"):
                problems.append(f"{where}: {variable} must come from a Secret, not a literal")
        try:
            stream_replicas = int(env.get("KOKEMUS_STREAM_REPLICAS", "1"))
        except ValueError:
            stream_replicas = 0
            problems.append(f"{where}: KOKEMUS_STREAM_REPLICAS is not a number")
        if nats_nodes is not None and stream_replicas > nats_nodes:
            problems.append(
                f"{where}: KOKEMUS_STREAM_REPLICAS={stream_replicas} but NATS has {nats_nodes} server(s) in {environment}"
            )
        if environment == "production" and stream_replicas != 3:
            problems.append(f"{where}: KOKEMUS_STREAM_REPLICAS must be 3 in production (three-node NATS)")

        if not any(
            _selects(p.get("spec", {}).get("podSelector"), labels)
            and "Egress" in (p["spec"].get("policyTypes") or [])
            and not p["spec"].get("egress")
            for p in policies
        ):
            problems.append(f"{where}: no default-deny egress NetworkPolicy selects its pods")
        if not any(
            _selects(p.get("spec", {}).get("podSelector"), labels)
            and "Ingress" in (p["spec"].get("policyTypes") or [])
            and not p["spec"].get("ingress")
            for p in policies
        ):
            problems.append(f"{where}: no default-deny ingress NetworkPolicy selects its pods")
        for policy in policies:
            policy_spec = policy.get("spec") or {}
            if not _selects(policy_spec.get("podSelector"), labels):
                continue
            extra = _policy_ports(policy_spec.get("egress") or []) - ALLOWED_SERVICE_EGRESS_PORTS
            if extra:
                problems.append(f"{ident(policy)}: lets {name} out on ports {sorted(map(str, extra))}")
            extra = _policy_ports(policy_spec.get("ingress") or []) - ALLOWED_SERVICE_INGRESS_PORTS
            if extra:
                problems.append(f"{ident(policy)}: lets traffic into {name} on ports {sorted(map(str, extra))}")

        if environment == "production":
            hpa = hpas.get(name)
            minimum = (hpa.get("spec") or {}).get("minReplicas", 1) if hpa else spec.get("replicas", 1)
            if minimum < 2:
                problems.append(f"{where}: production needs at least 2 replicas (replicas or HPA minReplicas)")
            if hpa and "replicas" in spec:
                problems.append(f"{where}: an HPA scales it, so the Deployment must not set replicas")
            if not any(_selects((p.get("spec") or {}).get("selector"), labels) for p in pdbs):
                problems.append(f"{where}: no PodDisruptionBudget covers its pods")
            if not pod.get("topologySpreadConstraints"):
                problems.append(f"{where}: production needs topologySpreadConstraints")
    return problems


# Connections PostgreSQL keeps for itself beyond the services' (superuser_reserved_connections, the
# operator, replication, a person with psql).
RESERVED_CONNECTIONS = 10
DEFAULT_POOL_SIZE = 10  # shared/settings.py, db_pool_size
DEFAULT_MAX_CONNECTIONS = 100  # PostgreSQL's default


def check_connection_budget(objects: list[dict]) -> list[str]:
    """At full scale (HPA maximum plus a rolling-update surge pod), every service's connection pools fit
    its role's connectionLimit, and all of them fit PostgreSQL's max_connections."""
    clusters = [o for o in objects if o.get("kind") == "Cluster" and o.get("apiVersion", "").startswith("postgresql.cnpg.io/")]
    if not clusters:
        return []
    problems = []
    cluster = clusters[0]
    parameters = ((cluster.get("spec") or {}).get("postgresql") or {}).get("parameters") or {}
    max_connections = int(parameters.get("max_connections", DEFAULT_MAX_CONNECTIONS))
    roles = {role["name"]: role for role in ((cluster["spec"].get("managed") or {}).get("roles") or [])}
    hpas = {
        ((o.get("spec") or {}).get("scaleTargetRef") or {}).get("name"): o.get("spec") or {}
        for o in objects
        if o.get("kind") == "HorizontalPodAutoscaler"
    }
    total = 0
    for deployment in (o for o in objects if is_service_deployment(o)):
        name = deployment["metadata"]["name"]
        spec = deployment.get("spec") or {}
        pods = hpas[name].get("maxReplicas", 1) if name in hpas else spec.get("replicas", 1)
        surge = ((spec.get("strategy") or {}).get("rollingUpdate") or {}).get("maxSurge", 1)
        pods += surge if isinstance(surge, int) else 1
        containers = (spec.get("template") or {}).get("spec", {}).get("containers") or [{}]
        env = container_env(containers[0], objects)
        pool = int(env.get("KOKEMUS_DB_POOL_SIZE", DEFAULT_POOL_SIZE))
        needed = pods * pool + 1  # + one migration connection
        total += needed
        user = env.get("KOKEMUS_DB_NAME", name)
        limit = (roles.get(user) or {}).get("connectionLimit", -1)
        if limit != -1 and needed > limit:
            problems.append(
                f"Deployment/{name}: up to {pods} pods x KOKEMUS_DB_POOL_SIZE={pool} (+1) = {needed} connections, "
                f"but role {user} has connectionLimit {limit}"
            )
    if total > max_connections - RESERVED_CONNECTIONS:
        problems.append(
            f"{ident(cluster)}: the services may open {total} connections at full scale, but max_connections is "
            f"{max_connections} with {RESERVED_CONNECTIONS} kept for the server itself"
        )
    return problems


def check_policy(rendered: Mapping[str, list[dict]], services: Iterable[str] | None = None) -> list[str]:
    problems = []
    nodes = nats_nodes()
    for target in TARGETS:
        objects = rendered[target.name]
        for problem in check_pod_security(objects) + check_connection_budget(objects) + check_service_workloads(
            objects, target.environment, nodes.get(target.environment), services
        ):
            problems.append(f"[{target.name}] {problem}")
    return problems


# --------------------------------------------------------------------------------------------------------
# NATS: the permission matrix, its expansion into NATS users, and its drift from the services' AsyncAPI


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def stream_name(service: str) -> str:
    return f"KOKEMUS_{service.upper()}"


def durable_name(consumer: str, source: str) -> str:
    return f"{consumer}-from-{source}"


def password_variable(user: str) -> str:
    return "NATS_PASSWORD_" + re.sub(r"[^A-Za-z0-9]", "_", user).upper()


def secret_name(user: str) -> str:
    return f"kokemus-nats-{user}"


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def principal_permissions(matrix: Mapping) -> dict[str, dict]:
    """Every NATS user of the KOKEMUS account, with the publish/subscribe allow lists the matrix gives it."""
    prefix = matrix.get("subject_prefix", "kokemus")
    services = matrix.get("services") or {}
    users: dict[str, dict] = {}

    def calls(entry: Mapping) -> list[str]:
        subjects = []
        for target in entry.get("requests") or []:
            subjects += [f"{prefix}.{target}.cmd.>", f"{prefix}.{target}.query.>"]
        for target in entry.get("queries") or []:
            subjects.append(f"{prefix}.{target}.query.>")
        return subjects

    def consuming(user: str, entry: Mapping) -> list[str]:
        subjects = []
        for source in entry.get("consumes") or []:
            stream, durable = stream_name(source), durable_name(user, source)
            subjects += [
                f"$JS.API.STREAM.INFO.{stream}",
                f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
                f"$JS.API.CONSUMER.CREATE.{stream}.{durable}",
                f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.>",
                f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
                f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
                f"$JS.ACK.{stream}.{durable}.>",
            ]
        return subjects

    def inbox(user: str) -> str:
        return str(matrix.get("inbox", "_INBOX")).format(user=user) + ".>"

    for service, entry in services.items():
        entry = entry or {}
        stream = stream_name(service)
        publish = [
            f"{prefix}.{service}.events.>",
            "$JS.API.INFO",
            f"$JS.API.STREAM.CREATE.{stream}",
            f"$JS.API.STREAM.UPDATE.{stream}",
            f"$JS.API.STREAM.INFO.{stream}",
        ]
        publish += consuming(service, entry) + calls(entry) + list(entry.get("publish") or [])
        subscribe = [f"{prefix}.{service}.cmd.>", f"{prefix}.{service}.query.>", inbox(service)]
        subscribe += list(entry.get("subscribe") or [])
        users[service] = {
            "publish": {"allow": _unique(publish)},
            "subscribe": {"allow": _unique(subscribe)},
            # answer a request it received, once, without a publish grant on the inboxes
            "allow_responses": True,
        }
    for client, entry in (matrix.get("clients") or {}).items():
        entry = entry or {}
        publish = consuming(client, entry) + calls(entry) + list(entry.get("publish") or [])
        if entry.get("consumes"):
            publish.insert(0, "$JS.API.INFO")
        users[client] = {
            "publish": {"allow": _unique(publish)},
            "subscribe": {"allow": _unique([inbox(client)] + list(entry.get("subscribe") or []))},
        }
    return users


def nats_auth_values(matrix: Mapping) -> dict:
    """The part of the NATS Helm values that the matrix decides: accounts, users, password variables."""
    account = matrix.get("account", "KOKEMUS")
    users = []
    env = {}
    for user, permissions in principal_permissions(matrix).items():
        variable = password_variable(user)
        users.append({"user": user, "password": f"<< ${variable} >>", "permissions": permissions})
        env[variable] = {"valueFrom": {"secretKeyRef": {"name": secret_name(user), "key": "password"}}}
    system_users = []
    for user in matrix.get("system_users") or []:
        variable = password_variable(user)
        system_users.append({"user": user, "password": f"<< ${variable} >>"})
        env[variable] = {"valueFrom": {"secretKeyRef": {"name": secret_name(user), "key": "password"}}}
    return {
        "config": {
            "merge": {
                "accounts": {
                    account: {"jetstream": "enabled", "users": users},
                    "SYS": {"users": system_users},
                },
                "system_account": "SYS",
            }
        },
        "container": {"env": env},
    }


class _IndentedDumper(yaml.SafeDumper):
    """Indents sequences under their key, as yamllint (and a human) expects."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:  # noqa: ARG002
        super().increase_indent(flow, False)


def render_nats_auth_values(matrix: Mapping) -> str:
    header = (
        "# GENERATED from deploy/nats/permissions.yaml by `python deploy/checks.py nats-auth --write`: do not edit.\n"
        "# The NATS accounts and users (one per service and client, each with its least-privilege permissions),\n"
        "# and where each user's password comes from: the Secret kokemus-nats-<user>, key `password`.\n"
        "# Install with: helm upgrade --install nats nats/nats -f deploy/nats/values.yaml -f deploy/nats/values-auth.yaml\n"
    )
    body = yaml.dump(nats_auth_values(matrix), Dumper=_IndentedDumper, sort_keys=False, width=120)
    return header + body


def nats_config_text(values: Mapping) -> str:
    """`config.merge` as the NATS chart writes it into nats.conf: JSON, with "<< x >>" unquoted to x."""
    text = json.dumps(values["config"]["merge"], indent=2)
    return re.sub(r'"<<\s+(.*?)\s+>>"', r"\1", text)


def _deep_merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _deep_merge(base.get(key), value) if key in base else value
        return merged
    return override


def nats_values(environment: str) -> dict:
    values = _deep_merge(load_yaml(NATS_VALUES), load_yaml(NATS_AUTH_VALUES))
    if environment == "dev":
        values = _deep_merge(values, load_yaml(NATS_DEV_VALUES))
    return values


def nats_nodes() -> dict[str, int]:
    """Number of NATS servers per environment, as the Helm values deploy them."""
    nodes = {}
    for environment in ("dev", "production"):
        cluster = (nats_values(environment).get("config") or {}).get("cluster") or {}
        nodes[environment] = int(cluster.get("replicas", 1)) if cluster.get("enabled") else 1
    return nodes


TOO_BROAD = {">", "*", "$JS.>", "$JS.API.>", "$JS.ACK.>", "_INBOX.>"}


def check_matrix(matrix: Mapping) -> list[str]:
    """The matrix itself: known names, valid user names, nothing that grants everything."""
    problems = []
    services = set(matrix.get("services") or {})
    clients = set(matrix.get("clients") or {})
    if services & clients:
        problems.append(f"names used both as service and client: {sorted(services & clients)}")
    for kind, entries in (("services", matrix.get("services") or {}), ("clients", matrix.get("clients") or {})):
        for name, entry in entries.items():
            entry = entry or {}
            if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", name):
                problems.append(f"{kind}.{name}: a NATS user name is lower-case letters, digits and -")
            unknown = set(entry) - {"consumes", "requests", "queries", "publish", "subscribe", "description"}
            if unknown:
                problems.append(f"{kind}.{name}: unknown fields {sorted(unknown)}")
            for field_name in ("consumes", "requests", "queries"):
                for target in entry.get(field_name) or []:
                    if target not in services and not (field_name != "consumes" and target == "*"):
                        problems.append(f"{kind}.{name}.{field_name}: {target!r} is not a service")
            for field_name in ("publish", "subscribe"):
                for subject in entry.get(field_name) or []:
                    if subject in TOO_BROAD or subject.startswith(f"{matrix.get('subject_prefix', 'kokemus')}.>"):
                        problems.append(f"{kind}.{name}.{field_name}: {subject!r} grants far too much")
    return problems


def check_nats(matrix: Mapping | None = None) -> list[str]:
    """The permission matrix is sound, values-auth.yaml is generated from it, the server setup is HA."""
    matrix = load_yaml(PERMISSIONS) if matrix is None else matrix
    problems = check_matrix(matrix)
    if not NATS_AUTH_VALUES.exists() or NATS_AUTH_VALUES.read_text() != render_nats_auth_values(matrix):
        problems.append(
            f"{NATS_AUTH_VALUES.relative_to(REPO)} is not what {PERMISSIONS.relative_to(REPO)} gives: "
            "run `python deploy/checks.py nats-auth --write`"
        )
        return problems
    for environment in ("production", "dev"):
        values = nats_values(environment)
        config = values.get("config") or {}
        merge = config.get("merge") or {}
        jetstream = config.get("jetstream") or {}
        if not jetstream.get("enabled") or not (jetstream.get("fileStore") or {}).get("enabled", True):
            problems.append(f"[{environment}] JetStream must be enabled with file storage")
        if (jetstream.get("memoryStore") or {}).get("enabled"):
            problems.append(f"[{environment}] the JetStream memory store must stay off (events must survive restarts)")
        for key in ("no_auth_user", "authorization"):
            if key in merge:
                problems.append(f"[{environment}] config.merge.{key} must not be set: every client authenticates")
        for account in (merge.get("accounts") or {}).values():
            for user in account.get("users") or []:
                if not re.fullmatch(r"<< \$NATS_PASSWORD_[A-Z0-9_]+ >>", str(user.get("password"))):
                    problems.append(f"[{environment}] user {user.get('user')}: password must come from a Secret")
    production = nats_values("production").get("config") or {}
    cluster = production.get("cluster") or {}
    if not cluster.get("enabled") or int(cluster.get("replicas", 0)) != 3:
        problems.append("[production] NATS must be a cluster of three servers (config.cluster)")
    return problems


def subject_covers(pattern: str, subject: str) -> bool:
    """Whether every subject that `subject` matches is matched by `pattern` (both may hold * and >)."""
    pattern_tokens, subject_tokens = pattern.split("."), subject.split(".")
    for index, token in enumerate(pattern_tokens):
        if token == ">":
            return len(subject_tokens) > index
        if index >= len(subject_tokens):
            return False
        if token == "*":
            if subject_tokens[index] == ">":
                return False
            continue
        if token != subject_tokens[index]:
            return False
    return len(pattern_tokens) == len(subject_tokens)


@dataclass
class Usage:
    """The subjects one service sends to and receives from, as its AsyncAPI document declares them."""

    service: str
    sends: set[str] = field(default_factory=set)
    receives: set[str] = field(default_factory=set)


def _resolve(document: Mapping, ref: str) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported, got {ref!r}")
    node: Any = document
    for part in ref[2:].split("/"):
        part = unquote(part).replace("~1", "/").replace("~0", "~")
        node = node[part]
    return node


def _subject(address: str) -> str:
    # AsyncAPI channel parameters ({name}) stand for one token each
    return re.sub(r"\{[^}]*\}", "*", address)


def asyncapi_usage(service: str, document: Mapping) -> Usage:
    """Read an AsyncAPI 3 document (as FastStream writes it): each operation's action and its channel's address."""
    version = str(document.get("asyncapi", ""))
    if not version.startswith("3."):
        raise ValueError(f"{service}: expected an AsyncAPI 3.x document, got asyncapi={version!r}")
    usage = Usage(service)
    channels = document.get("channels") or {}
    for name, operation in (document.get("operations") or {}).items():
        ref = (operation.get("channel") or {}).get("$ref")
        if not ref:
            raise ValueError(f"{service}: operation {name!r} has no channel reference")
        channel = _resolve(document, ref)
        key = unquote(ref.rsplit("/", 1)[-1])
        address = channel.get("address") or ((channel.get("bindings") or {}).get("nats") or {}).get("subject")
        if not address:
            address = key.split(":", 1)[0] if key in channels else key
        action = operation.get("action")
        if action == "send":
            usage.sends.add(_subject(address))
        elif action == "receive":
            usage.receives.add(_subject(address))
        else:
            raise ValueError(f"{service}: operation {name!r} has action {action!r}, expected send or receive")
    return usage


def _namespace(prefix: str, subject: str) -> tuple[str | None, str | None]:
    """kokemus.<service>.<kind>.… -> (service, kind); (None, None) outside the kokemus namespace."""
    tokens = subject.split(".")
    if len(tokens) >= 3 and tokens[0] == prefix and tokens[1] not in ("*", ">"):
        return tokens[1], tokens[2]
    return None, None


def permission_drift(matrix: Mapping, usages: Mapping[str, Usage]) -> list[str]:
    """Where the matrix and the subjects the services use disagree, both ways.

    Missing grants: a subject a service sends to or receives from that its NATS user may not use.
    Unused grants: a `consumes` or `requests`/`queries` entry that no operation of the service needs.
    Only services whose AsyncAPI document is given are compared.
    """
    prefix = matrix.get("subject_prefix", "kokemus")
    entries = matrix.get("services") or {}
    permissions = principal_permissions(matrix)
    problems = []
    for service, usage in sorted(usages.items()):
        if service not in entries:
            problems.append(f"{service}: has an AsyncAPI document but no entry in permissions.yaml services")
            continue
        entry = entries[service] or {}
        allowed_publish = permissions[service]["publish"]["allow"]
        allowed_subscribe = permissions[service]["subscribe"]["allow"]
        used_consumes: set[str] = set()
        used_calls: set[str] = set()
        for subject in sorted(usage.sends):
            owner, kind = _namespace(prefix, subject)
            if owner == service and kind == "events":
                continue
            if owner not in (None, service) and kind in ("cmd", "query"):
                used_calls.add(owner)
                granted = (
                    owner in (entry.get("requests") or [])
                    or "*" in (entry.get("requests") or [])
                    or (kind == "query" and owner in (entry.get("queries") or []))
                )
                if not granted:
                    field_name = "requests" if kind == "cmd" else "requests (or queries)"
                    problems.append(
                        f"{service}: sends to {subject} but may not call {owner}: "
                        f"add {owner} to services.{service}.{field_name}"
                    )
                continue
            if not any(subject_covers(pattern, subject) for pattern in allowed_publish):
                problems.append(f"{service}: sends to {subject}, which its NATS user may not publish to")
        for subject in sorted(usage.receives):
            owner, kind = _namespace(prefix, subject)
            if owner == service and kind in ("cmd", "query"):
                continue
            if owner is not None and kind == "events":
                used_consumes.add(owner)
                if owner not in (entry.get("consumes") or []):
                    problems.append(
                        f"{service}: receives {subject} (stream {stream_name(owner)}) but does not consume "
                        f"{owner}: add {owner} to services.{service}.consumes"
                    )
                continue
            if not any(subject_covers(pattern, subject) for pattern in allowed_subscribe):
                problems.append(f"{service}: receives {subject}, which its NATS user may not subscribe to")
        for source in entry.get("consumes") or []:
            if source not in used_consumes:
                problems.append(
                    f"{service}: permissions.yaml lets it consume {source}, but no operation receives "
                    f"{prefix}.{source}.events.…: remove the grant"
                )
        for target in (entry.get("requests") or []) + (entry.get("queries") or []):
            if target != "*" and target not in used_calls:
                problems.append(
                    f"{service}: permissions.yaml lets it call {target}, but no operation sends to "
                    f"{prefix}.{target}.cmd/query: remove the grant"
                )
    return problems


def service_folders(services_dir: Path = SERVICES_DIR) -> list[str]:
    """The services in the code: each folder of services/ that is a package."""
    if not services_dir.is_dir():
        return []
    return sorted(
        path.name
        for path in services_dir.iterdir()
        if path.is_dir() and path.name != "__pycache__" and (path / "__init__.py").exists()
    )


# --------------------------------------------------------------------------------------------------------
# Image: the lock file and the Dockerfile


def _requirement_name(text: str) -> str:
    return re.split(r"[\[<>=!~;\s]", text.strip(), maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


def parse_lock(text: str) -> dict[str, tuple[str, int]]:
    """name -> (pinned version, number of hashes) from a pip-compile --generate-hashes file."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s\\;]+)", line)
        if match:
            current = _requirement_name(match.group(1))
            pins[current] = (match.group(3), 0)
        if current and "--hash=sha256:" in line:
            version, count = pins[current]
            pins[current] = (version, count + line.count("--hash=sha256:"))
    return pins


def check_lock(pyproject: Mapping, lock_text: str, build_lock_text: str | None = None) -> list[str]:
    """Every runtime (and build) requirement of pyproject.toml is pinned, with hashes, to a version it allows."""
    from packaging.requirements import Requirement
    from packaging.version import Version

    problems = []
    for label, requirements, text in (
        ("requirements.lock", (pyproject.get("project") or {}).get("dependencies") or [], lock_text),
        ("build-requirements.lock", (pyproject.get("build-system") or {}).get("requires") or [], build_lock_text),
    ):
        if text is None:
            continue
        pins = parse_lock(text)
        for name, (version, hashes) in pins.items():
            if hashes == 0:
                problems.append(f"{label}: {name}=={version} has no --hash (pip --require-hashes would refuse it)")
        for requirement_text in requirements:
            requirement = Requirement(requirement_text)
            if requirement.marker is not None and not requirement.marker.evaluate({"python_version": "3.11"}):
                continue
            name = _requirement_name(requirement.name)
            if name not in pins:
                problems.append(f"{label}: {requirement_text!r} from pyproject.toml is not pinned: run deploy/lock.sh")
            elif not requirement.specifier.contains(Version(pins[name][0]), prereleases=True):
                problems.append(
                    f"{label}: {name}=={pins[name][0]} does not satisfy {requirement_text!r}: run deploy/lock.sh"
                )
    return problems


def dockerfile_stages(text: str) -> list[list[tuple[str, str]]]:
    """The Dockerfile as stages of (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    logical, buffer = [], ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not buffer and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        logical.append(buffer + line)
        buffer = ""
    stages: list[list[tuple[str, str]]] = []
    for line in logical:
        instruction, _, arguments = line.strip().partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instruction, arguments.strip()))
    return stages


def check_dockerfile(text: str) -> list[str]:
    """Multi-stage, dependencies only from the hash-checked lock, a numeric non-root user at run time."""
    problems = []
    stages = dockerfile_stages(text)
    if len(stages) < 2:
        return ["Dockerfile: expected a builder stage and a runtime stage (multi-stage build)"]
    runs = " ".join(arguments for stage in stages for instruction, arguments in stage if instruction == "RUN")
    if "--require-hashes" not in runs or "requirements.lock" not in text:
        problems.append("Dockerfile: dependencies must be installed from deploy/requirements.lock with --require-hashes")
    runtime = stages[-1]
    users = [arguments for instruction, arguments in runtime if instruction == "USER"]
    if not users:
        problems.append("Dockerfile: the runtime stage sets no USER (it would run as root)")
    else:
        user = users[-1].split(":")[0]
        if not user.isdigit() or int(user) == 0:
            problems.append(f"Dockerfile: USER {users[-1]} must be a numeric non-zero uid (runAsNonRoot can check it)")
    for instruction, arguments in runtime:
        if instruction == "RUN" and re.search(r"\b(apt-get|apt|apk|yum|dnf)\b.*\binstall\b", arguments):
            problems.append(f"Dockerfile: the runtime stage installs packages ({arguments[:60]}…): build tools stay in the builder")
        if instruction == "RUN" and re.search(r"\bpip\b.*\binstall\b", arguments):
            problems.append("Dockerfile: the runtime stage runs pip install: install in the builder and copy the venv")
    entrypoints = [arguments for instruction, arguments in runtime if instruction == "ENTRYPOINT"]
    if not entrypoints or json.loads(entrypoints[-1])[0] != "kokemus":
        problems.append('Dockerfile: ENTRYPOINT must be ["kokemus"] (the manifests pass `serve <service>` as args)')
    return problems


def image_smoke(workdir: Path) -> list[str]:
    """The Dockerfile's build steps without Docker: venvs filled from the locks with --require-hashes and
    --no-deps, the kokemus wheel built offline with the locked build backend, then `kokemus --help`.
    Needs the package index (it downloads what the locks pin), so it is not part of `all`."""
    if sys.version_info[:2] != (3, 11):
        return [f"image: run with Python 3.11, the image's Python (this is {sys.version.split()[0]})"]
    runtime, build, source, wheels = (workdir / name for name in ("kokemus", "build", "src", "wheels"))

    def run(*command: str | Path, cwd: Path | None = None) -> str | None:
        result = subprocess.run([str(part) for part in command], capture_output=True, text=True, check=False, cwd=cwd)
        if result.returncode == 0:
            return None
        return f"image: `{' '.join(str(part) for part in command[:4])} …` failed:\n{(result.stdout + result.stderr)[-2000:]}"

    for problem in (
        run(sys.executable, "-m", "venv", runtime),
        run(sys.executable, "-m", "venv", build),
        run(runtime / "bin/pip", "install", "--quiet", "--no-deps", "--require-hashes", "-r", REQUIREMENTS_LOCK),
        run(build / "bin/pip", "install", "--quiet", "--no-deps", "--require-hashes", "-r", BUILD_LOCK),
    ):
        if problem:
            return [problem]
    source.mkdir()
    shutil.copy(REPO / "pyproject.toml", source)
    for package in ("shared", "services"):
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    problem = run(build / "bin/pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", wheels, ".", cwd=source)
    if problem:
        return [problem]
    built = sorted(wheels.glob("kokemus-*.whl"))
    if not built:
        return ["image: pip wheel built no kokemus wheel"]
    for problem in (
        run(runtime / "bin/pip", "install", "--quiet", "--no-deps", *built),
        run(runtime / "bin/pip", "check"),
        run(runtime / "bin/kokemus", "--help", cwd=workdir),
    ):
        if problem:
            return [problem]
    return []


# --------------------------------------------------------------------------------------------------------
# Linters


def run_yamllint() -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "yamllint", "--strict", "-c", str(YAMLLINT_CONFIG), str(DEPLOY)],
        capture_output=True, text=True, check=False, cwd=REPO,
    )
    if result.returncode != 0:
        return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()] or ["yamllint failed"]
    return []


def run_shellcheck() -> list[str]:
    scripts = sorted(str(path.relative_to(REPO)) for path in DEPLOY.glob("*.sh"))
    result = subprocess.run([_tool("shellcheck"), *scripts], capture_output=True, text=True, check=False, cwd=REPO)
    if result.returncode != 0:
        return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()] or ["shellcheck failed"]
    return []


def _checkov_command() -> list[str]:
    # checkov pins an old `packaging`, so it usually lives in a virtualenv of its own: CHECKOV names it
    return [os.environ["CHECKOV"]] if os.environ.get("CHECKOV") else [_tool("checkov")]


def checkov_findings(rendered_dir: Path) -> list[dict]:
    """Failed checkov checks on the rendered manifests and the Dockerfile: [{check, resource, file}]."""
    findings = []
    for framework, arguments in (
        ("kubernetes", ["-d", str(rendered_dir)]),
        ("dockerfile", ["-f", str(DOCKERFILE.relative_to(REPO))]),
    ):
        result = subprocess.run(
            _checkov_command() + arguments + [
                "--framework", framework, "--skip-download", "--output", "json", "--compact", "--quiet",
            ],
            capture_output=True, text=True, check=False, cwd=REPO,
            env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
        )
        if result.returncode not in (0, 1):
            raise RuntimeError(f"checkov failed ({result.returncode}):\n{result.stderr[-3000:]}")
        reports = json.loads(result.stdout or "[]")
        if isinstance(reports, dict):
            reports = [reports]
        for report in reports:
            for failed in (report.get("results") or {}).get("failed_checks") or []:
                findings.append({
                    "check": failed["check_id"],
                    "name": failed.get("check_name", ""),
                    "resource": failed.get("resource", ""),
                    "file": Path(failed.get("file_path", "")).name,
                })
    return findings


def check_checkov_findings(findings: Iterable[Mapping], accepted: Mapping) -> list[str]:
    """Every finding must be accepted with a reason; every acceptance must still match a finding."""
    problems = []
    entries = accepted.get("accepted") or []
    used = [False] * len(entries)
    for number, entry in enumerate(entries):
        if not str(entry.get("reason", "")).strip():
            problems.append(f"checkov-accepted.yaml: {entry.get('check')} has no reason")
    for finding in findings:
        matched = False
        for number, entry in enumerate(entries):
            if entry.get("check") != finding["check"]:
                continue
            patterns = entry.get("resources") or ["*"]
            if any(fnmatch.fnmatchcase(finding["resource"], pattern) for pattern in patterns):
                used[number] = matched = True
        if not matched:
            problems.append(
                f"checkov {finding['check']} ({finding['name']}) on {finding['resource']} in {finding['file']}: "
                "fix it, or accept it with a reason in deploy/checkov-accepted.yaml"
            )
    for number, entry in enumerate(entries):
        if not used[number]:
            problems.append(f"checkov-accepted.yaml: {entry.get('check')} no longer matches any finding: remove it")
    return problems


# --------------------------------------------------------------------------------------------------------
# Command line


def _report(name: str, problems: list[str], started: float) -> bool:
    status = "ok" if not problems else f"{len(problems)} problem(s)"
    print(f"== {name}: {status} ({time.monotonic() - started:.1f} s)")
    for problem in problems:
        print(f"   {problem}")
    return not problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "command",
        choices=[
            "render", "schemas", "policy", "nats", "nats-auth", "lock", "dockerfile", "yamllint", "shellcheck",
            "checkov", "image", "all",
        ],
    )
    parser.add_argument("--out", type=Path, help="render: where to write <target>.yaml (default: a temporary folder)")
    parser.add_argument("--write", action="store_true", help="nats-auth: write deploy/nats/values-auth.yaml")
    parser.add_argument("--no-checkov", action="store_true", help="all: skip checkov (the slow one)")
    args = parser.parse_args(argv)

    if args.command == "image":
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="kokemus-image-") as tmp:
            return 0 if _report("image (lock install with hashes, wheel build, kokemus --help)", image_smoke(Path(tmp)), started) else 1

    if args.command == "nats-auth":
        text = render_nats_auth_values(load_yaml(PERMISSIONS))
        if args.write:
            NATS_AUTH_VALUES.write_text(text)
            print(f"wrote {NATS_AUTH_VALUES.relative_to(REPO)}")
        else:
            print(text, end="")
        return 0

    ok = True
    with tempfile.TemporaryDirectory(prefix="kokemus-rendered-") as tmp:
        out = args.out or Path(tmp)
        rendered: dict[str, list[dict]] = {}
        needs_render = args.command in ("render", "schemas", "policy", "checkov", "all")
        if needs_render:
            started = time.monotonic()
            try:
                rendered = render_all(out)
                ok &= _report(f"render {', '.join(t.name for t in TARGETS)} -> {out}", [], started)
            except RenderError as error:
                _report("render", [str(error)], started)
                return 1
        steps = {
            "schemas": lambda: [
                f"[{name}] {problem}" for name, objects in rendered.items() for problem in check_schemas(objects)
            ] + [f"[crds] {problem}" for path in sorted(CRD_DIR.glob("*.yaml")) for problem in check_schemas(load_objects(path.read_text()))],
            "policy": lambda: check_policy(rendered, service_folders() or None),
            "nats": lambda: check_nats(),
            "lock": lambda: check_lock(
                tomllib.loads((REPO / "pyproject.toml").read_text()),
                REQUIREMENTS_LOCK.read_text(),
                BUILD_LOCK.read_text() if BUILD_LOCK.exists() else None,
            ),
            "dockerfile": lambda: check_dockerfile(DOCKERFILE.read_text()),
            "yamllint": run_yamllint,
            "shellcheck": run_shellcheck,
            "checkov": lambda: check_checkov_findings(checkov_findings(out), load_yaml(CHECKOV_ACCEPTED)),
        }
        if args.command == "all":
            selected = [name for name in steps if not (name == "checkov" and args.no_checkov)]
        elif args.command == "render":
            selected = []
        else:
            selected = [args.command]
        for name in selected:
            started = time.monotonic()
            label = f"{name} (Kubernetes {K8S_VERSION}, strict)" if name == "schemas" else name
            ok &= _report(label, steps[name](), started)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
