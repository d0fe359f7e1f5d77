"""The deployment checks only kokemus can make: deploy/ against the code. deploy/ci-checks.sh runs them after
the generic ones (schemas, Pod Security, linting), which established tools make.

    python deploy/checks.py nats                 permissions.yaml, values-auth.yaml, the NATS values and each
                                                 service's AsyncAPI document agree
    python deploy/checks.py nats-auth [--write]  print (or write) deploy/nats/values-auth.yaml from the matrix
    python deploy/checks.py lock                 deploy/requirements.lock pins what pyproject.toml asks for
    python deploy/checks.py manifests FILE...    rendered targets (`kubectl kustomize` output) against the
                                                 service settings, the NATS servers and PostgreSQL's limits
    python deploy/checks.py all FILE...          all three checks

Every check returns a list of problems, one string each (empty: passed); tests/deploy imports this file by
path to run the checks on the real files and on broken ones.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import yaml

if TYPE_CHECKING:
    from shared.settings import Settings

DEPLOY = Path(__file__).resolve().parent
REPO = DEPLOY.parent
PERMISSIONS = DEPLOY / "nats" / "permissions.yaml"
NATS_VALUES = DEPLOY / "nats" / "values.yaml"
NATS_DEV_VALUES = DEPLOY / "nats" / "values-dev.yaml"
NATS_AUTH_VALUES = DEPLOY / "nats" / "values-auth.yaml"
REQUIREMENTS_LOCK = DEPLOY / "requirements.lock"
BUILD_LOCK = DEPLOY / "build-requirements.lock"
SERVICES_DIR = REPO / "services"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def load_objects(text: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def service_folders(services_dir: Path = SERVICES_DIR) -> list[str]:
    """The services in the code: each package in services/."""
    return sorted(init.parent.name for init in services_dir.glob("*/__init__.py"))


# --------------------------------------------------------------------------------------------------------
# The NATS permission matrix (deploy/nats/permissions.yaml) expanded into NATS users. A new kind of grant
# is a function (subject prefix, user, value) -> subjects it may publish to, and an entry in PUBLISH_GRANTS.


def stream_name(service: str) -> str:
    return f"KOKEMUS_{service.upper()}"


def durable_name(consumer: str, source: str) -> str:
    return f"{consumer}-from-{source}"


def password_variable(user: str) -> str:
    return "NATS_PASSWORD_" + re.sub(r"[^A-Za-z0-9]", "_", user).upper()


def own_stream(prefix: str, service: str) -> list[str]:
    """A service publishes its events into its stream, which only it may declare."""
    stream = stream_name(service)
    return [f"{prefix}.{service}.events.>", "$JS.API.INFO",
            *(f"$JS.API.STREAM.{api}.{stream}" for api in ("CREATE", "UPDATE", "INFO"))]


def consumer_grants(prefix: str, user: str, source: str) -> list[str]:
    """Reading another service's stream through the user's own durable pull consumer, and nothing else."""
    stream, durable = stream_name(source), durable_name(user, source)
    return [
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}",
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.>",
        f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.>",
    ]


def request_grants(prefix: str, user: str, target: str) -> list[str]:
    return [f"{prefix}.{target}.cmd.>", f"{prefix}.{target}.query.>"]


def query_grants(prefix: str, user: str, target: str) -> list[str]:
    return [f"{prefix}.{target}.query.>"]


# The entry fields that name services, with the publish grants each named service gives, in generated order.
PUBLISH_GRANTS: dict[str, Callable[[str, str, str], list[str]]] = {
    "consumes": consumer_grants,
    "requests": request_grants,
    "queries": query_grants,
}
ENTRY_FIELDS = {*PUBLISH_GRANTS, "publish", "subscribe", "description"}


def inbox(matrix: Mapping, user: str) -> str:
    return str(matrix.get("inbox", "_INBOX")).format(user=user) + ".>"


def user_permissions(matrix: Mapping, user: str, entry: Mapping, is_service: bool) -> dict:
    """One NATS user's allow lists. A service also answers its own commands and queries, and replies to a
    request it received through allow_responses (no publish grant on the inboxes)."""
    prefix = matrix.get("subject_prefix", "kokemus")
    publish = own_stream(prefix, user) if is_service else ["$JS.API.INFO"] if entry.get("consumes") else []
    for field_name, grants in PUBLISH_GRANTS.items():
        for value in entry.get(field_name) or []:
            publish += grants(prefix, user, value)
    answers = [f"{prefix}.{user}.cmd.>", f"{prefix}.{user}.query.>"] if is_service else []
    subscribe = [*answers, inbox(matrix, user), *(entry.get("subscribe") or [])]
    permissions: dict[str, Any] = {
        "publish": {"allow": list(dict.fromkeys(publish + (entry.get("publish") or [])))},
        "subscribe": {"allow": list(dict.fromkeys(subscribe))},
    }
    return {**permissions, "allow_responses": True} if is_service else permissions


def principal_permissions(matrix: Mapping) -> dict[str, dict]:
    """Every NATS user of the application account: the services, then the clients."""
    return {user: user_permissions(matrix, user, entry or {}, is_service)
            for kind, is_service in (("services", True), ("clients", False))
            for user, entry in (matrix.get(kind) or {}).items()}


def nats_auth_values(matrix: Mapping) -> dict:
    """The part of the NATS Helm values that the matrix decides: accounts, users, password variables."""
    env = {}

    def user(name: str, **rest: Any) -> dict:
        secret = {"name": f"kokemus-nats-{name}", "key": "password"}
        env[password_variable(name)] = {"valueFrom": {"secretKeyRef": secret}}
        return {"user": name, "password": f"<< ${password_variable(name)} >>", **rest}

    users = [user(name, permissions=p) for name, p in principal_permissions(matrix).items()]
    accounts = {matrix.get("account", "KOKEMUS"): {"jetstream": "enabled", "users": users},
                "SYS": {"users": [user(name) for name in matrix.get("system_users") or []]}}
    return {"config": {"merge": {"accounts": accounts, "system_account": "SYS"}}, "container": {"env": env}}


class _IndentedDumper(yaml.SafeDumper):
    """Indents sequences under their key, as yamllint (and a human) expects."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def render_nats_auth_values(matrix: Mapping) -> str:
    header = (
        "# GENERATED from deploy/nats/permissions.yaml by `python deploy/checks.py nats-auth --write`: do not edit.\n"
        "# The NATS accounts and users (one per service and client, each with its least-privilege permissions),\n"
        "# and where each user's password comes from: the Secret kokemus-nats-<user>, key `password`.\n"
        "# Install with: helm upgrade --install nats nats/nats -f deploy/nats/values.yaml -f deploy/nats/values-auth.yaml\n"
    )
    return header + yaml.dump(nats_auth_values(matrix), Dumper=_IndentedDumper, sort_keys=False, width=120)


