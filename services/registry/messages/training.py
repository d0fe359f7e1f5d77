"""The registry's commands and queries about themes, training programmes, cohorts and completed trainings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.registry.events import (
    TrainingKind,
)
from shared.commands import Command, Request
from shared.fields import Day, Identifier, Name


class RecordTraining(Command):
    """A training programme completed as a whole (outside the system's cohorts, or before them)."""

    expert_id: Identifier
    training: Name = "basic training"
    completed_on: Day
    trained_by: Identifier
    kind: TrainingKind = TrainingKind.basic


# -- themes, programmes, cohorts -------------------------------------------------------------------------

class DefineTheme(Command):
    theme_id: Identifier
    name_fi: Name
    name_sv: Name
    name_en: Name


class RetireTheme(Command):
    theme_id: Identifier


class ListThemes(Request):
    pass


class Module(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    module_id: Identifier
    name: Name


class DefineProgramme(Command):
    programme_id: Identifier
    name: Name
    kind: TrainingKind
    organization_id: Identifier
    modules: list[Module] = Field(min_length=1, max_length=30)


class ListProgrammes(Request):
    pass


class OpenCohort(Command):
    cohort_id: Identifier
    programme_id: Identifier
    organization_id: Identifier
    starts_on: Day
    ends_on: Day


class EnrollParticipant(Command):
    cohort_id: Identifier
    expert_id: Identifier


class RecordModuleCompletion(Command):
    cohort_id: Identifier
    expert_id: Identifier
    module_id: Identifier
    completed_on: Day


class GetCohort(Request):
    cohort_id: Identifier


class ListCohorts(Request):
    organization_id: Identifier | None = None  # a contact person's own; a coordinator's choice or all
