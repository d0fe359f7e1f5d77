"""The audit's handlers: keeping and linking each consumed event, and the auditor's queries.

Each handler takes its message first and its dependencies as one :class:`Deps`; the tables at the end of
the module map each source's events and each query on the bus to its handler.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from services.audit import checkpoints, messages as m
from services.audit.domain import AUDIT, SOURCES, Checkpoints, Engagement, SourceEvent, Trail, engagements_concerned
from services.audit.events import TrailEntryRecorded
from services.audit.views import Head
from shared.aggregate import Metadata
from shared.envelope import Published
from shared.errors import Conflict, NotFound
from shared.events import Role
from shared.eventstore import codec
from shared.eventstore.port import ChainBreak, ConcurrencyConflict, VerifyReport
from shared.handling import AnyEvent, CommandContext, Commands, Consumed, EventContext, Queries, QueryContext
from shared.unit_of_work import Session

if TYPE_CHECKING:
    from services.audit.service import Deps


def _meta(source: SourceEvent, engagement_id: uuid.UUID) -> Metadata:
    """As caused by the source event: entry ids follow from it, so a retry records nothing new."""
    e = source.envelope
    return Metadata(actor=AUDIT, command_id=e.event_id, causation_id=e.event_id,
                    correlation_id=e.correlation_id or e.event_id, engagement_id=engagement_id)


# -- consumed events -------------------------------------------------------------------------------------

async def record_source_event(envelope: Published, ctx: EventContext, deps: Deps) -> None:
    """Keep a source's event as published and link it into the trail of every engagement it concerns; an
    EngagementOpened also links every related event kept before it. Any arrival order ends in the same trails."""
    source = SourceEvent.of(envelope)
    session, conn = ctx.session, ctx.session.connection
    # Without this, an engagement opened while a related event is handled in another consumer would
    # miss it: each transaction would look for the other before either committed.
    await deps.views.lock(source.lock_keys(), conn)
    await deps.views.keep(source, conn)
    to_link: dict[uuid.UUID, list[SourceEvent]] = {}
    opened = Engagement.opened_by(source)
    if opened is not None:
        await deps.views.add_engagement(opened, source.event_id, conn)
        earlier = [kept for kept in await deps.views.events_near(opened, conn) if opened.concerns(kept)]
        to_link[opened.engagement_id] = sorted(earlier, key=SourceEvent.sort_key)
    for engagement_id in engagements_concerned(source, await deps.views.engagements_near(source, conn)):
        to_link.setdefault(engagement_id, [source])
    # Every writer of a trail holds its lock, taken after the keys above and in order: no deadlock.
    await deps.views.lock([f"trail:{engagement_id}" for engagement_id in to_link], conn)
    for engagement_id in sorted(to_link):
        sources = to_link[engagement_id]
        claimed = await deps.views.claim_links(engagement_id, [s.event_id for s in sources], conn)
        if not claimed:
            continue
        trail = await session.load(Trail, str(engagement_id), must_exist=False)
        for linked in sources:
            if linked.event_id in claimed:
                trail.link(linked)
        await session.save(trail, _meta(source, engagement_id))


# -- queries ---------------------------------------------------------------------------------------------

def _entry(entry: TrailEntryRecorded) -> dict[str, Any]:
    return {
        "recorded_at": entry.recorded_at.isoformat(),
        "service": entry.source_service,
        "event_type": entry.source_event_type,
        "stream_id": entry.source_stream_id,
        "version": entry.source_version,
        "actor": {"id": entry.actor.get("id"), "role": entry.actor.get("role"),
                  "organization_id": entry.actor.get("organization_id")},
        "trace_id": entry.trace_id,
        "event_id": str(entry.source_event_id),
        "causation_id": str(entry.causation_id) if entry.causation_id else None,
        "summary": entry.summary,
    }


async def history(query: m.History, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """Every event of the engagement, from every service, each after its cause (auditor or coordinator)."""
    ctx.require_role(Role.auditor, Role.coordinator)
    trail = await deps.uow.load(Trail, str(query.engagement_id), what="audit trail for engagement")
    return {"engagement_id": str(query.engagement_id), "entries": [_entry(e) for e in trail.history()]}


def _report(report: VerifyReport, service: str) -> dict[str, Any]:
    return {
        "store": report.store, "service": service, "events_checked": report.events_checked,
        "streams_checked": report.streams_checked, "intact": report.intact,
        "breaks": [{"service": service, **b.__dict__} for b in report.breaks],
    }


async def _verify_copies(service: str, deps: Deps) -> VerifyReport:
    """Walk the source's chains again, stream by stream, from the envelopes the audit kept."""
    report = VerifyReport(store=f"{service} copy in audit")
    stream: list[Published] = []
    async for envelope in deps.views.copies(service):
        if isinstance(envelope, ChainBreak):
            report.events_checked += 1
            report.breaks.append(envelope)
            continue
        if stream and envelope.stream_id != stream[-1].stream_id:
            codec.verify_stream_order(stream, report)
            stream = []
        stream.append(envelope)
    codec.verify_stream_order(stream, report)
    return report