def nats_config_text(values: Mapping) -> str:
    """`config.merge` as the NATS chart writes it into nats.conf: JSON, with "<< x >>" unquoted to x."""
    return re.sub(r'"<<\s+(.*?)\s+>>"', r"\1", json.dumps(values["config"]["merge"], indent=2))


def _deep_merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{key: _deep_merge(base.get(key), value) for key, value in override.items()}}
    return override


def nats_values(environment: str) -> dict:
    """The Helm values NATS is installed with in an environment (deploy/README.md, step 5)."""
    values = _deep_merge(load_yaml(NATS_VALUES), load_yaml(NATS_AUTH_VALUES))
    return _deep_merge(values, load_yaml(NATS_DEV_VALUES)) if environment == "dev" else values


def nats_nodes() -> dict[str, int]:
    """Number of NATS servers per environment, as the Helm values deploy them."""
    clusters = {env: (nats_values(env).get("config") or {}).get("cluster") or {} for env in ("dev", "production")}
    return {env: int(c.get("replicas", 1)) if c.get("enabled") else 1 for env, c in clusters.items()}


# --------------------------------------------------------------------------------------------------------
# NATS checks: the matrix is sound, values-auth.yaml is generated from it, the servers are set up as the
# services need, and the matrix grants exactly what the services' AsyncAPI documents use.

TOO_BROAD = {">", "*", "$JS.>", "$JS.API.>", "$JS.ACK.>", "_INBOX.>"}


