"""The NATS servers: the Helm values NATS is installed with per environment (deploy/README.md, step 5:
deploy/nats/values.yaml, values-auth.yaml and, in dev, values-dev.yaml), how many servers they run, what
they must say, and the nats.conf the chart writes from them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .common import NATS_AUTH_VALUES, NATS_DEV_VALUES, NATS_VALUES, load_yaml


def nats_config_text(values: Mapping) -> str:
    """`config.merge` as the NATS chart writes it into nats.conf: JSON, with "<< x >>" unquoted to x."""
    return re.sub(r'"<<\s+(.*?)\s+>>"', r"\1", json.dumps(values["config"]["merge"], indent=2))


def _deep_merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{key: _deep_merge(base.get(key), value) for key, value in override.items()}}
    return override


def nats_values(environment: str) -> dict:
    """The Helm values NATS is installed with in an environment ("dev" or "production")."""
    values = _deep_merge(load_yaml(NATS_VALUES), load_yaml(NATS_AUTH_VALUES))
    return _deep_merge(values, load_yaml(NATS_DEV_VALUES)) if environment == "dev" else values


def server_count(values: Mapping) -> int:
    """The NATS servers a set of Helm values deploys: config.cluster.replicas, or one without a cluster."""
    cluster = (values.get("config") or {}).get("cluster") or {}
    return int(cluster.get("replicas", 1)) if cluster.get("enabled") else 1


def nats_nodes() -> dict[str, int]:
    """Number of NATS servers per environment, as the Helm values deploy them."""
    return {environment: server_count(nats_values(environment)) for environment in ("dev", "production")}


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
