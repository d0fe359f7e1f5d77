"""The `manifests` check: the rendered targets (`kubectl kustomize` output) against the code: the service
settings (shared/settings.py) and the keys each service needs (kokemus/stack/keys.py), the web's settings
(services/web/settings.py), the NATS servers of the environment, PostgreSQL's roles and connection limits."""


from __future__ import annotations

from collections.abc import Mapping

from .common import SERVICES_DIR, service_folders
from .database import check_connection_budget, check_database_roles
from .nats_servers import nats_nodes
from .objects import container_env, is_service_deployment
from .web import WEB, check_web_workload
from .workloads import check_service_workloads

__all__ = ["check_connection_budget", "check_database_roles", "check_manifests", "check_service_workloads",
           "check_web_workload", "container_env", "is_service_deployment"]


def check_manifests(rendered: Mapping[str, list[dict]]) -> list[str]:
    """Every rendered target (name -> objects) against the settings, the NATS servers and PostgreSQL."""
    nodes, services, web = nats_nodes(), service_folders(), (SERVICES_DIR / WEB).is_dir()
    return [f"[{target}] {problem}" for target, objects in rendered.items()
            for problem in check_service_workloads(objects, nodes, services) + check_database_roles(objects)
            + check_connection_budget(objects) + check_web_workload(objects, web)]