def check_matrix(matrix: Mapping) -> list[str]:
    """Known names and fields, valid user names, nothing that grants everything."""
    problems = []
    services, clients = matrix.get("services") or {}, matrix.get("clients") or {}
    if set(services) & set(clients):
        problems.append(f"names used both as service and client: {sorted(set(services) & set(clients))}")
    everything_of_kokemus = f"{matrix.get('subject_prefix', 'kokemus')}.>"
    for kind, entries in (("services", services), ("clients", clients)):
        for name, entry in entries.items():
            entry = entry or {}
            if not re.fullmatch(r"[a-z][a-z0-9-]{0,30}", name):
                problems.append(f"{kind}.{name}: a NATS user name is lower-case letters, digits and -")
            if set(entry) - ENTRY_FIELDS:
                problems.append(f"{kind}.{name}: unknown fields {sorted(set(entry) - ENTRY_FIELDS)}")
            for field_name in PUBLISH_GRANTS:
                for target in entry.get(field_name) or []:
                    if target not in services and not (target == "*" and field_name != "consumes"):
                        problems.append(f"{kind}.{name}.{field_name}: {target!r} is not a service")
            for field_name in ("publish", "subscribe"):
                for subject in entry.get(field_name) or []:
                    if subject in TOO_BROAD or subject.startswith(everything_of_kokemus):
                        problems.append(f"{kind}.{name}.{field_name}: {subject!r} grants far too much")
    return problems


def check_nats_values() -> list[str]:
    """JetStream on files, every client authenticated with a password from a Secret, three servers in production."""
    problems = []
    for environment in ("production", "dev"):
        config = nats_values(environment).get("config") or {}
        merge, jetstream = config.get("merge") or {}, config.get("jetstream") or {}
        if not jetstream.get("enabled") or not (jetstream.get("fileStore") or {}).get("enabled", True):
            problems.append(f"[{environment}] JetStream must be enabled with file storage")
        if (jetstream.get("memoryStore") or {}).get("enabled"):
            problems.append(f"[{environment}] the JetStream memory store must stay off (events must survive restarts)")
        problems += [f"[{environment}] config.merge.{key} must not be set: every client authenticates"
                     for key in ("no_auth_user", "authorization") if key in merge]
        problems += [f"[{environment}] user {user.get('user')}: password must come from a Secret"
                     for account in (merge.get("accounts") or {}).values() for user in account.get("users") or []
                     if not re.fullmatch(r"<< \$NATS_PASSWORD_[A-Z0-9_]+ >>", str(user.get("password")))]
    if nats_nodes()["production"] != 3:
        problems.append("[production] NATS must be a cluster of three servers (config.cluster)")
    return problems


def asyncapi_documents() -> dict[str, dict]:
    paths = {service: SERVICES_DIR / service / "asyncapi.json" for service in service_folders()}
    return {service: json.loads(path.read_text()) for service, path in paths.items() if path.exists()}


def check_nats(matrix: Mapping | None = None, documents: Mapping[str, Mapping] | None = None) -> list[str]:
    """The matrix, the values generated from it, the NATS values, the matrix against the AsyncAPI documents."""
    matrix = load_yaml(PERMISSIONS) if matrix is None else matrix
    problems = check_matrix(matrix)
    services, folders = sorted(matrix.get("services") or {}), service_folders()
    if services != folders:
        problems.append(f"permissions.yaml has the services {services}, services/ has {folders}")
    if not NATS_AUTH_VALUES.exists() or NATS_AUTH_VALUES.read_text() != render_nats_auth_values(matrix):
        stale = f"{NATS_AUTH_VALUES.relative_to(REPO)} is not what {PERMISSIONS.relative_to(REPO)} gives"
        return [*problems, f"{stale}: run `python deploy/checks.py nats-auth --write`"]
    problems += check_nats_values()
    documents = asyncapi_documents() if documents is None else documents
    problems += [f"{s}: services/{s}/asyncapi.json is missing: run `kokemus asyncapi`"
                 for s in folders if s not in documents]
    return problems + permission_drift(matrix, {s: asyncapi_usage(s, d) for s, d in documents.items()})


def subject_covers(pattern: str, subject: str) -> bool:
    """Whether every subject that `subject` matches is matched by `pattern` (both may hold * and >)."""
    pattern_tokens, subject_tokens = pattern.split("."), subject.split(".")
    for index, token in enumerate(pattern_tokens):
        if token == ">":
            return len(subject_tokens) > index
        if index >= len(subject_tokens) or token not in ("*", subject_tokens[index]) or subject_tokens[index] == ">":
            return False
    return len(pattern_tokens) == len(subject_tokens)


