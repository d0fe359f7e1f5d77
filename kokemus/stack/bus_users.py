"""The NATS permission matrix (deploy/nats/permissions.yaml) expanded into NATS users, each with its
least-privilege permissions: what the deployment's NATS servers are given (deploy/kokemus_checks renders it into
Helm values) and what the embedded stack's NATS runs with, so both enforce the same boundary.

A user is a service (owns a stream, answers its commands and queries) or a client (neither). A new kind of
grant is a function (subject prefix, user, value) -> the subjects it lets the user publish to, and an entry
in PUBLISH_GRANTS; where replies come back is reply_inbox's, from the matrix's `inbox` ("_INBOX_{user}" gives
every user an inbox of its own).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

# The matrix lives with the deployment; `kokemus up` runs from a checkout (pip install -e .), where it is found.
MATRIX = Path(__file__).resolve().parents[2] / "deploy" / "nats" / "permissions.yaml"


Matrix = Mapping[str, Any]  # the permission matrix as read from its YAML


def load_matrix(path: Path = MATRIX) -> dict[str, Any]:
    matrix: dict[str, Any] = yaml.safe_load(path.read_text())
    return matrix


# The kinds of user in the matrix, each a mapping name -> entry: (field, whether its users are services).
USER_KINDS = (("services", True), ("clients", False))


def subject_prefix(matrix: Matrix) -> str:
    return str(matrix.get("subject_prefix", "kokemus"))


def entries(matrix: Matrix, kind: str) -> dict[str, dict[str, Any]]:
    """The users of one kind ("services" or "clients"): name -> entry ({} where the entry is empty)."""
    return {name: entry or {} for name, entry in (matrix.get(kind) or {}).items()}


def stream_name(service: str) -> str:
    return f"KOKEMUS_{service.upper()}"


def durable_name(consumer: str, source: str) -> str:
    return f"{consumer}-from-{source}"


def call_subjects(prefix: str, service: str) -> list[str]:
    """The commands and queries a service answers."""
    return [f"{prefix}.{service}.cmd.>", f"{prefix}.{service}.query.>"]


def reply_inbox(matrix: Matrix, user: str) -> str:
    """The subjects the replies to a user's requests (and its pulled messages) come back on."""
    return str(matrix.get("inbox", "_INBOX")).format(user=user) + ".>"


def own_stream_grants(prefix: str, service: str) -> list[str]:
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
    return call_subjects(prefix, target)


def query_grants(prefix: str, user: str, target: str) -> list[str]:
    return [f"{prefix}.{target}.query.>"]


# The entry fields that name services, with the publish grants each named service gives, in generated order.
PUBLISH_GRANTS: dict[str, Callable[[str, str, str], list[str]]] = {
    "consumes": consumer_grants,
    "requests": request_grants,
    "queries": query_grants,
}
ENTRY_FIELDS = {*PUBLISH_GRANTS, "publish", "subscribe", "description"}


def user_permissions(matrix: Matrix, user: str, entry: Matrix, is_service: bool) -> dict[str, Any]:
    """One NATS user's allow lists. A service also answers its own commands and queries, and replies to a
    request it received through allow_responses (no publish grant on the inboxes)."""
    prefix = subject_prefix(matrix)
    if is_service:
        publish = own_stream_grants(prefix, user)
    elif entry.get("consumes"):
        publish = ["$JS.API.INFO"]
    else:
        publish = []
    for field_name, grants in PUBLISH_GRANTS.items():
        for value in entry.get(field_name) or []:
            publish += grants(prefix, user, value)
    answers = call_subjects(prefix, user) if is_service else []
    subscribe = [*answers, reply_inbox(matrix, user), *(entry.get("subscribe") or [])]
    permissions: dict[str, Any] = {
        "publish": {"allow": list(dict.fromkeys(publish + (entry.get("publish") or [])))},
        "subscribe": {"allow": list(dict.fromkeys(subscribe))},
    }
    return {**permissions, "allow_responses": True} if is_service else permissions


def application_users(matrix: Matrix) -> dict[str, dict[str, Any]]:
    """Every NATS user of the application account, name -> permissions: the services, then the clients."""
    return {user: user_permissions(matrix, user, entry, is_service)
            for kind, is_service in USER_KINDS for user, entry in entries(matrix, kind).items()}


ADMIN = "admin"  # the stack's own user: the whole JetStream API (streams, consumers), for operators' tools
SYSTEM = "sys"  # the server's system account: monitoring, `nats server` commands


def server_config(matrix: Matrix, passwords: Mapping[str, str]) -> dict[str, Any]:
    """A NATS server configuration with authentication on: every user of the matrix with its permissions, the
    stack's admin user, and a system account; JetStream for the application account only."""
    users = [{"user": name, "password": passwords[name], "permissions": permissions}
             for name, permissions in application_users(matrix).items()]
    users.append({"user": ADMIN, "password": passwords[ADMIN]})
    account = str(matrix.get("account", "KOKEMUS"))
    return {"accounts": {account: {"jetstream": "enabled", "users": users},
                         "SYS": {"users": [{"user": SYSTEM, "password": passwords[SYSTEM]}]}},
            "system_account": "SYS"}


def user_names(matrix: Matrix) -> list[str]:
    return [*application_users(matrix), ADMIN, SYSTEM]
