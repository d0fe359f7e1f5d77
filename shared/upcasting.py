"""Upcasters lift an event's stored payload from an old schema version to the next one, on read.

The history is never rewritten: an event recorded as ``ExpertListed`` version 1 stays version 1 in the
store (and its hash covers that form); readers always get the current version.

    @upcaster("ExpertListed", from_version=1)
    def _add_languages(payload: dict) -> dict:
        return {**payload, "languages": ["fi"]}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]
_UPCASTERS: dict[tuple[str, int], Callable[[Payload], Payload]] = {}


def upcaster(event_type: str, *, from_version: int) -> Callable[[Callable[[Payload], Payload]], Callable[[Payload], Payload]]:
    def register(function: Callable[[Payload], Payload]) -> Callable[[Payload], Payload]:
        key = (event_type, from_version)
        if key in _UPCASTERS:
            raise TypeError(f"two upcasters for {event_type} version {from_version}")
        _UPCASTERS[key] = function
        return function

    return register


def upcast(event_type: str, version: int, target_version: int, payload: Payload) -> Payload:
    while version < target_version:
        step = _UPCASTERS.get((event_type, version))
        if step is None:
            raise LookupError(f"no upcaster lifts {event_type} from version {version} to {version + 1}")
        payload = step(payload)
        version += 1
    return payload
