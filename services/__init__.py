"""The services, by name: each package's composition root gives its definition."""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.definition import ServiceDefinition

SERVICE_NAMES = ("registry", "orders", "contracts", "feedback", "audit", "identity", "notifications")


@cache
def definitions() -> dict[str, ServiceDefinition[Any, Any]]:
    return {name: importlib.import_module(f"services.{name}.service").definition() for name in SERVICE_NAMES}


def definition(name: str) -> ServiceDefinition[Any, Any]:
    found = definitions().get(name)
    if found is None:
        raise KeyError(f"no service {name!r}; the services are: {', '.join(SERVICE_NAMES)}")
    return found
