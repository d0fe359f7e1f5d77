"""An expert's life in the registry: registration, memberships, training, consents, listing, erasure,
the profile and its review, availability."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from services.registry import messages as m
from services.registry.domain import COUNTY, Expert, Organization, Profile, ThemeVocabulary
from services.registry.events import BlackoutPeriod
from services.registry.handlers.access import is_reviewer, is_self, require_speaks_for, speaks_for
from shared.aggregate import Metadata
from shared.errors import Forbidden
from shared.events import SYSTEM, Role
from shared.eventstore.port import ConcurrencyConflict
from shared.handling import CommandContext

if TYPE_CHECKING:
    from services.registry.service import Deps


CONSENT_YEARS = 2  # a consent given without an end date holds this long


REMIND_DAYS = 30  # the expert is reminded this many days before a consent ends


async def register_expert(cmd: m.RegisterExpert, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Register an expert as a member of an organization (its contact person, or a coordinator)."""
    ctx.require_role(Role.coordinator, Role.organization_contact)
    require_speaks_for(ctx.actor, cmd.organization_id)
    organization = await ctx.session.load(Organization, cmd.organization_id, must_exist=False)
    existing = await ctx.session.load(Expert, cmd.expert_id, must_exist=False)
    expert = Expert.register(cmd.expert_id, organization, cmd.name, str(cmd.email), cmd.phone, cmd.experience, existing)
    await ctx.session.save(expert, ctx.meta(subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id}


async def join_organization(cmd: m.JoinOrganization, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Ask an expert to join another organization (that organization's contact person, or a coordinator): the
    expert becomes a member when they accept."""
    require_speaks_for(ctx.actor, cmd.organization_id)
    expert = await ctx.session.load(Expert, cmd.expert_id, what="expert")
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    expert.offer_membership(organization)
    await ctx.session.save(expert, ctx.meta(subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id, "organization_id": cmd.organization_id, "awaiting_the_expert": True}


async def answer_membership(cmd: m.AnswerMembership, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert accepts or declines an organization's request to join it (the expert themself)."""
    return await _change_expert(cmd, ctx, lambda e: is_self(ctx.actor, e),
                                lambda e: e.answer_membership(cmd.organization_id, cmd.accept))


async def leave_organization(cmd: m.LeaveOrganization, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert leaves an organization, keeping at least one (the expert themself)."""
    return await _change_expert(cmd, ctx, lambda e: is_self(ctx.actor, e), lambda e: e.leave(cmd.organization_id))


async def record_training(cmd: m.RecordTraining, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Record a training completed as a whole (the training organization's contact person, or a coordinator)."""
    require_speaks_for(ctx.actor, cmd.trained_by)
    expert = await ctx.session.load(Expert, cmd.expert_id, what="expert")
    trainer = await ctx.session.load(Organization, cmd.trained_by, must_exist=False)
    expert.complete_training(cmd.training, cmd.completed_on, trainer, deps.clock.today(), kind=cmd.kind)
    await ctx.session.save(expert, ctx.meta(subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id, "organization_ids": expert.organization_ids}


async def _change_expert(cmd: m.ExpertCommand, ctx: CommandContext, allowed: Callable[[Expert], bool],
                         change: Callable[[Expert], Any]) -> dict[str, Any]:
    expert = await ctx.session.load(Expert, cmd.expert_id, what="expert")
    if not allowed(expert):
        raise Forbidden(f"the {ctx.actor.role.value} {ctx.actor.id} may not change expert {cmd.expert_id} this way")
    change(expert)
    await ctx.session.save(expert, ctx.meta(subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id, "listed": expert.listed, "consented": expert.consented,
            "active": expert.active, "review": expert.review.state, "organization_ids": expert.organization_ids}


def _in_two_years(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + CONSENT_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year + CONSENT_YEARS, day=28)


async def give_consent(cmd: m.GiveConsent, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert consents to a purpose until a date (by default two years on); given again, renewed (the expert
    themself)."""
    today = deps.clock.today()
    until = cmd.valid_until or _in_two_years(today)
    return await _change_expert(cmd, ctx, lambda e: is_self(ctx.actor, e),
                                lambda e: e.give_consent(cmd.purpose, until, today))


async def withdraw_consent(cmd: m.WithdrawConsent, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert withdraws a consent; without the bank's, a listed expert leaves the bank (the expert themself)."""
    return await _change_expert(cmd, ctx, lambda e: is_self(ctx.actor, e), lambda e: e.withdraw_consent(cmd.purpose))


async def list_expert(cmd: m.ListExpert, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """List a trained, active expert whose consent holds, approving their profile as it stands (a reviewer: their
    organization's contact, or a coordinator)."""
    today = deps.clock.today()
    return await _change_expert(
        cmd, ctx, lambda e: is_reviewer(ctx.actor, e),
        lambda e: e.list_in_bank(today, cmd.topics, cmd.languages, cmd.regions),
    )


async def unlist_expert(cmd: m.UnlistExpert, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Take an expert off the bank (the expert, their organization's contact, or a coordinator)."""
    return await _change_expert(
        cmd, ctx, lambda e: is_self(ctx.actor, e) or speaks_for(ctx.actor, e.organization_ids),
        lambda e: e.unlist(cmd.reason),
    )


async def deactivate_expert(cmd: m.DeactivateExpert, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Mark an expert inactive (their organization's contact, or a coordinator)."""
    return await _change_expert(
        cmd, ctx, lambda e: speaks_for(ctx.actor, e.organization_ids), lambda e: e.deactivate(cmd.reason)
    )


async def erase_expert(cmd: m.EraseExpert, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Erase the expert's personal data (the expert, or a coordinator), recording on what ground: their key is
    shredded, so their name, contact details and experience read as erased everywhere, also in copies on the
    bus."""
    if not (is_self(ctx.actor, Expert(cmd.expert_id)) or ctx.actor.role is Role.coordinator):
        raise Forbidden("only the expert themself or a coordinator may erase an expert's personal data")
    expert = await ctx.session.load(Expert, cmd.expert_id, what="expert")
    expert.erase(cmd.ground)
    await ctx.session.save(expert, ctx.meta())
    await ctx.session.shred(cmd.expert_id)
    return {"expert_id": cmd.expert_id, "erased": True}


async def change_profile(cmd: m.ChangeProfile, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert saves their profile: themes of the county's vocabulary, each their own experience or a close
    relative's; where they work, languages, kinds of task, an introduction, a CV, a video link, how to contact
    them. The bank shows it once a reviewer approves it (the expert themself)."""
    vocabulary = await ctx.session.load(ThemeVocabulary, COUNTY, must_exist=False)
    profile = Profile(
        themes=tuple(dict.fromkeys((choice.theme, choice.relation) for choice in cmd.themes)),
        municipality=cmd.municipality, introduction=cmd.introduction or None, cv=cmd.cv or None,
        video_url=str(cmd.video_url) if cmd.video_url else None, regions=tuple(dict.fromkeys(cmd.regions)),
        languages=tuple(dict.fromkeys(cmd.languages)), task_kinds=tuple(dict.fromkeys(cmd.task_kinds)),
        contact_preference=cmd.contact_preference,
    )
    return await _change_expert(cmd, ctx, lambda e: is_self(ctx.actor, e),
                                lambda e: e.change_profile(profile, vocabulary.in_use))


async def submit_profile(cmd: m.SubmitProfile, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Send the profile (or its change) to review, with or without asking to be listed (the expert, or a
    reviewer for them)."""
    return await _change_expert(cmd, ctx, lambda e: is_self(ctx.actor, e) or is_reviewer(ctx.actor, e),
                                lambda e: e.submit_for_review(cmd.listing))


async def approve_profile(cmd: m.ExpertCommand, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Approve the profile waiting for review against the published criteria: the bank shows it, and an expert
    who asked to be listed is listed if the rules allow (a reviewer: a contact person of the expert's
    organization, or a coordinator)."""
    problems: list[Any] = []

    def approve(expert: Expert) -> None:
        problems.extend(expert.approve_profile(deps.clock.today()))

    result = await _change_expert(cmd, ctx, lambda e: is_reviewer(ctx.actor, e), approve)
    return {**result, "not_listed_because": [p.reason for p in problems]}


async def return_profile(cmd: m.ReturnProfile, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Return the profile to the expert with a reason they see (a reviewer)."""
    return await _change_expert(cmd, ctx, lambda e: is_reviewer(ctx.actor, e), lambda e: e.return_profile(cmd.reason))


async def set_availability(cmd: m.SetAvailability, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The days of the week the expert takes assignments on, and the dates they do not (the expert themself)."""
    blackouts = [BlackoutPeriod(starts_on=b.starts_on, ends_on=b.ends_on) for b in cmd.blackouts]
    return await _change_expert(cmd, ctx, lambda e: is_self(ctx.actor, e),
                                lambda e: e.set_availability(list(cmd.weekdays), blackouts))


async def remind_and_expire_consents(deps: Deps) -> int:
    """Remind experts of consents ending within 30 days, and end those past their date (taking the expert off
    the bank when it is the bank's); return how many experts were touched (a background job)."""
    today = deps.clock.today()
    touched = 0
    for expert_id in await deps.views.consents_due(today, REMIND_DAYS):
        try:
            async with deps.uow.begin() as session:
                expert = await session.load(Expert, expert_id, what="expert")
                # Every replica runs this job: the same expert at the same version gets the same event ids.
                meta = Metadata(actor=SYSTEM, command_id=uuid.uuid5(uuid.NAMESPACE_URL, f"consents:{expert_id}@"
                                                                                        f"{expert.version}"),
                                subject_id=expert_id)
                expert.expire_consents(today)
                expert.remind_of_consents(today, REMIND_DAYS)
                await session.save(expert, meta)
            touched += 1
        except ConcurrencyConflict:
            continue  # the expert changed meanwhile: the next tick looks again
    return touched
