"""PostgreSQL in the rendered targets: each service's owner and runtime roles, and the connection budget."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass
from .objects import container_env, is_service_deployment, main_container, pod_spec
from .workloads import service_settings

# Connections PostgreSQL keeps for itself (superuser_reserved_connections, the operator, replication, psql).
RESERVED_CONNECTIONS = 10
DEFAULT_MAX_CONNECTIONS = 100  # PostgreSQL's default


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
