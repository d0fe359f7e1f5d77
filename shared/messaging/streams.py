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


async def wait_for_streams(js: JetStreamContext, services: list[str], timeout: float | None = None) -> None:
    """Wait until each source service has created its stream (they start in any order)."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    for service in services:
        while True:
            try:
                await js.stream_info(stream_name(service))
                break
            except NotFoundError:
                if deadline is not None and loop.time() > deadline:
                    raise TimeoutError(
                        f"stream {stream_name(service)} does not exist: is the {service} service running?"
                    ) from None
                log.info("waiting for the %s service to create its stream", service)
                await asyncio.sleep(0.5)
