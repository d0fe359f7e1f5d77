"""The services' Deployments against the code: the settings each starts with (shared/settings.py), the keys it
needs (kokemus/stack/keys.py), its probes, grace and volumes, the NATS servers of the environment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.settings import Settings
from .objects import (
    GRACE_MARGIN_SECONDS,
    GRACE_WAITS,
    PROBES,
    TMP_MOUNT,
    VALUE_FROM,
    container_env,
    is_service_deployment,
    main_container,
    pod_spec,
    probe_target,
)

REQUIRED_VARIABLES = ("OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT", "KOKEMUS_NATS_URL", "KOKEMUS_DB_HOST")
SECRET_VARIABLES = ("KOKEMUS_NATS_PASSWORD", "KOKEMUS_DB_PASSWORD", "KOKEMUS_KEY_ENCRYPTION_KEYS")
PRODUCTION_STREAM_REPLICAS = 3


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
    it sets nothing); raises pydantic's ValidationError (a ValueError) where the service would refuse them. A
    service's key ring (required in production) is checked as a key variable, by _environment."""
    settings = _container_settings()
    names = {f"KOKEMUS_{name.upper()}": name for name in settings.model_fields}
    return settings(**{names[key]: value for key, value in env.items() if key in names and value != VALUE_FROM})





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


# Settings naming a file of secrets that a service may be given beside its keys: checked where they are set.
OPTIONAL_SECRET_FILES = ("KOKEMUS_IDENTITY_SYSTEMS",)


def key_variables(service: str) -> list[str]:
    """The key settings a service cannot start without: what `kokemus up` always gives it (kokemus/stack/keys.py,
    with a key folder that holds no optional file)."""
    from kokemus.stack.keys import StackKeys

    return sorted(StackKeys(Path("/nonexistent/kokemus-keys")).service_environment(service))


def _environment(where: str, name: str, env: Mapping[str, str]) -> list[str]:
    """The variables the service needs are set, its telemetry name is its own, its passwords are secret."""
    required = [*REQUIRED_VARIABLES, *key_variables(name)]
    problems = [f"{where}: {variable} is not set" for variable in required if not env.get(variable)]
    if env.get("OTEL_SERVICE_NAME") not in (None, name):
        problems.append(f"{where}: OTEL_SERVICE_NAME is {env.get('OTEL_SERVICE_NAME')!r}, not {name!r}")
    problems += [f"{where}: {variable} must come from a Secret, not a literal"
                 for variable in SECRET_VARIABLES if env.get(variable) not in (None, VALUE_FROM)]
    return problems


def _key_files(where: str, name: str, pod: Mapping, main: Mapping, env: Mapping[str, str]) -> list[str]:
    """A key the settings name as a file is in a volume the container mounts: a signing key (private) or another
    secret only from a Secret, a public key set from a Secret or a ConfigMap. A private one given inline must come
    from a Secret."""
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    mounts = {PurePosixPath(m["mountPath"]): volumes.get(m.get("name"), {}) for m in main.get("volumeMounts") or []}
    problems = []
    for variable in key_variables(name) + [v for v in OPTIONAL_SECRET_FILES if v in env]:
        value, private = env.get(variable), "SIGNING_KEY" in variable or variable in OPTIONAL_SECRET_FILES
        if value is None or value == VALUE_FROM or value.lstrip().startswith("{"):
            if private and value not in (None, VALUE_FROM):
                problems.append(f"{where}: {variable} must come from a Secret, not a literal")
            continue
        volume = mounts.get(PurePosixPath(value).parent, {})
        sources = ("secret",) if private else ("secret", "configMap")
        if not any(source in volume for source in sources):
            problems.append(f"{where}: {variable}={value} is in no mounted {' or '.join(sources)} volume")
    return problems


def _fits_settings(where: str, pod: Mapping, main: Mapping, env: Mapping[str, str], settings: Settings,
                   nats_nodes: Mapping[str, int]) -> list[str]:
    """Probes on the health port, a grace period longer than the shutdown, stream replicas the NATS of the
    environment can hold."""
    problems = []
    for probe, path in PROBES.items():
        if probe_target(main.get(probe), main) != (path, settings.http_port):
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
        problems += _environment(where, name, env) + _key_files(where, name, pod, main, env)
        for init in pod.get("initContainers") or []:  # the migration reads the same settings, from its own env
            try:
                service_settings(container_env(init, objects))
            except ValueError as error:
                problems.append(f"{where}: its init container {init.get('name')} would refuse its settings: {error}")
        try:
            settings = service_settings(env)
        except ValueError as error:
            problems.append(f"{where}: the service would refuse its settings: {error}")
            continue
        problems += _fits_settings(where, pod, main, env, settings, nats_nodes)
    return problems
