"""The registry's command and query handlers: check the actor's role, load, decide, save.

Each handler takes its message, its context (who asks; a command's transaction) and the service's
:class:`~services.registry.service.Deps`; the tables at the end of the module map names on the bus to handlers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from services.registry import messages as m
from services.registry.domain import (
    COUNTY,
    AccessRecord,
    Cohort,
    Expert,
    OrdererCredentials,
    Organization,
    Profile,
    ThemeVocabulary,
    TrainingProgramme,
)
from services.registry.events import (
    AccessPurpose,
    BlackoutPeriod,
    ConsentExpired,
    ConsentGiven,
    ConsentPurpose,
    ConsentWithdrawn,
    ContactPreference,
    TrainingModule,
)
from services.registry.views import BankQuery
from shared.aggregate import Metadata
from shared.clock import TIMEZONE
from shared.errors import Forbidden
from shared.events import SYSTEM, Actor, Role
from shared.eventstore.port import ConcurrencyConflict
from shared.handling import CommandContext, Commands, Queries, QueryContext

CONSENT_YEARS = 2  # a consent given without an end date holds this long
REMIND_DAYS = 30  # the expert is reminded this many days before a consent ends
ASSIGNMENTS_COUNTED_DAYS = 365  # "recent" assignments and activity: within this many days
DEFAULT_PURPOSE = {Role.orderer: AccessPurpose.finding_an_expert,
                   Role.organization_contact: AccessPurpose.organization_register,
                   Role.coordinator: AccessPurpose.coordination}

if TYPE_CHECKING:
    from services.registry.service import Deps


def _speaks_for(actor: Actor, organization_ids: list[str] | str) -> bool:
    """A coordinator speaks for every organization; a contact person for their own."""
    if actor.role is Role.coordinator:
        return True
    ids = [organization_ids] if isinstance(organization_ids, str) else organization_ids
    return actor.role is Role.organization_contact and actor.organization_id in ids


def _require_speaks_for(actor: Actor, organization_ids: list[str] | str) -> None:
    if not _speaks_for(actor, organization_ids):
        raise Forbidden("only a coordinator or the contact person of the expert's organization may do this")


# -- organizations ---------------------------------------------------------------------------------------

async def register_organization(cmd: m.RegisterOrganization, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Register the county or an NGO (coordinator)."""
    ctx.require_role(Role.coordinator)
    existing = await ctx.session.load(Organization, cmd.organization_id, must_exist=False)
    organization = Organization.register(cmd.organization_id, cmd.name, cmd.kind, cmd.contact_person_id, existing)
    await ctx.session.save(organization, ctx.meta())
    return {"organization_id": cmd.organization_id}


async def sign_organization_agreement(
    cmd: m.SignOrganizationAgreement, ctx: CommandContext, deps: Deps
) -> dict[str, Any]:
    """Record the county's agreement with an NGO and the dates it is valid (coordinator)."""
    ctx.require_role(Role.coordinator)
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    organization.sign_agreement(cmd.agreement_id, cmd.valid_from, cmd.valid_until)
    await ctx.session.save(organization, ctx.meta())
    return {"organization_id": cmd.organization_id, "agreement_id": cmd.agreement_id}


async def end_organization_agreement(
    cmd: m.EndOrganizationAgreement, ctx: CommandContext, deps: Deps
) -> dict[str, Any]:
    """End an organization agreement early (coordinator)."""
    ctx.require_role(Role.coordinator)
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    organization.end_agreement(cmd.agreement_id, cmd.ended_on)
    await ctx.session.save(organization, ctx.meta())
    return {"organization_id": cmd.organization_id, "agreement_id": cmd.agreement_id}


