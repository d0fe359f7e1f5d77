"""The `manifests` check: the rendered targets (`kubectl kustomize` output) against the code: the service
settings (shared/settings.py), the NATS servers of the environment, PostgreSQL's connection limits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from .common import service_folders
from .nats_servers import nats_nodes

if TYPE_CHECKING:
    from shared.settings import Settings

# On SIGTERM ServiceRuntime.stop (shared/runtime/service.py) lets in-flight messages finish and the outbox
# relay flush within KOKEMUS_SHUTDOWN_GRACE_SECONDS, then drains NATS and closes the pool, which take time
# of their own; terminationGracePeriodSeconds must cover two grace budgets and a margin to exit.
GRACE_WAITS, GRACE_MARGIN_SECONDS = 2, 5
PROBES = {"livenessProbe": "/healthz", "readinessProbe": "/readyz"}  # shared/runtime/health.py
REQUIRED_VARIABLES = ("OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT", "KOKEMUS_NATS_URL", "KOKEMUS_DB_HOST")
SECRET_VARIABLES = ("KOKEMUS_NATS_PASSWORD", "KOKEMUS_DB_PASSWORD")
VALUE_FROM = "<valueFrom>"  # container_env: the value of a variable set by valueFrom, not a literal
PRODUCTION_STREAM_REPLICAS = 3
TMP_MOUNT = "/tmp"  # the image's HOME and WORKDIR, the one place it writes to (deploy/Dockerfile)
# Connections PostgreSQL keeps for itself (superuser_reserved_connections, the operator, replication, psql).
RESERVED_CONNECTIONS = 10
DEFAULT_MAX_CONNECTIONS = 100  # PostgreSQL's default


@cache
def _container_settings() -> type[Settings]:
    from shared.settings import Settings  # imported only here: the other checks run without the project

    class ContainerSettings(Settings):
        @classmethod
        def settings_customise_sources(cls, settings_cls: Any, init_settings: Any, **_: Any) -> tuple[Any, ...]:
            return (init_settings,)  # the container's environment only, not this process's

    return ContainerSettings


def service_settings(env: Mapping[str, str]) -> Settings:
    """The settings a service starts with in a container's environment (shared/settings.py's defaults where
    it sets nothing); raises pydantic's ValidationError (a ValueError) where the service would refuse them."""
    settings = _container_settings()
    names = {f"KOKEMUS_{name.upper()}": name for name in settings.model_fields}
    return settings(**{names[key]: value for key, value in env.items() if key in names and value != VALUE_FROM})


def is_service_deployment(obj: Mapping) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return obj.get("kind") == "Deployment" and labels.get("app.kubernetes.io/part-of") == "kokemus" \
        and labels.get("app.kubernetes.io/component") == "service"


def container_env(container: Mapping, objects: Iterable[dict]) -> dict[str, str]:
    """The literal environment of a container: envFrom ConfigMaps first, then env values (as Kubernetes);
    VALUE_FROM for a variable set by valueFrom (a Secret, say)."""
    config_maps = {o["metadata"]["name"]: o.get("data") or {} for o in objects if o.get("kind") == "ConfigMap"}
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        name = (source.get("configMapRef") or {}).get("name")
        env.update({source.get("prefix", "") + k: str(v) for k, v in config_maps.get(name, {}).items()})
    for variable in container.get("env") or []:
        env[variable["name"]] = str(variable["value"]) if "value" in variable else VALUE_FROM
    return env


def pod_spec(deployment: Mapping) -> dict:
    return ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}


def main_container(deployment: Mapping) -> dict:
    """The container named like the Deployment (the first one where none is)."""
    containers = pod_spec(deployment).get("containers") or [{}]
    return next((c for c in containers if c.get("name") == deployment["metadata"]["name"]), containers[0])


def _probe_target(probe: Mapping | None, container: Mapping) -> tuple[str | None, int | None]:
    """(path, port number) of an HTTP GET probe, a named port resolved through the container's ports."""
    http = (probe or {}).get("httpGet") or {}
    ports = {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}
    return http.get("path"), ports.get(http.get("port"), http.get("port"))


def _commands_and_volumes(where: str, name: str, pod: Mapping, main: Mapping) -> list[str]:
    """It serves the service after migrating it, with an emptyDir on /tmp in every container."""
    problems = []
    if main.get("args") != ["serve", name]:
        problems.append(f"{where}: container {main.get('name')} must run `kokemus serve {name}` (args)")
    if not any(c.get("args") == ["migrate", name] for c in pod.get("initContainers") or []):
        problems.append(f"{where}: no init container runs `kokemus migrate {name}` before the service starts")
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    for container in (pod.get("initContainers") or []) + (pod.get("containers") or []):
        mounts = {m.get("mountPath"): m.get("name") for m in container.get("volumeMounts") or []}
        if "emptyDir" not in volumes.get(mounts.get(TMP_MOUNT), {}):
            problems.append(f"{where} {container.get('name')}: {TMP_MOUNT} must be an emptyDir volume")
    return problems


def _environment(where: str, name: str, env: Mapping[str, str]) -> list[str]:
    """The variables the service needs are set, its telemetry name is its own, its passwords are secret."""
    problems = [f"{where}: {variable} is not set" for variable in REQUIRED_VARIABLES if not env.get(variable)]
    if env.get("OTEL_SERVICE_NAME") not in (None, name):
        problems.append(f"{where}: OTEL_SERVICE_NAME is {env.get('OTEL_SERVICE_NAME')!r}, not {name!r}")
    problems += [f"{where}: {variable} must come from a Secret, not a literal"
                 for variable in SECRET_VARIABLES if env.get(variable) not in (None, VALUE_FROM)]
    return problems


