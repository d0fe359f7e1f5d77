"""The identity service's handlers: signing in (through a provider, as a registered system, or the development
sign-in), a token for a session, signing out, and the published keys.

Each handler takes its message, its context and the service's :class:`~services.identity.service.Deps`.
Signing in, getting a token and signing out are answered without an identity (``PUBLIC``): the provider's ID
token, the system's secret, or the session's secret, is what proves who asks.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from services.identity import messages as m
from services.identity.domain import Session, choose, new_secret, records_of, reference, vouched_capacities
from services.identity.erasure import my_sign_ins
from services.identity.oidc import Person, email_subject
from shared.aggregate import Metadata
from shared.errors import Forbidden, Unauthenticated
from shared.events import Actor, Role
from shared.handling import CommandContext, Commands, Queries, QueryContext
from shared.identity import Capacity

if TYPE_CHECKING:
    from services.identity.service import Deps


async def sign_in(cmd: m.SignIn, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Sign in with an ID token of the county's staff provider or of the people's provider; returns the
    session's secret and a first token."""
    person = await deps.providers.verify(cmd.provider, cmd.id_token)
    return await _begin(ctx, deps, person, cmd.act_as, development=False)


async def development_sign_in(cmd: m.DevelopmentSignIn, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Sign in as whoever the address (or the staff role) names, without a provider: only where the embedded
    stack turned it on, never in production."""
    if not deps.development:
        raise Forbidden("the development sign-in is off here: it runs only on the embedded stack")
    # The subject is recorded in clear (SignedIn.person): a digest of the address, never the address itself,
    # as a provider's subject names nobody by itself either.
    subject = email_subject(str(cmd.email)) if cmd.email else f"{cmd.staff_role}-demo"
    roles = [Role(cmd.staff_role)] if cmd.staff_role else []
    person = Person("development", subject, str(cmd.email) if cmd.email else "", roles)
    return await _begin(ctx, deps, person, cmd.act_as, development=True)


async def system_sign_in(cmd: m.SystemSignIn, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Another system signs in with its registered name and secret; its tokens act in the integration role."""
    if not deps.systems.verify(cmd.system, cmd.secret):
        raise Unauthenticated("unknown system or wrong secret: the platform team registers systems "
                              "(`kokemus systems add NAME`)")
    person = Person("system", cmd.system, "", [Role.integration])
    return await _begin(ctx, deps, person, m.ActAs(), development=False)


async def _begin(ctx: CommandContext, deps: Deps, person: Person, act_as: m.ActAs, *, development: bool
                 ) -> dict[str, Any]:
    capacities = await _capacities(deps, person.key, person.email or None, person.staff_roles)
    act = choose(capacities, act_as.role, act_as.organization_id, act_as.id)
    secret = new_secret()
    now = deps.clock.now()
    session = Session.begin(reference(secret), person.key, person.provider, person.email or None,
                            person.staff_roles, development, now + deps.session_lifetime, records_of(capacities))
    await ctx.session.save(session, Metadata(actor=act.as_actor(), command_id=ctx.command_id, subject_id=person.key))
    return {"session": secret, "session_expires_at": session.expires_at.isoformat(),
            **_token(deps, session, act, capacities, now)}


async def _capacities(deps: Deps, person: str, email: str | None, staff_roles: list[Role]) -> list[Capacity]:
    """The person's roles as the records stand now: staff roles from the provider (a system's from the identity
    service's own register, so a system taken off it has none), the rest from the registry."""
    if Role.integration in staff_roles and not deps.systems.known(person.removeprefix("system:")):
        staff_roles = [role for role in staff_roles if role is not Role.integration]
    found = vouched_capacities(person, staff_roles)
    if email:
        found += await deps.directory.capacities(email)
    return found


def _token(deps: Deps, session: Session, act: Capacity, capacities: list[Capacity], now: dt.datetime
           ) -> dict[str, Any]:
    token, expires = deps.issuer.issue(session.person, act, capacities, session=session.id,
                                       development=session.development, now=now)
    return {"token": token, "expires_at": expires.isoformat(), "act": act.model_dump(mode="json"),
            "acts": [capacity.model_dump(mode="json") for capacity in capacities]}


async def get_token(query: m.GetToken, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """A fresh token for the session, acting in the role asked for, made from the records as they are now:
    a role taken away is gone from it."""
    now = deps.clock.now()
    session = await deps.uow.load(Session, reference(query.session), must_exist=False)
    session.check_active(now)
    capacities = await _capacities(deps, session.person, session.email, session.staff_roles)
    act = choose(capacities, query.act_as.role, query.act_as.organization_id, query.act_as.id)
    return _token(deps, session, act, capacities, now)


async def sign_out(cmd: m.SignOut, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """End the session; with ``everywhere``, every open session of its person too."""
    now = deps.clock.now()
    session = await ctx.session.load(Session, reference(cmd.session), must_exist=False)
    session.check_active(now)
    ended = [session]
    if cmd.everywhere:
        for ref in await deps.views.open_sessions(session.person, now):
            if ref != session.id:
                ended.append(await ctx.session.load(Session, ref))
    meta = Metadata(actor=Actor(id=session.person, role=Role.anonymous), command_id=ctx.command_id,
                    subject_id=session.person)
    for each in ended:
        each.end(everywhere=cmd.everywhere)
        await ctx.session.save(each, meta)
    return {"signed_out": len(ended)}


async def published_keys(query: m.PublishedKeys, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The public keys every service checks tokens with (a JWK set), for any system that wants to check them."""
    return deps.published_keys


COMMANDS: Commands = {
    "sign_in": (m.SignIn, sign_in),
    "development_sign_in": (m.DevelopmentSignIn, development_sign_in),
    "system_sign_in": (m.SystemSignIn, system_sign_in),
    "sign_out": (m.SignOut, sign_out),
}

QUERIES: Queries = {
    "token": (m.GetToken, get_token),
    "published_keys": (m.PublishedKeys, published_keys),
    "my_sign_ins": (m.MySignIns, my_sign_ins),
}

PUBLIC = frozenset({"sign_in", "development_sign_in", "system_sign_in", "sign_out", "token", "published_keys"})
