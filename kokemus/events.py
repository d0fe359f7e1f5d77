"""``kokemus events tail``: events as another system sees them, live, from the JetStream streams."""

from __future__ import annotations

import asyncio
import json

import typer
from rich.console import Console

from kokemus.connect import connection
from shared.messaging.subjects import PREFIX

app = typer.Typer(help="Published events", no_args_is_help=True)
console = Console()


@app.command()
def tail(subject: str = typer.Argument(f"{PREFIX}.*.events.>", help="subject filter, e.g. kokemus.orders.events.>"),
         from_start: bool = typer.Option(False, "--from-start", help="replay the streams from their first event"),
         count: int = typer.Option(0, help="stop after this many events (0: until Ctrl-C)"),
         as_json: bool = typer.Option(False, "--json", help="print each event's whole published form")) -> None:
    """Print events live as they are published (an ephemeral consumer; nothing is acknowledged for others)."""
    async def run() -> None:
        seen = 0
        done = asyncio.Event()
        async with connection() as nc:
            js = nc.jetstream()

            async def show(msg) -> None:  # type: ignore[no-untyped-def]
                nonlocal seen
                event = json.loads(msg.data)
                if as_json:
                    console.print_json(data=event)
                else:
                    console.print(f"{event['recorded_at']}  {msg.subject}  stream={event['stream_id']} "
                                  f"v{event['version']}  actor={event['actor']['role']}:{event['actor']['id']}"
                                  f"  engagement={event.get('engagement_id') or '-'}", soft_wrap=True, markup=False)
                seen += 1
                if count and seen >= count:
                    done.set()

            from nats.js.api import DeliverPolicy
            policy = DeliverPolicy.ALL if from_start else DeliverPolicy.NEW
            subscriptions = []
            for stream in ("REGISTRY", "ORDERS", "CONTRACTS", "FEEDBACK", "AUDIT"):
                try:
                    subscriptions.append(await js.subscribe(subject, stream=f"KOKEMUS_{stream}", cb=show,
                                                            deliver_policy=policy, manual_ack=False, ordered_consumer=True))
                except Exception:  # noqa: BLE001 - a stream whose subjects do not match the filter
                    continue
            if not subscriptions:
                console.print(f"[red]no stream carries {subject}[/red]")
                return
            await done.wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
