"""What the checks share: where deploy/'s files are, reading YAML, and the services in the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[1]
REPO = DEPLOY.parent
SERVICES_DIR = REPO / "services"
PERMISSIONS = DEPLOY / "nats" / "permissions.yaml"
NATS_VALUES = DEPLOY / "nats" / "values.yaml"
NATS_DEV_VALUES = DEPLOY / "nats" / "values-dev.yaml"
NATS_AUTH_VALUES = DEPLOY / "nats" / "values-auth.yaml"
REQUIREMENTS_LOCK = DEPLOY / "requirements.lock"
BUILD_LOCK = DEPLOY / "build-requirements.lock"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def load_objects(text: str) -> list[dict]:
    """The objects of a multi-document YAML text, such as `kubectl kustomize` output."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def service_folders() -> list[str]:
    """The event-sourced services in the code (services.SERVICE_NAMES; the web in services/web is a client of
    theirs, with no stream and no tables)."""
    from services import SERVICE_NAMES

    return sorted(SERVICE_NAMES)
