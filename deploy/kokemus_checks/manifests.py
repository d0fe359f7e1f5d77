"""The `manifests` check: the rendered targets (`kubectl kustomize` output) against the code: the service
settings (shared/settings.py) and the keys each service needs (kokemus/stack/keys.py), the web's settings
(services/web/settings.py), the NATS servers of the environment, PostgreSQL's roles and connection limits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .common import SERVICES_DIR, service_folders
from .nats_servers import nats_nodes

if TYPE_CHECKING:
    from services.web.settings import WebSettings
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
WEB = "web"  # the web interface (services/web): a client of the services, with no stream, tables or migration
WEB_SECRET_VARIABLES = ("KOKEMUS_NATS_PASSWORD", "KOKEMUS_WEB_COOKIE_KEY", "KOKEMUS_WEB_STAFF_CLIENT_SECRET",
                        "KOKEMUS_WEB_PEOPLE_CLIENT_SECRET")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


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
        problems += _environment(where, name, env) + _key_files(where, name, pod, main, env)
        try:
            settings = service_settings(env)
        except ValueError as error:
            problems.append(f"{where}: the service would refuse its settings: {error}")
            continue
        problems += _fits_settings(where, pod, main, env, settings, nats_nodes)
    return problems


def _init_env(deployment: Mapping, objects: Iterable[dict]) -> dict[str, str]:
    """The environment of the init container that migrates (the first one)."""
    inits = pod_spec(deployment).get("initContainers") or [{}]
    return container_env(inits[0], objects)


def _secret_of(container: Mapping, variable: str) -> str | None:
    for entry in container.get("env") or []:
        if entry.get("name") == variable:
            return ((entry.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name")
    return None


def check_database_roles(objects: list[dict]) -> list[str]:
    """Each service migrates as its database's owner and runs as KOKEMUS_DB_RUNTIME_ROLE, another login role
    that owns nothing (shared/database.py); each logs in with the Secret the operator sets that role's password
    from."""
    clusters = [o for o in objects if o.get("kind") == "Cluster" and o["apiVersion"].startswith("postgresql.cnpg.io/")]
    if not clusters:
        return []
    roles = {role["name"]: role for role in (clusters[0]["spec"].get("managed") or {}).get("roles") or []}
    owners = {o["spec"]["name"]: o["spec"].get("owner") for o in objects
              if o.get("kind") == "Database" and o["apiVersion"].startswith("postgresql.cnpg.io/")}
    problems = []
    for deployment in (o for o in objects if is_service_deployment(o)):
        name, where = deployment["metadata"]["name"], f"Deployment/{deployment['metadata']['name']}"
        main = main_container(deployment)
        env = container_env(main, objects)
        database = env.get("KOKEMUS_DB_NAME", name)
        runtime, owner = _init_env(deployment, objects).get("KOKEMUS_DB_RUNTIME_ROLE"), owners.get(database)
        if owner is None:
            problems.append(f"{where}: no Database {database} (KOKEMUS_DB_NAME)")
            continue
        if runtime is None:
            problems.append(f"{where}: the migration gives no KOKEMUS_DB_RUNTIME_ROLE, so the service would run as "
                            f"{owner}, which owns its tables and could alter them")
            continue
        if runtime == owner:
            problems.append(f"{where}: KOKEMUS_DB_RUNTIME_ROLE is {runtime}, the database's owner: the service would "
                            "own its tables and could alter them")
        inits = pod_spec(deployment).get("initContainers") or [{}]
        for container, role, what in ((inits[0], owner, "the migration"), (main, runtime, "the service")):
            if role not in roles:
                problems.append(f"{where}: {what} logs in as {role}, which is no managed role of the Cluster")
                continue
            expected = (roles[role].get("passwordSecret") or {}).get("name")
            if {_secret_of(container, "KOKEMUS_DB_USER"), _secret_of(container, "KOKEMUS_DB_PASSWORD")} != {expected}:
                problems.append(f"{where} {container.get('name')}: {what} must log in as {role} with the Secret "
                                f"{expected} (KOKEMUS_DB_USER, KOKEMUS_DB_PASSWORD)")
    return problems


def check_connection_budget(objects: list[dict]) -> list[str]:
    """At full scale (HPA maximum plus a rolling-update surge pod), every service's pools fit its runtime role's
    connectionLimit, a migration per pod its owner role's, and all of them PostgreSQL's max_connections."""
    clusters = [o for o in objects if o.get("kind") == "Cluster" and o["apiVersion"].startswith("postgresql.cnpg.io/")]
    if not clusters:
        return []
    spec = clusters[0]["spec"]
    parameters = (spec.get("postgresql") or {}).get("parameters") or {}
    max_connections = int(parameters.get("max_connections", DEFAULT_MAX_CONNECTIONS))
    roles = {role["name"]: role for role in (spec.get("managed") or {}).get("roles") or []}
    owners = {o["spec"]["name"]: o["spec"].get("owner") for o in objects if o.get("kind") == "Database"}
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
        needed = pods * pool + 1  # + a starting pod's migration
        total += needed
        database = env.get("KOKEMUS_DB_NAME", name)
        runtime = _init_env(deployment, objects).get("KOKEMUS_DB_RUNTIME_ROLE") or database
        for role, connections, what in ((runtime, pods * pool, f"{pods} pods x KOKEMUS_DB_POOL_SIZE={pool}"),
                                        (owners.get(database), pods, f"a migration in each of {pods} pods")):
            limit = (roles.get(role or "") or {}).get("connectionLimit", -1)
            if limit != -1 and connections > limit:
                problems.append(f"Deployment/{name}: up to {what} = {connections} connections, but role {role} "
                                f"has connectionLimit {limit}")
    if total > max_connections - RESERVED_CONNECTIONS:
        problems.append(f"Cluster/{clusters[0]['metadata']['name']}: the services may open {total} connections at "
                        f"full scale, but max_connections is {max_connections} with {RESERVED_CONNECTIONS} kept for "
                        "the server itself")
    return problems


@cache
def _container_web_settings() -> type[WebSettings]:
    from services.web.settings import WebSettings  # imported only here, as the service settings are

    class ContainerWebSettings(WebSettings):
        @classmethod
        def settings_customise_sources(cls, settings_cls: Any, init_settings: Any, **_: Any) -> tuple[Any, ...]:
            return (init_settings,)

    return ContainerWebSettings


def web_settings(env: Mapping[str, str]) -> WebSettings:
    """The settings the web starts with in a container's environment; a value from a Secret stands in as a
    valid one (a Fernet key for the cookie key). Raises ValueError where the web would refuse them."""
    from cryptography.fernet import Fernet

    settings = _container_web_settings()
    names = {f"KOKEMUS_{name.upper()}": name for name in settings.model_fields}
    values: dict[str, Any] = {}
    for key, value in env.items():
        if key in names:
            values[names[key]] = value if value != VALUE_FROM else (
                Fernet.generate_key().decode() if key == "KOKEMUS_WEB_COOKIE_KEY" else "from-a-secret")
    return settings(**values)


def check_web_workload(objects: list[dict], expected: bool = True) -> list[str]:
    """The web's Deployment runs `kokemus serve web` with settings it accepts: its secrets from Secrets, listening
    where the probes look (/healthz, /readyz on KOKEMUS_WEB_PORT, on the pod's address), an https address in
    production; and where a provider is configured, the identity service accepts the web's client there."""
    webs = [o for o in objects if o.get("kind") == "Deployment" and o["metadata"]["name"] == WEB]
    if not webs:
        return ["Deployment/web: missing (the web interface in services/web)"] if expected else []
    deployment, where = webs[0], "Deployment/web"
    pod, main = pod_spec(deployment), main_container(deployment)
    problems = []
    if main.get("args") != ["serve", WEB]:
        problems.append(f"{where}: container {main.get('name')} must run `kokemus serve web` (args)")
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    mounts = {m.get("mountPath"): m.get("name") for m in main.get("volumeMounts") or []}
    if "emptyDir" not in volumes.get(mounts.get(TMP_MOUNT), {}):
        problems.append(f"{where} {main.get('name')}: {TMP_MOUNT} must be an emptyDir volume")
    env = container_env(main, objects)
    problems += [f"{where}: {variable} must come from a Secret, not a literal"
                 for variable in WEB_SECRET_VARIABLES if env.get(variable) not in (None, VALUE_FROM)]
    problems += [f"{where}: {variable} is not set" for variable in ("KOKEMUS_NATS_URL", "KOKEMUS_WEB_COOKIE_KEY")
                 if not env.get(variable)]
    try:
        settings = web_settings(env)
    except ValueError as error:
        return [*problems, f"{where}: the web would refuse its settings: {error}"]
    for probe, path in PROBES.items():
        if _probe_target(main.get(probe), main) != (path, settings.web_port):
            problems.append(f"{where}: {probe} must be an HTTP GET of {path} on port {settings.web_port} "
                            "(KOKEMUS_WEB_PORT)")
    if settings.web_host in LOOPBACK:
        problems.append(f"{where}: KOKEMUS_WEB_HOST={settings.web_host} is unreachable from outside the pod "
                        "(the probes and the Ingress): 0.0.0.0")
    pause = (((main.get("lifecycle") or {}).get("preStop") or {}).get("sleep") or {}).get("seconds", 0)
    termination = pod.get("terminationGracePeriodSeconds", 30)
    if termination < pause + settings.request_timeout_seconds + GRACE_MARGIN_SECONDS:
        problems.append(f"{where}: terminationGracePeriodSeconds {termination} is less than the preStop pause "
                        f"({pause} s) + KOKEMUS_REQUEST_TIMEOUT_SECONDS={settings.request_timeout_seconds:g} + "
                        f"{GRACE_MARGIN_SECONDS} s: the pod would be killed while it finishes a request")
    if env.get("KOKEMUS_ENVIRONMENT") == "production" and not settings.cookie_secure:
        problems.append(f"{where}: KOKEMUS_WEB_PUBLIC_URL must be https:// in production (the cookie is Secure)")
    return problems + _ingress_host(objects, settings) + _sign_in_agrees(objects, env, settings)


def _ingress_host(objects: list[dict], web: WebSettings) -> list[str]:
    """An Ingress that routes to the web serves the host of KOKEMUS_WEB_PUBLIC_URL, where the providers send
    people back after signing in."""
    host = urlsplit(web.web_public_url).hostname
    services = {o["metadata"]["name"] for o in objects if o.get("kind") == "Service"
                and ((o.get("spec") or {}).get("selector") or {}).get("app.kubernetes.io/name") == WEB}
    problems = []
    for ingress in (o for o in objects if o.get("kind") == "Ingress"):
        rules = (ingress.get("spec") or {}).get("rules") or []
        hosts = {rule.get("host") for rule in rules
                 if any(((path.get("backend") or {}).get("service") or {}).get("name") in services
                        for path in (rule.get("http") or {}).get("paths") or [])}
        if hosts and host not in hosts:
            routed = ", ".join(sorted(map(str, hosts)))
            problems.append(f"Ingress/{ingress['metadata']['name']}: routes {routed} to the web, but "
                            f"KOKEMUS_WEB_PUBLIC_URL is {web.web_public_url}")
    return problems


def _sign_in_agrees(objects: list[dict], web_env: Mapping[str, str], web: WebSettings) -> list[str]:
    """Each provider the web sends people to is one the identity service trusts, for the web's client id; and the
    development sign-in is on in both or neither."""
    identities = [o for o in objects if is_service_deployment(o) and o["metadata"]["name"] == "identity"]
    if not identities:
        return []
    identity_env = container_env(main_container(identities[0]), objects)
    try:
        identity = service_settings(identity_env)
    except ValueError:
        return []  # check_service_workloads names it
    problems = []
    for provider, (issuer, client_id, _secret, _scope) in web.providers().items():
        trusted = identity.oidc_staff_issuer if provider == "staff" else identity.oidc_people_issuer
        if trusted != issuer:
            problems.append(f"Deployment/web: the {provider} provider is {issuer}, but the identity service trusts "
                            f"{trusted!r} (KOKEMUS_OIDC_{provider.upper()}_ISSUER)")
        elif client_id not in identity.oidc_client_ids(provider):
            problems.append(f"Deployment/web: the identity service does not accept ID tokens for the web's client "
                            f"{client_id} (KOKEMUS_OIDC_{provider.upper()}_CLIENT_IDS)")
    if web.development_sign_in != identity.development_sign_in:
        problems.append("Deployment/web: KOKEMUS_DEVELOPMENT_SIGN_IN differs between the web and the identity service")
    return problems


def check_manifests(rendered: Mapping[str, list[dict]]) -> list[str]:
    """Every rendered target (name -> objects) against the settings, the NATS servers and PostgreSQL."""
    nodes, services, web = nats_nodes(), service_folders(), (SERVICES_DIR / WEB).is_dir()
    return [f"[{target}] {problem}" for target, objects in rendered.items()
            for problem in check_service_workloads(objects, nodes, services) + check_database_roles(objects)
            + check_connection_budget(objects) + check_web_workload(objects, web)]
