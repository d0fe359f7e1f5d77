"""The registry's events about training: programmes, cohorts and what an expert completed."""

from __future__ import annotations

import datetime as dt
import enum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.events import DomainEvent, Payload
from shared.upcasting import upcaster


class TrainingKind(enum.StrEnum):
    basic = "basic"  # a basic training programme: completing one is what lets an expert be listed
    further = "further"  # a further training (the network's development and advocacy training, say)


class TrainingCompleted(DomainEvent):
    """The expert completed a training programme: recorded as a whole by its trainer, or when the last module
    of the programme is completed in a cohort. Version 2 says which programme, and whether it is basic."""

    schema_version: ClassVar[int] = 2

    expert_id: str
    training: str  # the programme's name
    completed_on: dt.date
    trained_by: str  # organization id
    by_county: bool = False  # the county trained the expert (so the expert belongs to the county)
    programme_id: str | None = None
    kind: TrainingKind = TrainingKind.basic


@upcaster(TrainingCompleted, from_version=1)
def _training_kind_from_its_name(payload: Payload) -> Payload:
    # Before programmes, a training was a name: only "basic training" was a basic one.
    kind = TrainingKind.basic if payload.get("training") == "basic training" else TrainingKind.further
    return {**payload, "programme_id": None, "kind": kind.value}


# -- training programmes and cohorts ---------------------------------------------------------------------

class TrainingModule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    module_id: str
    name: str


class TrainingProgrammeDefined(DomainEvent):
    """A training programme with its modules (the county's pilot had three; the national network's basic
    training); ``organization_id`` runs it."""

    programme_id: str
    name: str
    kind: TrainingKind
    organization_id: str
    modules: list[TrainingModule]


class CohortOpened(DomainEvent):
    """A group of participants taking a programme together, on these dates (the county's 2022–2023 cohort)."""

    cohort_id: str
    programme_id: str
    organization_id: str
    starts_on: dt.date
    ends_on: dt.date


class ParticipantEnrolled(DomainEvent):
    cohort_id: str
    expert_id: str


class ModuleCompleted(DomainEvent):
    """The trainer recorded that the participant completed one module of the cohort's programme."""

    cohort_id: str
    expert_id: str
    module_id: str
    completed_on: dt.date