async def appoint_contact_person(cmd: m.AppointContactPerson, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Make a person a contact person of the organization (a coordinator, or one of its contact persons)."""
    _require_speaks_for(ctx.actor, cmd.organization_id)
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    organization.appoint_contact(cmd.person_id, cmd.name, str(cmd.email))
    await ctx.session.save(organization, ctx.meta(subject_id=cmd.person_id))
    return {"organization_id": cmd.organization_id, "person_id": cmd.person_id}


async def remove_contact_person(cmd: m.RemoveContactPerson, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Take the contact person's role away (a coordinator, or one of the organization's contact persons)."""
    _require_speaks_for(ctx.actor, cmd.organization_id)
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    organization.remove_contact(cmd.person_id, cmd.reason)
    await ctx.session.save(organization, ctx.meta())
    return {"organization_id": cmd.organization_id, "person_id": cmd.person_id, "removed": True}


# -- experts ---------------------------------------------------------------------------------------------

async def register_expert(cmd: m.RegisterExpert, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Register an expert as a member of an organization (its contact person, or a coordinator)."""
    ctx.require_role(Role.coordinator, Role.organization_contact)
    _require_speaks_for(ctx.actor, cmd.organization_id)
    organization = await ctx.session.load(Organization, cmd.organization_id, must_exist=False)
    existing = await ctx.session.load(Expert, cmd.expert_id, must_exist=False)
    expert = Expert.register(cmd.expert_id, organization, cmd.name, str(cmd.email), cmd.phone, cmd.experience, existing)
    await ctx.session.save(expert, ctx.meta(subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id}


async def join_organization(cmd: m.JoinOrganization, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Ask an expert to join another organization (that organization's contact person, or a coordinator): the
    expert becomes a member when they accept."""
    _require_speaks_for(ctx.actor, cmd.organization_id)
    expert = await ctx.session.load(Expert, cmd.expert_id, what="expert")
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    expert.offer_membership(organization)
    await ctx.session.save(expert, ctx.meta(subject_id=cmd.expert_id))
    return {"expert_id": cmd.expert_id, "organization_id": cmd.organization_id, "awaiting_the_expert": True}


async def answer_membership(cmd: m.AnswerMembership, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert accepts or declines an organization's request to join it (the expert themself)."""
    return await _change_expert(cmd, ctx, lambda e: _is_self(ctx.actor, e),
                                lambda e: e.answer_membership(cmd.organization_id, cmd.accept))


async def leave_organization(cmd: m.LeaveOrganization, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert leaves an organization, keeping at least one (the expert themself)."""
    return await _change_expert(cmd, ctx, lambda e: _is_self(ctx.actor, e), lambda e: e.leave(cmd.organization_id))


async def record_training(cmd: m.RecordTraining, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Record a training completed as a whole (the training organization's contact person, or a coordinator)."""
    _require_speaks_for(ctx.actor, cmd.trained_by)
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


def _is_self(actor: Actor, expert: Expert) -> bool:
    return actor.role is Role.expert and actor.id == expert.id


def _reviewer(actor: Actor, expert: Expert) -> bool:
    """A contact person of one of the expert's organizations, or a coordinator."""
    return _speaks_for(actor, expert.organization_ids)


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
    return await _change_expert(cmd, ctx, lambda e: _is_self(ctx.actor, e),
                                lambda e: e.give_consent(cmd.purpose, until, today))


async def withdraw_consent(cmd: m.WithdrawConsent, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert withdraws a consent; without the bank's, a listed expert leaves the bank (the expert themself)."""
    return await _change_expert(cmd, ctx, lambda e: _is_self(ctx.actor, e), lambda e: e.withdraw_consent(cmd.purpose))


async def list_expert(cmd: m.ListExpert, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """List a trained, active expert whose consent holds, approving their profile as it stands (a reviewer: their
    organization's contact, or a coordinator)."""
    today = deps.clock.today()
    return await _change_expert(
        cmd, ctx, lambda e: _reviewer(ctx.actor, e),
        lambda e: e.list_in_bank(today, cmd.topics, cmd.languages, cmd.regions),
    )


async def unlist_expert(cmd: m.UnlistExpert, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Take an expert off the bank (the expert, their organization's contact, or a coordinator)."""
    return await _change_expert(
        cmd, ctx, lambda e: _is_self(ctx.actor, e) or _speaks_for(ctx.actor, e.organization_ids),
        lambda e: e.unlist(cmd.reason),
    )


async def deactivate_expert(cmd: m.DeactivateExpert, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Mark an expert inactive (their organization's contact, or a coordinator)."""
    return await _change_expert(
        cmd, ctx, lambda e: _speaks_for(ctx.actor, e.organization_ids), lambda e: e.deactivate(cmd.reason)
    )


async def erase_expert(cmd: m.ExpertCommand, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Erase the expert's personal data (the expert, or a coordinator): their key is shredded, so their
    name, contact details and experience read as erased everywhere, also in copies on the bus."""
    if not (_is_self(ctx.actor, Expert(cmd.expert_id)) or ctx.actor.role is Role.coordinator):
        raise Forbidden("only the expert themself or a coordinator may erase an expert's personal data")
    expert = await ctx.session.load(Expert, cmd.expert_id, what="expert")
    expert.erase()
    await ctx.session.save(expert, ctx.meta())
    await ctx.session.shred(cmd.expert_id)
    return {"expert_id": cmd.expert_id, "erased": True}


# -- the profile, its review, availability ---------------------------------------------------------------

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
    return await _change_expert(cmd, ctx, lambda e: _is_self(ctx.actor, e),
                                lambda e: e.change_profile(profile, vocabulary.in_use))


async def submit_profile(cmd: m.SubmitProfile, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Send the profile (or its change) to review, with or without asking to be listed (the expert, or a
    reviewer for them)."""
    return await _change_expert(cmd, ctx, lambda e: _is_self(ctx.actor, e) or _reviewer(ctx.actor, e),
                                lambda e: e.submit_for_review(cmd.listing))


async def approve_profile(cmd: m.ExpertCommand, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Approve the profile waiting for review against the published criteria: the bank shows it, and an expert
    who asked to be listed is listed if the rules allow (a reviewer: a contact person of the expert's
    organization, or a coordinator)."""
    problems: list[Any] = []

    def approve(expert: Expert) -> None:
        problems.extend(expert.approve_profile(deps.clock.today()))

    result = await _change_expert(cmd, ctx, lambda e: _reviewer(ctx.actor, e), approve)
    return {**result, "not_listed_because": [p.reason for p in problems]}


async def return_profile(cmd: m.ReturnProfile, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Return the profile to the expert with a reason they see (a reviewer)."""
    return await _change_expert(cmd, ctx, lambda e: _reviewer(ctx.actor, e), lambda e: e.return_profile(cmd.reason))


async def set_availability(cmd: m.SetAvailability, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The days of the week the expert takes assignments on, and the dates they do not (the expert themself)."""
    blackouts = [BlackoutPeriod(starts_on=b.starts_on, ends_on=b.ends_on) for b in cmd.blackouts]
    return await _change_expert(cmd, ctx, lambda e: _is_self(ctx.actor, e),
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


# -- themes, programmes, cohorts -------------------------------------------------------------------------

async def define_theme(cmd: m.DefineTheme, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Add a theme to the county's vocabulary, or rename one, in Finnish, Swedish and English (coordinator)."""
    ctx.require_role(Role.coordinator)
    vocabulary = await ctx.session.load(ThemeVocabulary, COUNTY, must_exist=False)
    vocabulary.define(cmd.theme_id, cmd.name_fi, cmd.name_sv, cmd.name_en)
    await ctx.session.save(vocabulary, ctx.meta())
    return {"theme_id": cmd.theme_id}


async def retire_theme(cmd: m.RetireTheme, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Retire a theme: no profile names it anew (coordinator)."""
    ctx.require_role(Role.coordinator)
    vocabulary = await ctx.session.load(ThemeVocabulary, COUNTY, must_exist=False)
    vocabulary.retire(cmd.theme_id)
    await ctx.session.save(vocabulary, ctx.meta())
    return {"theme_id": cmd.theme_id, "retired": True}


async def list_themes(query: m.ListThemes, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The county's vocabulary of themes, retired ones marked (anyone signed in)."""
    vocabulary = await deps.uow.load(ThemeVocabulary, COUNTY, must_exist=False)
    return [theme.__dict__ for _, theme in sorted(vocabulary.themes.items())]


async def define_programme(cmd: m.DefineProgramme, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Define a training programme with its modules, run by an organization (its contact person, or a
    coordinator)."""
    _require_speaks_for(ctx.actor, cmd.organization_id)
    await ctx.session.load(Organization, cmd.organization_id, what="organization")
    existing = await ctx.session.load(TrainingProgramme, cmd.programme_id, must_exist=False)
    modules = [TrainingModule(module_id=module.module_id, name=module.name) for module in cmd.modules]
    programme = TrainingProgramme.define(cmd.programme_id, cmd.name, cmd.kind, cmd.organization_id, modules, existing)
    await ctx.session.save(programme, ctx.meta())
    return {"programme_id": cmd.programme_id}


async def list_programmes(query: m.ListProgrammes, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Every training programme with its modules (anyone signed in: the bank searches by further training)."""
    return [row.__dict__ for row in await deps.views.programmes()]


async def open_cohort(cmd: m.OpenCohort, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Open a cohort of a programme, on its dates (the running organization's contact person, or a coordinator)."""
    _require_speaks_for(ctx.actor, cmd.organization_id)
    await ctx.session.load(Organization, cmd.organization_id, what="organization")
    programme = await ctx.session.load(TrainingProgramme, cmd.programme_id, must_exist=False)
    existing = await ctx.session.load(Cohort, cmd.cohort_id, must_exist=False)
    cohort = Cohort.open(cmd.cohort_id, programme, cmd.organization_id, cmd.starts_on, cmd.ends_on, existing)
    await ctx.session.save(cohort, ctx.meta())
    return {"cohort_id": cmd.cohort_id}


async def _cohort_of_trainer(ctx: CommandContext, cohort_id: str) -> Cohort:
    cohort = await ctx.session.load(Cohort, cohort_id, what="cohort")
    _require_speaks_for(ctx.actor, cohort.organization_id)
    return cohort


async def enroll_participant(cmd: m.EnrollParticipant, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Add an expert to a cohort (the trainer: the cohort's organization's contact person, or a coordinator)."""
    cohort = await _cohort_of_trainer(ctx, cmd.cohort_id)
    expert = await ctx.session.load(Expert, cmd.expert_id, what="expert")
    if expert.erased:
        raise Forbidden(f"expert {cmd.expert_id} has been erased")
    cohort.enroll(cmd.expert_id)
    await ctx.session.save(cohort, ctx.meta())
    return {"cohort_id": cmd.cohort_id, "participants": len(cohort.participants)}


async def record_module_completion(cmd: m.RecordModuleCompletion, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Record that a participant completed a module; the last module of the programme completes the programme
    for the expert (the trainer)."""
    cohort = await _cohort_of_trainer(ctx, cmd.cohort_id)
    programme = await ctx.session.load(TrainingProgramme, cohort.programme_id, what="programme")
    expert = await ctx.session.load(Expert, cmd.expert_id, what="expert")
    trainer = await ctx.session.load(Organization, cohort.organization_id, what="organization")
    today = deps.clock.today()
    complete = cohort.complete_module(programme, cmd.expert_id, cmd.module_id, cmd.completed_on, today)
    if complete:
        expert.complete_training(programme.name, cmd.completed_on, trainer, today, kind=programme.kind,
                                 programme_id=programme.id)
    await ctx.session.save(cohort, ctx.meta())
    await ctx.session.save(expert, ctx.meta(subject_id=cmd.expert_id))
    return {"cohort_id": cmd.cohort_id, "expert_id": cmd.expert_id, "programme_completed": complete}


async def get_cohort(query: m.GetCohort, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """A cohort, its programme's modules, and each participant's completed modules (the trainer)."""
    cohort = await deps.uow.load(Cohort, query.cohort_id, what="cohort")
    _require_speaks_for(ctx.actor, cohort.organization_id)
    programme = await deps.uow.load(TrainingProgramme, cohort.programme_id, what="programme")
    participants = []
    for expert_id in cohort.participants:
        expert = await deps.uow.load(Expert, expert_id, what="expert")
        done = cohort.completed.get(expert_id, {})
        participants.append({"expert_id": expert_id, "name": expert.name,
                             "completed": {module_id: str(day) for module_id, day in done.items()},
                             "programme_completed": set(done) >= set(programme.module_ids)})
    return {"cohort_id": cohort.id, "programme_id": programme.id, "programme_name": programme.name,
            "kind": programme.kind.value, "organization_id": cohort.organization_id,
            "starts_on": str(cohort.starts_on), "ends_on": str(cohort.ends_on),
            "modules": [{"module_id": module.module_id, "name": module.name} for module in programme.modules],
            "participants": participants}


def _own_or_chosen(ctx: QueryContext, organization_id: str | None) -> str | None:
    """A contact person's own organization; a coordinator's choice (None: every organization)."""
    if ctx.actor.role is Role.organization_contact:
        if organization_id not in (None, ctx.actor.organization_id):
            raise Forbidden("a contact person sees only their own organization's")
        return ctx.actor.organization_id
    ctx.require_role(Role.coordinator)
    return organization_id


async def list_cohorts(query: m.ListCohorts, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The cohorts an organization runs (its contact person; a coordinator, of one or every organization)."""
    organization_id = _own_or_chosen(ctx, query.organization_id)
    return [{**row.__dict__, "starts_on": str(row.starts_on), "ends_on": str(row.ends_on)}
            for row in await deps.views.cohorts(organization_id)]


# -- orderers --------------------------------------------------------------------------------------------

async def grant_credentials(cmd: m.GrantCredentials, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Give an orderer credentials to search the bank and place orders (coordinator)."""
    ctx.require_role(Role.coordinator)
    credentials = await ctx.session.load(OrdererCredentials, cmd.orderer_id, must_exist=False)
    credentials.grant(cmd.orderer_name, cmd.organization_id, cmd.valid_until, deps.clock.today(),
                      str(cmd.email) if cmd.email else None)
    await ctx.session.save(credentials, ctx.meta(subject_id=cmd.orderer_id))
    return {"orderer_id": cmd.orderer_id, "valid_until": cmd.valid_until}


async def revoke_credentials(cmd: m.RevokeCredentials, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Take an orderer's credentials away (coordinator)."""
    ctx.require_role(Role.coordinator)
    credentials = await ctx.session.load(OrdererCredentials, cmd.orderer_id, what="orderer")
    credentials.revoke(cmd.reason)
    await ctx.session.save(credentials, ctx.meta())
    return {"orderer_id": cmd.orderer_id, "revoked": True}


# -- queries ---------------------------------------------------------------------------------------------

async def _record_access(deps: Deps, actor: Actor, purpose: AccessPurpose | None, *, search: list[str] | None = None,
                         view: str | None = None) -> None:
    """Who looked at whom: recorded in a transaction of its own, before the answer leaves."""
    record = AccessRecord(str(uuid.uuid4()))
    chosen = purpose or DEFAULT_PURPOSE.get(actor.role, AccessPurpose.coordination)
    if search is not None:
        record.searched(actor, chosen, search)
    if view is not None:
        record.viewed(actor, chosen, view)
    async with deps.uow.begin() as session:
        await session.save(record, Metadata(actor=actor))


async def _require_may_search(ctx: QueryContext, deps: Deps) -> None:
    """Coordinators, contact persons, and orderers whose credentials hold today."""
    ctx.require_role(Role.orderer, Role.coordinator, Role.organization_contact)
    if ctx.actor.role is Role.orderer and not await deps.views.credentials_valid(ctx.actor.id, deps.clock.today()):
        raise Forbidden(f"orderer {ctx.actor.id} has no valid credentials for the experience bank")


async def search_bank(query: m.SearchBank, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Every listed expert matching a free topic, a language and a region, as listed (an orderer with valid
    credentials, a contact person, or a coordinator). The search is recorded."""
    await _require_may_search(ctx, deps)
    results = []
    for entry in await deps.views.search_bank(topic=query.topic, language=query.language, region=query.region):
        expert = await deps.uow.load(Expert, entry.expert_id, what="expert")
        results.append({**entry.as_dict(), "name": expert.name})
    await _record_access(deps, ctx.actor, query.purpose, search=[entry["expert_id"] for entry in results])
    return results


async def find_experts(query: m.FindExperts, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The bank's search, ranked and a page at a time: by themes (own experience or a close relative's), region,
    municipality, language, organization, task kind, further training and availability on a date (an orderer
    with valid credentials, a contact person, or a coordinator). Who searched, and whom they were shown, is
    recorded."""
    await _require_may_search(ctx, deps)
    since = deps.clock.now() - dt.timedelta(days=ASSIGNMENTS_COUNTED_DAYS)
    found = await deps.views.find_in_bank(BankQuery(
        themes=tuple(query.themes), relation=query.relation, region=query.region, municipality=query.municipality,
        language=query.language, organization_id=query.organization_id,
        task_kind=query.task_kind.value if query.task_kind else None, further_training=query.further_training,
        available_on=query.available_on, since=since, offset=(query.page - 1) * query.page_size,
        limit=query.page_size))
    results = []
    for entry in found.entries:
        expert = await deps.uow.load(Expert, entry.expert_id, what="expert")
        shown = expert.published or Profile()
        results.append({**entry.as_dict(), "name": expert.name, "introduction": shown.introduction,
                        "available_on": expert.availability.available_on(query.available_on)
                        if query.available_on else None})
    await _record_access(deps, ctx.actor, query.purpose, search=[entry.expert_id for entry in found.entries])
    return {"total": found.total, "page": query.page, "page_size": query.page_size, "results": results}


def _consents(expert: Expert, today: dt.date) -> list[dict[str, Any]]:
    return [{"purpose": c.purpose, "given_on": str(c.given_on) if c.given_on else None,
             "valid_until": str(c.valid_until) if c.valid_until else None, "in_force": c.in_force(today)}
            for c in sorted(expert.consents.values(), key=lambda c: c.purpose)]


def _contact_for_orderer(expert: Expert, today: dt.date) -> dict[str, Any]:
    """How an orderer reaches the expert: directly only as the expert wishes and with their consent to it."""
    shown = expert.published or Profile()
    direct = ConsentPurpose.orderer_contact.value in expert.consents_on(today)
    preference = shown.contact_preference if direct else ContactPreference.through_organization
    contact: dict[str, Any] = {"contact_preference": preference.value}
    if preference is ContactPreference.email:
        contact["email"] = expert.email
    elif preference is ContactPreference.phone:
        contact["phone"] = expert.phone
    return contact


async def get_expert(query: m.GetExpert, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """An expert's profile: in full for the expert, their organization's contacts and coordinators; for an
    orderer, only while the expert is listed, the profile the bank shows and the contact the expert allows.
    Every reading by someone other than the expert is recorded."""
    expert = await deps.uow.load(Expert, query.expert_id, what="expert")
    today = deps.clock.today()
    profile = {"expert_id": expert.id, "name": expert.name, "listed": expert.listed, "erased": expert.erased}
    published = expert.published.as_dict() if expert.published else None
    if _is_self(ctx.actor, expert) or _speaks_for(ctx.actor, expert.organization_ids):
        if not _is_self(ctx.actor, expert):
            await _record_access(deps, ctx.actor, query.purpose, view=expert.id)
        return {**profile, "organization_ids": expert.organization_ids, "email": expert.email, "phone": expert.phone,
                "experience": expert.experience, "trainings": expert.trainings,
                "training_records": [{"name": r.name, "kind": r.kind.value, "programme_id": r.programme_id,
                                      "completed_on": str(r.completed_on), "trained_by": r.trained_by}
                                     for r in expert.training_records],
                "consented": expert.consented, "consents": _consents(expert, today),
                "active": expert.active, "county_trained": expert.county_trained,
                "memberships_offered": list(expert.offered_memberships),
                "profile": expert.draft.as_dict(), "published": published,
                "review": {"state": expert.review.state, "listing_requested": expert.review.listing_requested,
                           "returned_reason": expert.review.returned_reason},
                "availability": {"weekdays": expert.availability.weekdays,
                                 "blackouts": [{"starts_on": str(b.starts_on), "ends_on": str(b.ends_on)}
                                               for b in expert.availability.blackouts]},
                "listing_problems": [p.reason for p in expert.listing_problems(today)]}
    if ctx.actor.role is Role.orderer and expert.listed:
        if not await deps.views.credentials_valid(ctx.actor.id, today):
            raise Forbidden(f"orderer {ctx.actor.id} has no valid credentials for the experience bank")
        await _record_access(deps, ctx.actor, query.purpose, view=expert.id)
        return {**profile, "organization_ids": expert.organization_ids, "published": published,
                "further_trainings": expert.further_trainings,
                "availability": {"weekdays": expert.availability.weekdays,
                                 "blackouts": [{"starts_on": str(b.starts_on), "ends_on": str(b.ends_on)}
                                               for b in expert.availability.blackouts]},
                **_contact_for_orderer(expert, today)}
    raise Forbidden("only the expert, their organization's contact person, a coordinator, or an orderer (for a "
                    "listed expert) may see this")


async def profiles_to_review(query: m.ProfilesToReview, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Profiles waiting for review, the longest waiting first (a contact person: their organization's members';
    a coordinator: one organization's, or everyone's)."""
    organization_id = _own_or_chosen(ctx, query.organization_id)
    waiting = []
    for item in await deps.views.profiles_to_review(organization_id):
        expert = await deps.uow.load(Expert, item.expert_id, what="expert")
        waiting.append({"expert_id": item.expert_id, "name": expert.name, "listing": item.listing,
                        "submitted_at": item.submitted_at.isoformat(), "organization_ids": expert.organization_ids})
    return waiting


async def consent_history(query: m.ConsentHistory, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """Every consent the expert has given, when it was given, until when, and when and how it ended; with
    ``at``, which were in force at that moment (the expert, their organization's contact, or a coordinator)."""
    expert = await deps.uow.load(Expert, query.expert_id, what="expert")
    if not (_is_self(ctx.actor, expert) or _speaks_for(ctx.actor, expert.organization_ids)):
        raise Forbidden("only the expert, their organization's contact person or a coordinator may see this")
    history: list[dict[str, Any]] = []
    open_by_purpose: dict[str, dict[str, Any]] = {}
    for event in await deps.uow.store.read_stream(Expert.stream_id(expert.id)):
        payload = event.payload
        if isinstance(payload, ConsentGiven):
            held = open_by_purpose.get(payload.scope)
            if held is not None:
                held.update(ended_at=event.recorded_at.isoformat(), ended_by="renewed")
            entry = {"purpose": payload.scope, "given_at": event.recorded_at.isoformat(),
                     "given_on": str(payload.given_on) if payload.given_on else None,
                     "valid_until": str(payload.valid_until) if payload.valid_until else None,
                     "ended_at": None, "ended_by": None}
            history.append(entry)
            open_by_purpose[payload.scope] = entry
        elif isinstance(payload, ConsentWithdrawn | ConsentExpired) and payload.scope in open_by_purpose:
            open_by_purpose.pop(payload.scope).update(
                ended_at=event.recorded_at.isoformat(),
                ended_by="withdrawn" if isinstance(payload, ConsentWithdrawn) else "expired")
    answer: dict[str, Any] = {"expert_id": expert.id, "history": history}
    if query.at is not None:
        moment = query.at
        day = moment.astimezone(TIMEZONE).date()
        answer["at"] = moment.isoformat()
        answer["in_force"] = sorted({
            entry["purpose"] for entry in history
            if dt.datetime.fromisoformat(entry["given_at"]) <= moment
            and (entry["ended_at"] is None or moment < dt.datetime.fromisoformat(entry["ended_at"])
                 or entry["ended_by"] == "renewed")
            and (entry["valid_until"] is None or day <= dt.date.fromisoformat(entry["valid_until"]))})
    return answer


def _access_rows(rows: list[Any], orderer_names: dict[str, str]) -> list[dict[str, Any]]:
    return [{"at": row.at.isoformat(), "kind": row.kind, "viewer_id": row.viewer_id, "viewer_role": row.viewer_role,
             "viewer_organization_id": row.viewer_organization_id, "purpose": row.purpose,
             "expert_id": row.expert_id,
             "viewer_name": orderer_names.get(row.viewer_id) if row.viewer_role == Role.orderer.value else None}
            for row in rows]


async def who_viewed(query: m.WhoViewed, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Who has searched for or looked at the expert's profile, when, in which role and for what purpose, the
    latest first (the expert themself, or a coordinator): the data subject's right of access."""
    if not (_is_self(ctx.actor, Expert(query.expert_id)) or ctx.actor.role is Role.coordinator):
        raise Forbidden("only the expert themself or a coordinator may see who has viewed the expert's profile")
    names = {row.orderer_id: row.orderer_name for row in await deps.views.orderers()}
    return _access_rows(await deps.views.access_log(expert_id=query.expert_id), names)


async def access_log(query: m.AccessLog, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The log of who searched for or looked at whom, the latest first, by expert, viewer or date (coordinator)."""
    ctx.require_role(Role.coordinator)
    names = {row.orderer_id: row.orderer_name for row in await deps.views.orderers()}
    since = dt.datetime.combine(query.since, dt.time(), TIMEZONE) if query.since else None
    return _access_rows(await deps.views.access_log(expert_id=query.expert_id, viewer_id=query.viewer_id,
                                                    since=since, limit=query.limit), names)


async def situation(query: m.Situation, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The situational picture: per organization, its experts trained, listed and active in the last year, the
    listed ones by theme and region, and the trainings it has run (a contact person: their own; a coordinator:
    one organization or every one)."""
    organization_id = _own_or_chosen(ctx, query.organization_id)
    since = deps.clock.now() - dt.timedelta(days=ASSIGNMENTS_COUNTED_DAYS)
    return [row.__dict__ for row in await deps.views.situation(organization_id, since)]


async def get_organization(query: m.GetOrganization, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """An organization and its agreements (any authenticated actor but an auditor gets the same view)."""
    organization = await deps.uow.load(Organization, query.organization_id, what="organization")
    return {
        "organization_id": organization.id, "name": organization.name,
        "kind": organization.kind.value if organization.kind else None,
        "agreements": {aid: {"valid_from": str(f), "valid_until": str(u) if u else None}
                       for aid, (f, u) in organization.agreements.items()},
    }


async def list_organizations(query: m.ListOrganizations, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Every registered organization, by id: its name and kind (anyone signed in, as get_organization)."""
    return [row.__dict__ for row in await deps.views.organizations()]


async def list_orderers(query: m.ListOrderers, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Every orderer ever granted credentials, with the address they sign in with and whether the credentials
    hold today (coordinator)."""
    ctx.require_role(Role.coordinator)
    today = deps.clock.today()
    listed = []
    for row in await deps.views.orderers():
        credentials = await deps.uow.load(OrdererCredentials, row.orderer_id, what="orderer")
        listed.append({**row.__dict__, "valid_until": str(row.valid_until) if row.valid_until else None,
                       "email": credentials.email,
                       "valid": await deps.views.credentials_valid(row.orderer_id, today)})
    return listed


async def list_experts(query: m.ListExperts, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The organization's register: each member expert's contact details, trainings, consent, listing and
    whether active (a coordinator, or the organization's contact person)."""
    _require_speaks_for(ctx.actor, query.organization_id)
    register = []
    for expert_id in await deps.views.members(query.organization_id):
        expert = await deps.uow.load(Expert, expert_id, what="expert")
        register.append({"expert_id": expert.id, "name": expert.name, "email": expert.email, "phone": expert.phone,
                         "organization_ids": expert.organization_ids, "trainings": expert.trainings,
                         "county_trained": expert.county_trained, "consented": expert.consented,
                         "listed": expert.listed, "active": expert.active, "erased": expert.erased})
    return register


async def whois(query: m.Whois, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The roles the records give whoever signs in with this e-mail address: expert, contact person of an
    organization, orderer with valid credentials (the identity service only)."""
    ctx.require_role(Role.system)
    found = await deps.views.capacities(str(query.email), deps.clock.today())
    return [capacity.model_dump(mode="json") for capacity in found]


COMMANDS: Commands = {
    "register_organization": (m.RegisterOrganization, register_organization),
    "appoint_contact_person": (m.AppointContactPerson, appoint_contact_person),
    "remove_contact_person": (m.RemoveContactPerson, remove_contact_person),
    "sign_organization_agreement": (m.SignOrganizationAgreement, sign_organization_agreement),
    "end_organization_agreement": (m.EndOrganizationAgreement, end_organization_agreement),
    "register_expert": (m.RegisterExpert, register_expert),
    "join_organization": (m.JoinOrganization, join_organization),
    "record_training": (m.RecordTraining, record_training),
    "answer_membership": (m.AnswerMembership, answer_membership),
    "leave_organization": (m.LeaveOrganization, leave_organization),
    "give_consent": (m.GiveConsent, give_consent),
    "withdraw_consent": (m.WithdrawConsent, withdraw_consent),
    "change_profile": (m.ChangeProfile, change_profile),
    "submit_profile": (m.SubmitProfile, submit_profile),
    "approve_profile": (m.ExpertCommand, approve_profile),
    "return_profile": (m.ReturnProfile, return_profile),
    "set_availability": (m.SetAvailability, set_availability),
    "define_theme": (m.DefineTheme, define_theme),
    "retire_theme": (m.RetireTheme, retire_theme),
    "define_programme": (m.DefineProgramme, define_programme),
    "open_cohort": (m.OpenCohort, open_cohort),
    "enroll_participant": (m.EnrollParticipant, enroll_participant),
    "record_module_completion": (m.RecordModuleCompletion, record_module_completion),
    "list_expert": (m.ListExpert, list_expert),
    "unlist_expert": (m.UnlistExpert, unlist_expert),
    "deactivate_expert": (m.DeactivateExpert, deactivate_expert),
    "erase_expert": (m.ExpertCommand, erase_expert),
    "grant_credentials": (m.GrantCredentials, grant_credentials),
    "revoke_credentials": (m.RevokeCredentials, revoke_credentials),
}

QUERIES: Queries = {
    "search_bank": (m.SearchBank, search_bank),
    "find_experts": (m.FindExperts, find_experts),
    "profiles_to_review": (m.ProfilesToReview, profiles_to_review),
    "consent_history": (m.ConsentHistory, consent_history),
    "who_viewed": (m.WhoViewed, who_viewed),
    "access_log": (m.AccessLog, access_log),
    "situation": (m.Situation, situation),
    "list_themes": (m.ListThemes, list_themes),
    "list_programmes": (m.ListProgrammes, list_programmes),
    "get_cohort": (m.GetCohort, get_cohort),
    "list_cohorts": (m.ListCohorts, list_cohorts),
    "get_expert": (m.GetExpert, get_expert),
    "get_organization": (m.GetOrganization, get_organization),
    "list_organizations": (m.ListOrganizations, list_organizations),
    "list_orderers": (m.ListOrderers, list_orderers),
    "list_experts": (m.ListExperts, list_experts),
    "whois": (m.Whois, whois),
}
