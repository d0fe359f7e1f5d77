"""Training programmes with their modules, and cohorts that take them: the trainer records each module a
participant completes, and the last one completes the programme. No I/O here."""

from __future__ import annotations

import datetime as dt

from services.registry.events import (
    CohortOpened,
    ModuleCompleted,
    ParticipantEnrolled,
    TrainingKind,
    TrainingModule,
    TrainingProgrammeDefined,
)
from shared.aggregate import Aggregate
from shared.errors import Conflict, invalid


class TrainingProgramme(Aggregate):
    stream_prefix = "programme"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.name = ""
        self.kind = TrainingKind.basic
        self.organization_id = ""
        self.modules: list[TrainingModule] = []

    @classmethod
    def define(cls, programme_id: str, name: str, kind: TrainingKind, organization_id: str,
               modules: list[TrainingModule], existing: TrainingProgramme) -> TrainingProgramme:
        if existing.exists:
            raise Conflict(f"training programme {programme_id} is already defined")
        ids = [module.module_id for module in modules]
        repeated = sorted({module_id for module_id in ids if ids.count(module_id) > 1})
        if repeated:
            raise invalid("modules", f"names module {', '.join(repeated)} twice", "each module once")
        programme = cls(programme_id)
        programme.record(TrainingProgrammeDefined(programme_id=programme_id, name=name, kind=kind,
                                                  organization_id=organization_id, modules=modules))
        return programme

    @property
    def module_ids(self) -> list[str]:
        return [module.module_id for module in self.modules]

    def when_TrainingProgrammeDefined(self, event: TrainingProgrammeDefined) -> None:
        self.name, self.kind, self.organization_id = event.name, event.kind, event.organization_id
        self.modules = list(event.modules)


class Cohort(Aggregate):
    stream_prefix = "cohort"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.programme_id = ""
        self.organization_id = ""
        self.starts_on = dt.date.min
        self.ends_on = dt.date.min
        self.participants: list[str] = []
        self.completed: dict[str, dict[str, dt.date]] = {}  # expert id -> module id -> completed on

    @classmethod
    def open(cls, cohort_id: str, programme: TrainingProgramme, organization_id: str, starts_on: dt.date,
             ends_on: dt.date, existing: Cohort) -> Cohort:
        if existing.exists:
            raise Conflict(f"cohort {cohort_id} is already opened")
        if not programme.exists:
            raise invalid("programme_id", "no such training programme", "the id of a defined programme")
        if ends_on < starts_on:
            raise invalid("ends_on", "ends before it starts", f"a date on or after {starts_on}")
        cohort = cls(cohort_id)
        cohort.record(CohortOpened(cohort_id=cohort_id, programme_id=programme.id, organization_id=organization_id,
                                   starts_on=starts_on, ends_on=ends_on))
        return cohort

    def enroll(self, expert_id: str) -> None:
        if expert_id in self.participants:
            raise Conflict(f"{expert_id} already takes part in cohort {self.id}")
        self.record(ParticipantEnrolled(cohort_id=self.id, expert_id=expert_id))

    def complete_module(self, programme: TrainingProgramme, expert_id: str, module_id: str, completed_on: dt.date,
                        today: dt.date) -> bool:
        """Record one module; True when the participant has now completed every module of the programme."""
        if expert_id not in self.participants:
            raise invalid("expert_id", f"does not take part in cohort {self.id}", ", ".join(self.participants) or None)
        if module_id not in programme.module_ids:
            raise invalid("module_id", f"is not a module of {programme.name}", ", ".join(programme.module_ids))
        if completed_on > today:
            raise invalid("completed_on", "is in the future", f"a date on or before {today}")
        if completed_on < self.starts_on:
            raise invalid("completed_on", "is before the cohort started", f"a date on or after {self.starts_on}")
        if module_id in self.completed.get(expert_id, {}):
            raise Conflict(f"{expert_id} has already completed module {module_id}")
        self.record(ModuleCompleted(cohort_id=self.id, expert_id=expert_id, module_id=module_id,
                                    completed_on=completed_on))
        return set(self.completed[expert_id]) >= set(programme.module_ids)

    def when_CohortOpened(self, event: CohortOpened) -> None:
        self.programme_id, self.organization_id = event.programme_id, event.organization_id
        self.starts_on, self.ends_on = event.starts_on, event.ends_on

    def when_ParticipantEnrolled(self, event: ParticipantEnrolled) -> None:
        self.participants.append(event.expert_id)

    def when_ModuleCompleted(self, event: ModuleCompleted) -> None:
        self.completed.setdefault(event.expert_id, {})[event.module_id] = event.completed_on
