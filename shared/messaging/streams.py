"""Creating a service's JetStream stream, and waiting for the streams it consumes."""

from __future__ import annotations

import asyncio
import logging

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from shared.messaging.subjects import events_wildcard, stream_name

log = logging.getLogger(__name__)


def stream_config(service: str, replicas: int, duplicate_window: float) -> StreamConfig:
    # The stream is part of the audit trail's transport: nobody deletes or purges it, and the relay's
    # Nats-Msg-Id makes a republished event (after a crash) land once within the duplicate window.
    return StreamConfig(
        name=stream_name(service),
        subjects=[events_wildcard(service)],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.NEW,
        num_replicas=replicas,
        duplicate_window=duplicate_window,
        deny_delete=True,
        deny_purge=True,
    )


async def ensure_stream(js: JetStreamContext, service: str, replicas: int, duplicate_window: float) -> None:
    config = stream_config(service, replicas, duplicate_window)
    try:
        await js.stream_info(stream_name(service))
    except NotFoundError:
        await js.add_stream(config)
        log.info("created stream %s", stream_name(service))
        return
    await js.update_stream(config)


async def stream_exists(js: JetStreamContext, service: str) -> bool:
    try:
        await js.stream_info(stream_name(service))
    except NotFoundError:
        return False
    return True


async def wait_for_stream(js: JetStreamContext, service: str, poll_seconds: float = 1.0) -> None:
    """Return once ``service`` has created its stream (services start in any order)."""
    while not await stream_exists(js, service):
        await asyncio.sleep(poll_seconds)