@dataclass
class Usage:
    """The subjects one service sends to and receives from, as its AsyncAPI document declares them."""

    service: str
    sends: set[str] = field(default_factory=set)
    receives: set[str] = field(default_factory=set)


def asyncapi_usage(service: str, document: Mapping) -> Usage:
    """Read an AsyncAPI 3 document (as FastStream writes it): each operation's action and its channel's address."""
    if not str(document.get("asyncapi", "")).startswith("3."):
        raise ValueError(f"{service}: expected an AsyncAPI 3.x document, got asyncapi={document.get('asyncapi')!r}")
    usage = Usage(service)
    for name, operation in (document.get("operations") or {}).items():
        ref = (operation.get("channel") or {}).get("$ref") or ""
        if not ref.startswith("#/channels/"):
            raise ValueError(f"{service}: operation {name!r} has no local channel reference")
        key = unquote(ref.removeprefix("#/channels/")).replace("~1", "/").replace("~0", "~")
        channel = document["channels"][key]
        address = channel.get("address") or ((channel.get("bindings") or {}).get("nats") or {}).get("subject")
        subject = re.sub(r"\{[^}]*\}", "*", address or key.split(":", 1)[0])  # a channel parameter is one token
        if operation.get("action") not in ("send", "receive"):
            raise ValueError(f"{service}: operation {name!r} has action {operation.get('action')!r}, "
                             "not send or receive")
        (usage.sends if operation["action"] == "send" else usage.receives).add(subject)
    return usage


def _namespace(prefix: str, subject: str) -> tuple[str | None, str | None]:
    """kokemus.<service>.<kind>.… -> (service, kind); (None, None) outside the kokemus namespace."""
    tokens = subject.split(".")
    if len(tokens) >= 3 and tokens[0] == prefix and tokens[1] not in ("*", ">"):
        return tokens[1], tokens[2]
    return None, None


def permission_drift(matrix: Mapping, usages: Mapping[str, Usage]) -> list[str]:
    """Where the matrix and the subjects the services use disagree, both ways: a subject a service uses that
    its NATS user may not, and a consumes/requests/queries grant no operation of the service needs.
    Only the services whose usage is given are compared."""
    prefix, entries = matrix.get("subject_prefix", "kokemus"), matrix.get("services") or {}
    permissions = principal_permissions(matrix)
    problems = []
    for service, usage in sorted(usages.items()):
        if service not in entries:
            problems.append(f"{service}: has an AsyncAPI document but no entry in permissions.yaml services")
            continue
        entry = entries[service] or {}
        consumes, requests, queries = (entry.get(f) or [] for f in ("consumes", "requests", "queries"))
        used_consumes, used_calls = set(), set()
        for subject in sorted(usage.sends):
            owner, kind = _namespace(prefix, subject)
            if owner == service and kind == "events":
                continue
            if owner not in (None, service) and kind in ("cmd", "query"):
                used_calls.add(owner)
                if not (owner in requests or "*" in requests or (kind == "query" and owner in queries)):
                    problems.append(f"{service}: sends to {subject} but may not call {owner}: add {owner} to "
                                    f"services.{service}.{'requests' if kind == 'cmd' else 'requests (or queries)'}")
            elif not any(subject_covers(p, subject) for p in permissions[service]["publish"]["allow"]):
                problems.append(f"{service}: sends to {subject}, which its NATS user may not publish to")
        for subject in sorted(usage.receives):
            owner, kind = _namespace(prefix, subject)
            if owner == service and kind in ("cmd", "query"):
                continue
            if owner is not None and kind == "events":
                used_consumes.add(owner)
                if owner not in consumes:
                    problems.append(f"{service}: receives {subject} (stream {stream_name(owner)}) but does not "
                                    f"consume {owner}: add {owner} to services.{service}.consumes")
            elif not any(subject_covers(p, subject) for p in permissions[service]["subscribe"]["allow"]):
                problems.append(f"{service}: receives {subject}, which its NATS user may not subscribe to")
        problems += [f"{service}: permissions.yaml lets it consume {source}, but no operation receives "
                     f"{prefix}.{source}.events.…: remove the grant"
                     for source in consumes if source not in used_consumes]
        problems += [f"{service}: permissions.yaml lets it call {target}, but no operation sends to "
                     f"{prefix}.{target}.cmd/query: remove the grant"
                     for target in requests + queries if target != "*" and target not in used_calls]
    return problems


