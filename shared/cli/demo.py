"""``kokemus demo``: plays engagements end to end through the services' NATS commands."""

import typer


async def play(nats_url: str, engagements: int = 1, console=None) -> None:  # type: ignore[no-untyped-def]
    raise NotImplementedError


def demo_command(engagements: int = typer.Option(1)) -> None:
    """Play engagements end to end."""