def _fits_settings(where: str, pod: Mapping, main: Mapping, env: Mapping[str, str], settings: Settings,
                   nats_nodes: Mapping[str, int]) -> list[str]:
    """Probes on the health port, a grace period longer than the shutdown, stream replicas the NATS of the
    environment can hold."""
    problems = []
    for probe, path in PROBES.items():
        if _probe_target(main.get(probe), main) != (path, settings.http_port):
            problems.append(f"{where}: {probe} must be an HTTP GET of {path} on port {settings.http_port} "
                            "(KOKEMUS_HTTP_PORT)")
    termination = pod.get("terminationGracePeriodSeconds", 30)
    if termination < GRACE_WAITS * settings.shutdown_grace_seconds + GRACE_MARGIN_SECONDS:
        problems.append(
            f"{where}: terminationGracePeriodSeconds {termination} is less than {GRACE_WAITS} x "
            f"KOKEMUS_SHUTDOWN_GRACE_SECONDS={settings.shutdown_grace_seconds:g} + {GRACE_MARGIN_SECONDS} s: "
            "the pod would be killed while it drains in-flight messages or flushes its relay"
        )
    environment, replicas = env.get("KOKEMUS_ENVIRONMENT"), settings.stream_replicas
    if environment not in nats_nodes:
        problems.append(f"{where}: KOKEMUS_ENVIRONMENT={environment!r} has no NATS values ({sorted(nats_nodes)})")
    elif replicas > nats_nodes[environment]:
        problems.append(f"{where}: KOKEMUS_STREAM_REPLICAS={replicas} but NATS has {nats_nodes[environment]} "
                        f"server(s) in {environment}")
    if environment == "production" and replicas != PRODUCTION_STREAM_REPLICAS:
        problems.append(f"{where}: KOKEMUS_STREAM_REPLICAS must be {PRODUCTION_STREAM_REPLICAS} in production "
                        "(three-node NATS)")
    return problems


def check_service_workloads(
    objects: list[dict], nats_nodes: Mapping[str, int], services: Iterable[str] | None = None
) -> list[str]:
    """Each service Deployment runs the service the way the code expects: its commands, probes on its health
    port, a grace period longer than its shutdown, settings it accepts, and as many stream replicas as the
    NATS of its environment (KOKEMUS_ENVIRONMENT) can hold. Every one of `services` has a Deployment."""
    deployments = [obj for obj in objects if is_service_deployment(obj)]
    missing = set(services or ()) - {d["metadata"]["name"] for d in deployments}
    problems = [f"Deployment/{name}: missing (a service without a Deployment)" for name in sorted(missing)]
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        where, pod, main = f"Deployment/{name}", pod_spec(deployment), main_container(deployment)
        problems += _commands_and_volumes(where, name, pod, main)
        env = container_env(main, objects)
        problems += _environment(where, name, env)
        try:
            settings = service_settings(env)
        except ValueError as error:
            problems.append(f"{where}: the service would refuse its settings: {error}")
            continue
        problems += _fits_settings(where, pod, main, env, settings, nats_nodes)
    return problems


def check_connection_budget(objects: list[dict]) -> list[str]:
    """At full scale (HPA maximum plus a rolling-update surge pod), every service's pools and its migration
    fit its role's connectionLimit, and all of them fit PostgreSQL's max_connections."""
    clusters = [o for o in objects if o.get("kind") == "Cluster" and o["apiVersion"].startswith("postgresql.cnpg.io/")]
    if not clusters:
        return []
    spec = clusters[0]["spec"]
    parameters = (spec.get("postgresql") or {}).get("parameters") or {}
    max_connections = int(parameters.get("max_connections", DEFAULT_MAX_CONNECTIONS))
    roles = {role["name"]: role for role in (spec.get("managed") or {}).get("roles") or []}
    hpas = {o["spec"]["scaleTargetRef"]["name"]: o["spec"] for o in objects
            if o.get("kind") == "HorizontalPodAutoscaler"}
    problems, total = [], 0
    for deployment in (o for o in objects if is_service_deployment(o)):
        name, deployment_spec = deployment["metadata"]["name"], deployment.get("spec") or {}
        pods = hpas[name].get("maxReplicas", 1) if name in hpas else deployment_spec.get("replicas", 1)
        surge = ((deployment_spec.get("strategy") or {}).get("rollingUpdate") or {}).get("maxSurge", 1)
        pods += surge if isinstance(surge, int) else 1
        env = container_env(main_container(deployment), objects)
        try:
            pool = service_settings(env).db_pool_size
        except ValueError:
            continue  # check_service_workloads names the setting the service would refuse
        needed = pods * pool + 1  # + the init container's migration
        total += needed
        role = env.get("KOKEMUS_DB_NAME", name)
        limit = (roles.get(role) or {}).get("connectionLimit", -1)
        if limit != -1 and needed > limit:
            problems.append(f"Deployment/{name}: up to {pods} pods x KOKEMUS_DB_POOL_SIZE={pool} (+1) = {needed} "
                            f"connections, but role {role} has connectionLimit {limit}")
    if total > max_connections - RESERVED_CONNECTIONS:
        problems.append(f"Cluster/{clusters[0]['metadata']['name']}: the services may open {total} connections at "
                        f"full scale, but max_connections is {max_connections} with {RESERVED_CONNECTIONS} kept for "
                        "the server itself")
    return problems


def check_manifests(rendered: Mapping[str, list[dict]]) -> list[str]:
    """Every rendered target (name -> objects) against the settings, the NATS servers and PostgreSQL."""
    nodes, services = nats_nodes(), service_folders()
    return [f"[{target}] {problem}" for target, objects in rendered.items()
            for problem in check_service_workloads(objects, nodes, services) + check_connection_budget(objects)]
