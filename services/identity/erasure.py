"""The identity service's reactions to the registry's erasures, and a person's own sign-ins (the right of access).

An erased expert, orderer or contact person is found by the registry record their sign-ins held: every open
session of whoever signed in as it ends (a token asked for after that is refused), the keys their sign-ins were
sealed with are shredded (the addresses read as erased), and the view forgets them (SignInsErased). What stays in
the history is pseudonymous: the provider's subject (for the development sign-in a digest of the address), the
session references and times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.identity import messages as m
from services.identity.domain import RECORD_ROLES, Session, SignIns, session_subject
from services.registry import events as registry
from shared.envelope import Envelope
from shared.handling import Consumed, EventContext, QueryContext

if TYPE_CHECKING:
    from services.identity.service import Deps


async def erase_record(record_id: str, kind: str, ctx: EventContext, deps: Deps) -> None:
    now = deps.clock.now()
    meta = ctx.meta()
    for person in await deps.views.people_of(record_id):
        for ref in await deps.views.open_sessions(person, now):
            session = await ctx.session.load(Session, ref)
            if not session.ended:
                session.end(everywhere=True)
                await ctx.session.save(session, meta)
        refs = await deps.views.sign_ins_of(person)
        signins = await ctx.session.load(SignIns, person, must_exist=False)
        signins.erase(record_id, kind, len(refs))
        await ctx.session.save(signins, meta)
        for ref in refs:
            await ctx.session.shred(session_subject(ref))
        await ctx.session.shred(person)  # the key of sign-ins sealed before each had its own


async def on_expert_erased(event: Envelope[registry.ExpertErased], ctx: EventContext, deps: Deps) -> None:
    await erase_record(event.payload.expert_id, "expert", ctx, deps)


async def on_orderer_erased(event: Envelope[registry.OrdererErased], ctx: EventContext, deps: Deps) -> None:
    await erase_record(event.payload.orderer_id, "orderer", ctx, deps)


async def on_contact_person_erased(event: Envelope[registry.ContactPersonErased], ctx: EventContext,
                                   deps: Deps) -> None:
    await erase_record(event.payload.person_id, "contact_person", ctx, deps)


async def my_sign_ins(query: m.MySignIns, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The signed-in expert's, orderer's or contact person's own sign-ins in that role."""
    ctx.require_role(*RECORD_ROLES)
    rows = await deps.views.sign_ins_as(ctx.actor.id)
    return {"sign_ins": [{key: value.isoformat() if hasattr(value, "isoformat") else value
                          for key, value in row.items()} for row in rows]}


CONSUMES: Consumed = {
    "registry": {
        registry.ExpertErased: on_expert_erased,
        registry.OrdererErased: on_orderer_erased,
        registry.ContactPersonErased: on_contact_person_erased,
    },
}
