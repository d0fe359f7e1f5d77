"""The `nats` check: the permission matrix is sound and names exactly the services in services/,
deploy/nats/values-auth.yaml is what it generates, the NATS values are set up as the services need, and the
matrix grants each service exactly what its AsyncAPI document uses."""

from __future__ import annotations

from collections.abc import Mapping

from .common import NATS_AUTH_VALUES, PERMISSIONS, REPO, load_yaml, service_folders
from .nats_drift import asyncapi_documents, asyncapi_usage, permission_drift
from .nats_servers import check_nats_values
from .nats_users import check_matrix, entries, render_nats_auth_values


def check_nats(matrix: Mapping | None = None, documents: Mapping[str, Mapping] | None = None) -> list[str]:
    """The matrix (deploy/nats/permissions.yaml unless given), the values generated from it, the NATS values,
    the matrix against the AsyncAPI documents (services/*/asyncapi.json unless given). Stops after a stale
    values-auth.yaml: the NATS values include it."""
    matrix = load_yaml(PERMISSIONS) if matrix is None else matrix
    problems = check_matrix(matrix)
    services, folders = sorted(entries(matrix, "services")), service_folders()
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