async def verify_trail(query: m.VerifyTrail, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """Recompute the trails' own hash chains and every source's chains from the audit's copies, and name
    each break (auditor or coordinator)."""
    ctx.require_role(Role.auditor, Role.coordinator)
    trail = await deps.uow.store.verify()
    trail.store = "audit trail"
    reports = [_report(trail, "audit")]
    for service in SOURCES:
        reports.append(_report(await _verify_copies(service, deps), service))
    return {"intact": all(report["intact"] for report in reports), "stores": reports}


async def copy_heads(query: m.CopyHeads, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The last copied event of each of a source's streams (version, hash, the link it claims and its place in
    the source's log), for the source to check against its store: a removed last event, an event that never
    came from it, or a rewritten chain shows there (auditor or coordinator)."""
    ctx.require_role(Role.auditor, Role.coordinator)
    heads = await deps.views.copy_heads(query.service)
    return {"service": query.service, "heads": {stream: asdict(head) for stream, head in heads.items()}}


# -- signed checkpoints ----------------------------------------------------------------------------------

async def sign_checkpoint(deps: Deps) -> bool:
    """Sign the heads of every chain the audit holds, unless nothing changed since the last checkpoint (a
    job: every replica runs it, and the checkpoints stream's version check lets one of them win)."""
    if deps.checkpoint_key is None:
        return False
    try:
        async with deps.uow.begin() as session:
            return await _sign(deps, session)
    except ConcurrencyConflict:
        return False  # another replica signed meanwhile


async def sign_checkpoint_now(cmd: m.SignCheckpoint, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Sign a checkpoint now, before an export or a verification, instead of waiting for the interval
    (auditor or coordinator). Nothing new is signed when nothing changed since the last one."""
    ctx.require_role(Role.auditor, Role.coordinator)
    if deps.checkpoint_key is None:
        raise Conflict("the audit has no signing key here (KOKEMUS_AUDIT_SIGNING_KEY): it signs no checkpoints")
    signed = await _sign(deps, ctx.session)
    latest = (await ctx.session.load(Checkpoints, Checkpoints.ID)).latest
    assert latest is not None
    return {"signed": signed, "checkpoint_id": str(latest.checkpoint_id), "signed_at": latest.signed_at.isoformat()}


async def _sign(deps: Deps, session: Session) -> bool:
    assert deps.checkpoint_key is not None
    heads = {service: await deps.views.copy_heads(service) for service in SOURCES}
    heads["audit"] = {stream: Head(version, hash_.hex()) for stream, (version, hash_) in
                      (await deps.uow.store.heads()).items() if stream != Checkpoints.stream_id()}
    now, checkpoint_id = deps.clock.now(), uuid.uuid4()
    content = checkpoints.document({service: {stream: (head.version, head.hash) for stream, head in by_stream.items()}
                                    for service, by_stream in heads.items()}, now, checkpoint_id)
    signed = await session.load(Checkpoints, Checkpoints.ID, must_exist=False)
    if not signed.sign(content, checkpoints.sign(content, deps.checkpoint_key), now):
        return False
    await session.save(signed, Metadata(actor=AUDIT, command_id=checkpoint_id))
    await deps.views.keep_checkpoint(checkpoint_id, heads, session.connection)
    return True


async def latest_checkpoint(query: m.LatestCheckpoint, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The latest signed checkpoint: its signature (a compact JWS) and how many heads of each store it covers
    (auditor or coordinator)."""
    ctx.require_role(Role.auditor, Role.coordinator)
    latest = (await deps.uow.load(Checkpoints, Checkpoints.ID, must_exist=False)).latest
    if latest is None:
        raise NotFound("no checkpoint is signed yet: the audit signs one at an interval once it has a signing key")
    return {"checkpoint_id": str(latest.checkpoint_id), "signed_at": latest.signed_at.isoformat(),
            "signature": latest.signature, "streams": latest.streams}


async def checkpoint_heads(query: m.CheckpointHeads, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The heads of one store a checkpoint signed (auditor or coordinator)."""
    ctx.require_role(Role.auditor, Role.coordinator)
    heads = await deps.views.checkpoint_heads(query.checkpoint_id, query.service)
    return {"service": query.service,
            "heads": {stream: {"version": h.version, "hash": h.hash} for stream, h in heads.items()}}


async def count(query: m.CountEvents, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """How many events the audit kept from each service, and how many trail entries it made, for one
    engagement or all: every event is kept once and linked once per engagement (auditor or coordinator)."""
    ctx.require_role(Role.auditor, Role.coordinator)
    return await deps.views.counts(query.engagement_id)


CONSUMES: Consumed = {source: {AnyEvent: record_source_event} for source in SOURCES}  # every event, as published

COMMANDS: Commands = {
    "sign_checkpoint": (m.SignCheckpoint, sign_checkpoint_now),
}

QUERIES: Queries = {
    "history": (m.History, history),
    "verify_trail": (m.VerifyTrail, verify_trail),
    "copy_heads": (m.CopyHeads, copy_heads),
    "latest_checkpoint": (m.LatestCheckpoint, latest_checkpoint),
    "checkpoint_heads": (m.CheckpointHeads, checkpoint_heads),
    "count": (m.CountEvents, count),
}