# --------------------------------------------------------------------------------------------------------
# The rendered manifests against the code: the service settings (shared/settings.py), the NATS servers of
# the environment, PostgreSQL's connection limits.

# On SIGTERM ServiceRuntime.stop (shared/runtime/service.py) lets in-flight messages finish and the outbox
# relay flush within KOKEMUS_SHUTDOWN_GRACE_SECONDS, then drains NATS and closes the pool, which take time
# of their own; terminationGracePeriodSeconds must cover two grace budgets and a margin to exit.
GRACE_WAITS, GRACE_MARGIN_SECONDS = 2, 5
PROBES = {"livenessProbe": "/healthz", "readinessProbe": "/readyz"}  # shared/runtime/health.py
REQUIRED_VARIABLES = ("OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT", "KOKEMUS_NATS_URL", "KOKEMUS_DB_HOST")
SECRET_VARIABLES = ("KOKEMUS_NATS_PASSWORD", "KOKEMUS_DB_PASSWORD")
PRODUCTION_STREAM_REPLICAS = 3
TMP_MOUNT = "/tmp"  # the image's HOME and WORKDIR, the one place it writes to (deploy/Dockerfile)
# Connections PostgreSQL keeps for itself (superuser_reserved_connections, the operator, replication, psql).
RESERVED_CONNECTIONS = 10
DEFAULT_MAX_CONNECTIONS = 100  # PostgreSQL's default


@cache
def _container_settings() -> type[Settings]:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from shared.settings import Settings

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
    return settings(**{names[key]: value for key, value in env.items() if key in names and value != "<valueFrom>"})


def is_service_deployment(obj: Mapping) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return obj.get("kind") == "Deployment" and labels.get("app.kubernetes.io/part-of") == "kokemus" \
        and labels.get("app.kubernetes.io/component") == "service"


def container_env(container: Mapping, objects: Iterable[dict]) -> dict[str, str]:
    """The literal environment of a container: envFrom ConfigMaps first, then env values (as Kubernetes)."""
    config_maps = {o["metadata"]["name"]: o.get("data") or {} for o in objects if o.get("kind") == "ConfigMap"}
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        name = (source.get("configMapRef") or {}).get("name")
        env.update({source.get("prefix", "") + k: str(v) for k, v in config_maps.get(name, {}).items()})
    for variable in container.get("env") or []:
        env[variable["name"]] = str(variable["value"]) if "value" in variable else "<valueFrom>"
    return env


def _pod(deployment: Mapping) -> dict:
    return ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}


def _main_container(deployment: Mapping) -> dict:
    containers = _pod(deployment).get("containers") or [{}]
    return next((c for c in containers if c.get("name") == deployment["metadata"]["name"]), containers[0])


def _probe_target(probe: Mapping | None, container: Mapping) -> tuple[str | None, int | None]:
    http = (probe or {}).get("httpGet") or {}
    ports = {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}
    return http.get("path"), ports.get(http.get("port"), http.get("port"))


