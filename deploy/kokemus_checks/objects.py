"""Reading rendered Kubernetes objects: a Deployment's pod, its main container, its literal environment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

# On SIGTERM ServiceRuntime.stop (shared/runtime/service.py) lets in-flight messages finish and the outbox
# relay flush within KOKEMUS_SHUTDOWN_GRACE_SECONDS, then drains NATS and closes the pool, which take time
# of their own; terminationGracePeriodSeconds must cover two grace budgets and a margin to exit.
GRACE_WAITS, GRACE_MARGIN_SECONDS = 2, 5
PROBES = {"livenessProbe": "/healthz", "readinessProbe": "/readyz"}  # shared/runtime/health.py
VALUE_FROM = "<valueFrom>"  # container_env: the value of a variable set by valueFrom, not a literal
TMP_MOUNT = "/tmp"  # the image's HOME and WORKDIR, the one place it writes to (deploy/Dockerfile)


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


def probe_target(probe: Mapping | None, container: Mapping) -> tuple[str | None, int | None]:
    """(path, port number) of an HTTP GET probe, a named port resolved through the container's ports."""
    http = (probe or {}).get("httpGet") or {}
    ports = {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}
    return http.get("path"), ports.get(http.get("port"), http.get("port"))
