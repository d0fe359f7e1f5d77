"""``kokemus events tail``: events as another system sees them, live, from the JetStream streams."""

from __future__ import annotations

import asyncio
import json

import typer
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError
from rich.console import Console

from kokemus.connect import CommandFailed, connection, fail, run
from services import SERVICE_NAMES
from shared.messaging.subjects import PREFIX, events_wildcard, stream_name

app = typer.Typer(help="Published events", no_args_is_help=True)
console = Console()


def subjects_overlap(a: str, b: str) -> bool:
    """Whether some subject matches both filters (``*`` is one token, ``>`` one or more at the end)."""
    left, right = a.split("."), b.split(".")
    for mine, theirs in zip(left, right, strict=False):  # the longer one's rest is checked below
        if ">" in (mine, theirs):
            return True
        if mine != theirs and "*" not in (mine, theirs):
            return False
    return len(left) == len(right)


def streams_carrying(subject: str) -> list[str]:
    """The services' streams that can hold events on ``subject``. Found from the naming rule, not asked of
    the server: the CLI's NATS user may create ephemeral consumers but not list streams, and the server
    accepts a consumer whose filter matches nothing, which would wait for ever."""
    if any(not token for token in subject.split(".")) or ">" in subject.split(".")[:-1]:
        raise typer.BadParameter(f"{subject!r} is not a subject filter (tokens separated by dots; > only last)")
    return [stream_name(service) for service in SERVICE_NAMES if subjects_overlap(subject, events_wildcard(service))]


async def _subscribe(js: JetStreamContext, subject: str, policy: DeliverPolicy,
                     arrived: asyncio.Queue[Msg]) -> list[JetStreamContext.PushSubscription]:
    """An ephemeral ordered consumer on each existing stream that carries ``subject``, all feeding one queue."""
    subscriptions = []
    for stream in streams_carrying(subject):
        try:
            subscriptions.append(await js.subscribe(subject, stream=stream, cb=arrived.put, deliver_policy=policy,
                                                    manual_ack=False, ordered_consumer=True))
        except NotFoundError:  # that service has not started yet, so it has published nothing
            continue
    return subscriptions


def _show(msg: Msg, as_json: bool) -> None:
    event = json.loads(msg.data)
    if as_json:
        console.print_json(data=event)
        return
    console.print(f"{event['recorded_at']}  {msg.subject}  stream={event['stream_id']} v{event['version']}  "
                  f"actor={event['actor']['role']}:{event['actor']['id']}  "
                  f"engagement={event.get('engagement_id') or '-'}", soft_wrap=True, markup=False)


@app.command()
def tail(subject: str = typer.Argument(f"{PREFIX}.*.events.>", help="subject filter, e.g. kokemus.orders.events.>"),
         from_start: bool = typer.Option(False, "--from-start", help="replay the streams from their first event"),
         count: int = typer.Option(0, min=0, help="stop after this many events in all (0: until Ctrl-C)"),
         as_json: bool = typer.Option(False, "--json", help="print each event's whole published form")) -> None:
    """Print events live as they are published (ephemeral consumers; nothing is acknowledged for others)."""
    if not streams_carrying(subject):
        fail(f"no stream carries {subject}: events are published on {events_wildcard('<service>')}, "
             f"the services being {', '.join(SERVICE_NAMES)}")

    async def follow() -> None:
        # One queue for every stream's consumer, and one loop that prints and counts: the count is of
        # events printed, in all, and nothing is printed past it.
        arrived: asyncio.Queue[Msg] = asyncio.Queue()
        async with connection() as nc:
            policy = DeliverPolicy.ALL if from_start else DeliverPolicy.NEW
            subscriptions = await _subscribe(nc.jetstream(), subject, policy, arrived)
            if not subscriptions:
                raise CommandFailed(f"no stream carries {subject} yet: has any service of it started?")
            printed = 0
            while not count or printed < count:
                _show(await arrived.get(), as_json)
                printed += 1
            for subscription in subscriptions:
                await subscription.unsubscribe()

    try:
        run(follow())
    except KeyboardInterrupt:  # Ctrl-C is how a tail without --count ends
        pass