def check_service_workloads(
    objects: list[dict], nats_nodes: Mapping[str, int], services: Iterable[str] | None = None
) -> list[str]:
    """Each service Deployment runs the service the way the code expects: its commands, probes on its health
    port, a grace period longer than its shutdown, settings it accepts, and as many stream replicas as the
    NATS of its environment (KOKEMUS_ENVIRONMENT) can hold."""
    deployments = [obj for obj in objects if is_service_deployment(obj)]
    missing = set(services or ()) - {d["metadata"]["name"] for d in deployments}
    problems = [f"Deployment/{name}: missing (a service without a Deployment)" for name in sorted(missing)]
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        where, pod, main = f"Deployment/{name}", _pod(deployment), _main_container(deployment)
        if main.get("args") != ["serve", name]:
            problems.append(f"{where}: container {main.get('name')} must run `kokemus serve {name}` (args)")
        if not any(c.get("args") == ["migrate", name] for c in pod.get("initContainers") or []):
            problems.append(f"{where}: no init container runs `kokemus migrate {name}` before the service starts")
        volumes = {v.get("name"): v for v in pod.get("volumes") or []}
        for container in (pod.get("initContainers") or []) + (pod.get("containers") or []):
            mounts = {m.get("mountPath"): m.get("name") for m in container.get("volumeMounts") or []}
            if "emptyDir" not in volumes.get(mounts.get(TMP_MOUNT), {}):
                problems.append(f"{where} {container.get('name')}: {TMP_MOUNT} must be an emptyDir volume")
        env = container_env(main, objects)
        problems += [f"{where}: {variable} is not set" for variable in REQUIRED_VARIABLES if not env.get(variable)]
        if env.get("OTEL_SERVICE_NAME") not in (None, name):
            problems.append(f"{where}: OTEL_SERVICE_NAME is {env.get('OTEL_SERVICE_NAME')!r}, not {name!r}")
        problems += [f"{where}: {variable} must come from a Secret, not a literal"
                     for variable in SECRET_VARIABLES if env.get(variable) not in (None, "<valueFrom>")]
        try:
            settings = service_settings(env)
        except ValueError as error:
            problems.append(f"{where}: the service would refuse its settings: {error}")
            continue
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
        env = container_env(_main_container(deployment), objects)
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


# --------------------------------------------------------------------------------------------------------
# The image's lock files against pyproject.toml


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_lock(text: str) -> dict[str, tuple[str, int]]:
    """name -> (pinned version, number of hashes) from a pip-compile --generate-hashes file."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in (raw.strip() for raw in text.splitlines() if not raw.lstrip().startswith("#")):
        if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s\\;]+)", line):
            current = _normalized(match.group(1))
            pins[current] = (match.group(3), 0)
        if current and "--hash=sha256:" in line:
            pins[current] = (pins[current][0], pins[current][1] + line.count("--hash=sha256:"))
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
        problems += [f"{label}: {name}=={version} has no --hash (pip --require-hashes would refuse it)"
                     for name, (version, hashes) in pins.items() if hashes == 0]
        for wanted in requirements:
            requirement = Requirement(wanted)
            name = _normalized(requirement.name)
            if requirement.marker is not None and not requirement.marker.evaluate({"python_version": "3.11"}):
                continue
            if name not in pins:
                problems.append(f"{label}: {wanted!r} from pyproject.toml is not pinned: run deploy/lock.sh")
            elif not requirement.specifier.contains(Version(pins[name][0]), prereleases=True):
                problems.append(f"{label}: {name}=={pins[name][0]} does not satisfy {wanted!r}: run deploy/lock.sh")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["nats", "nats-auth", "lock", "manifests", "all"])
    parser.add_argument("rendered", nargs="*", type=Path, help="manifests, all: the rendered targets, one file each")
    parser.add_argument("--write", action="store_true", help="nats-auth: write deploy/nats/values-auth.yaml")
    args = parser.parse_args(argv)
    if args.command == "nats-auth":
        text = render_nats_auth_values(load_yaml(PERMISSIONS))
        if args.write:
            NATS_AUTH_VALUES.write_text(text)
            text = f"wrote {NATS_AUTH_VALUES.relative_to(REPO)}\n"
        print(text, end="")
        return 0
    if args.command in ("manifests", "all") and not args.rendered:
        parser.error(f"{args.command} needs the rendered targets (deploy/ci-checks.sh renders them)")
    steps: dict[str, Callable[[], list[str]]] = {
        "nats": check_nats,
        "lock": lambda: check_lock(tomllib.loads((REPO / "pyproject.toml").read_text()), REQUIREMENTS_LOCK.read_text(),
                                   BUILD_LOCK.read_text() if BUILD_LOCK.exists() else None),
        "manifests": lambda: check_manifests({path.stem: load_objects(path.read_text()) for path in args.rendered}),
    }
    failed = False
    for name in steps if args.command == "all" else [args.command]:
        problems = steps[name]()
        print(f"== checks.py {name}: {f'{len(problems)} problem(s)' if problems else 'ok'}")
        print("".join(f"   {problem}\n" for problem in problems), end="")
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
