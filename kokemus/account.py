"""``kokemus login``, ``kokemus logout`` and ``kokemus whoami``: who the command line acts for.

    kokemus login --provider staff|people     the county's provider, by the device flow (a code to enter in a browser)
    kokemus login --dev --staff coordinator   the embedded stack's development sign-in (anyone may be anyone there)
    kokemus login --dev --email maija@example.org --as expert
    kokemus logout [--everywhere]
    kokemus whoami
"""

from __future__ import annotations

import enum
from typing import Any

import typer
from rich.console import Console

from kokemus.connect import CommandFailed, connection, fail, run
from kokemus.login import StoredSession, development_sign_in, device_id_token, session_file, sign_in
from shared.messaging.rpc import RemoteError, request
from shared.settings import load_settings

console = Console()


class Provider(enum.StrEnum):
    staff = "staff"
    people = "people"


class StaffRole(enum.StrEnum):
    coordinator = "coordinator"
    auditor = "auditor"


def act_as(role: str | None) -> dict[str, Any]:
    """``--as expert`` or ``--as organization_contact@mieli``: which of the person's roles to act in."""
    if not role:
        return {}
    name, _, organization = role.partition("@")
    return {"role": name, **({"organization_id": organization} if organization else {})}


def login(provider: Provider = typer.Option(None, "--provider", help="sign in through the county's provider"),
          dev: bool = typer.Option(False, "--dev", help="the embedded stack's development sign-in"),
          email: str = typer.Option(None, "--email", help="with --dev: the address to sign in as"),
          staff: StaffRole = typer.Option(None, "--staff", help="with --dev: sign in as county staff"),
          role: str = typer.Option(None, "--as", help="the role to act in: ROLE or ROLE@ORGANIZATION")) -> None:
    """Sign in; the session is kept for this user only and every command then acts for that person."""
    if dev == (provider is not None):
        raise typer.BadParameter("choose either --provider staff|people or --dev")
    if dev and not (email or staff):
        raise typer.BadParameter("with --dev give --email ADDRESS, --staff coordinator|auditor, or both")

    async def signing_in() -> dict[str, Any]:
        async with connection() as nc:
            if dev:
                return await development_sign_in(nc, email=email, staff_role=staff.value if staff else None,
                                                 act_as=act_as(role))
            return await sign_in(nc, provider.value, await _device_id_token(provider), act_as(role))

    answer = run(signing_in())
    path = StoredSession(answer["session"], act_as(role)).save()
    console.print(f"signed in as [bold]{_label(answer['act'])}[/bold] (session kept in {path})")
    others = [_label(act) for act in answer["acts"] if act != answer["act"]]
    if others:
        console.print("you may also act as: " + ", ".join(others) + " (kokemus login … --as ROLE[@ORGANIZATION])")


async def _device_id_token(provider: Provider) -> str:
    settings = load_settings()
    issuer = settings.oidc_staff_issuer if provider is Provider.staff else settings.oidc_people_issuer
    if not issuer:
        raise CommandFailed(f"no {provider.value} provider is set: KOKEMUS_OIDC_{provider.value.upper()}_ISSUER")

    def show(address: str, code: str) -> None:
        console.print(f"open [bold]{address}[/bold] in a browser and enter the code [bold]{code}[/bold]")

    return await device_id_token(issuer, settings.cli_client_id, show)


def logout(everywhere: bool = typer.Option(False, "--everywhere", help="end every session of yours, on every device")
           ) -> None:
    """Sign out: the session ends at the identity service and its file is removed."""
    stored = StoredSession.load()
    if stored is None:
        console.print("nobody is signed in here")
        return

    async def signing_out() -> None:
        async with connection() as nc:
            try:
                await request(nc, "kokemus.identity.cmd.sign_out", {"session": stored.session,
                                                                    "everywhere": everywhere})
            except RemoteError as error:
                if error.code != "unauthenticated":  # already ended: the file goes all the same
                    raise

    run(signing_out())
    session_file().unlink(missing_ok=True)
    console.print("signed out" + (" everywhere" if everywhere else ""))


def whoami() -> None:
    """Who the command line acts for now, with the roles as the records stand today."""
    stored = StoredSession.load()
    if stored is None:
        fail(f"nobody is signed in here (no session in {session_file()}): run `kokemus login`")

    async def asking() -> dict[str, Any]:
        async with connection() as nc:
            answer: dict[str, Any] = await request(nc, "kokemus.identity.query.token",
                                                   {"session": stored.session, "act_as": stored.act_as})
            return answer

    answer = run(asking())
    console.print(f"acting as [bold]{_label(answer['act'])}[/bold]")
    for act in answer["acts"]:
        console.print(f"  may act as {_label(act)}")


def _label(act: dict[str, Any]) -> str:
    organization = f" of {act['organization_id']}" if act.get("organization_id") else ""
    return f"{act['role']} {act['id']}{organization}"
