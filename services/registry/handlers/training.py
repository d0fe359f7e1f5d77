"""The theme vocabulary, training programmes and their cohorts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.registry import messages as m
from services.registry.domain import COUNTY, Cohort, Expert, Organization, ThemeVocabulary, TrainingProgramme
from services.registry.events import TrainingModule
from services.registry.handlers.access import own_or_chosen, require_speaks_for
from shared.errors import Forbidden
from shared.events import Role
from shared.handling import CommandContext, QueryContext

if TYPE_CHECKING:
    from services.registry.service import Deps


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
    require_speaks_for(ctx.actor, cmd.organization_id)
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
    require_speaks_for(ctx.actor, cmd.organization_id)
    await ctx.session.load(Organization, cmd.organization_id, what="organization")
    programme = await ctx.session.load(TrainingProgramme, cmd.programme_id, must_exist=False)
    existing = await ctx.session.load(Cohort, cmd.cohort_id, must_exist=False)
    cohort = Cohort.open(cmd.cohort_id, programme, cmd.organization_id, cmd.starts_on, cmd.ends_on, existing)
    await ctx.session.save(cohort, ctx.meta())
    return {"cohort_id": cmd.cohort_id}


async def _cohort_of_trainer(ctx: CommandContext, cohort_id: str) -> Cohort:
    cohort = await ctx.session.load(Cohort, cohort_id, what="cohort")
    require_speaks_for(ctx.actor, cohort.organization_id)
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
    require_speaks_for(ctx.actor, cohort.organization_id)
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


async def list_cohorts(query: m.ListCohorts, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The cohorts an organization runs (its contact person; a coordinator, of one or every organization)."""
    organization_id = own_or_chosen(ctx, query.organization_id)
    return [{**row.__dict__, "starts_on": str(row.starts_on), "ends_on": str(row.ends_on)}
            for row in await deps.views.cohorts(organization_id)]
