"""The views contract for the registry's bank: profiles and their review, the ranked search, consents,
programmes and cohorts, who looked at whom, the situational picture, and what erasure leaves."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

from services.registry import events as registry
from services.registry.events import OrganizationKind
from services.registry.views import (
    AccessRow,
    BankPage,
    BankQuery,
    ProgrammeRow,
    SituationRow,
)
from shared.envelope import RecordedEvent
from shared.events import Actor, DomainEvent, NewEvent, Role
from tests.contract.feed import opened


async def test_registry_profiles_and_the_bank(views_of):
    async with views_of("registry") as feed:
        views = feed.views

        async def by_expert(expert_id: str, payload: DomainEvent) -> RecordedEvent:
            """Recorded with the expert as the actor (what they do themself counts as their recent activity)."""
            store = feed.stores["registry"]
            stream_id = f"expert-{expert_id}"
            async with feed.transaction() as connection:
                version = len(await store.read_stream(stream_id, connection=connection))
                [event] = await store.append(stream_id, version, [
                    NewEvent(payload, Actor(id=expert_id, role=Role.expert), subject_id=expert_id)],
                    connection=connection)
                await views.project(event, connection)
            await asyncio.sleep(0.001)
            return event

        def themes(*pairs: tuple[str, str]) -> str:
            return json.dumps([{"theme": t, "relation": r} for t, r in pairs])

        for organization_id in ("mieli", "other"):
            await feed.follow(f"organization-{organization_id}", registry.OrganizationRegistered(
                organization_id=organization_id, name=organization_id.title(), kind=OrganizationKind.ngo))
        for expert_id, organization_id in (("maija", "mieli"), ("pekka", "mieli"), ("liisa", "other"),
                                           ("aino", "mieli")):
            await feed.follow(f"expert-{expert_id}", registry.ExpertRegistered(
                expert_id=expert_id, organization_id=organization_id, name=expert_id, email=f"{expert_id}@x.fi"))
            await feed.follow(f"expert-{expert_id}", registry.TrainingCompleted(
                expert_id=expert_id, training="basic training", completed_on=dt.date(2026, 1, 5),
                trained_by=organization_id))
        await feed.follow("expert-pekka", registry.TrainingCompleted(
            expert_id="pekka", training="Advocacy", completed_on=dt.date(2026, 2, 5), trained_by="other",
            programme_id="advocacy", kind=registry.TrainingKind.further))
        profiles = {
            "maija": dict(themes=themes(("eating-disorders", "own"), ("depression", "relative")),
                          municipality="Turku", regions=["Varsinais-Suomi"], languages=["fi", "sv"],
                          task_kinds=[registry.TaskKind.talk]),
            "pekka": dict(themes=themes(("eating-disorders", "relative")), municipality="Helsinki",
                          regions=["Uusimaa"], languages=["fi"], task_kinds=[registry.TaskKind.media]),
            "liisa": dict(themes=themes(("substance-use", "own")), regions=[], languages=["fi", "en"]),
        }
        for expert_id in profiles:
            await by_expert(expert_id, registry.ProfileSubmittedForReview(expert_id=expert_id, listing=True))
        assert [item.expert_id for item in await views.profiles_to_review(None)] == ["maija", "pekka", "liisa"]
        assert [item.expert_id for item in await views.profiles_to_review("mieli")] == ["maija", "pekka"]
        for expert_id, fields in profiles.items():
            await feed.follow(f"expert-{expert_id}", registry.ProfileApproved(expert_id=expert_id, **fields))
            organization_ids = ["other"] if expert_id == "liisa" else ["mieli"]
            await feed.follow(f"expert-{expert_id}", registry.ExpertListed(
                expert_id=expert_id, organization_ids=organization_ids, county_trained=False, topics=[],
                languages=fields["languages"], regions=fields["regions"]))
        assert await views.profiles_to_review(None) == []
        await by_expert("pekka", registry.AvailabilityChanged(expert_id="pekka", weekdays=[1, 2, 3, 4, 5], blackouts=[
            registry.BlackoutPeriod(starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2026, 12, 6))]))
        await by_expert("maija", registry.AvailabilityChanged(expert_id="maija", weekdays=[6, 7]))

        async def found(**criteria: Any) -> list[str]:
            return [entry.expert_id for entry in (await views.find_in_bank(BankQuery(**criteria))).entries]

        assert await found() == ["maija", "pekka", "liisa"]  # the most recently active first
        assert await found(themes=("eating-disorders", "depression")) == ["maija", "pekka"]
        assert await found(themes=("depression", "substance-use")) == ["maija", "liisa"]
        assert await found(themes=("eating-disorders",), relation="relative") == ["pekka"]
        assert await found(themes=("depression",), relation="own") == []
        assert await found(region="Uusimaa") == ["pekka", "liisa"]
        assert await found(municipality="Turku") == ["maija"]
        assert await found(language="en") == ["liisa"]
        assert await found(organization_id="other") == ["liisa"]
        assert await found(task_kind="media") == ["pekka"]
        assert await found(further_training="advocacy") == ["pekka"]
        assert await found(available_on=dt.date(2026, 12, 2)) == ["liisa"]
        assert await found(available_on=dt.date(2026, 12, 7)) == ["pekka", "liisa"]
        assert await found(themes=("eating-disorders",), region="Varsinais-Suomi", language="sv") == ["maija"]
        page = await views.find_in_bank(BankQuery(offset=1, limit=1))
        assert page.total == 3 and [entry.expert_id for entry in page.entries] == ["pekka"]
        [maija] = (await views.find_in_bank(BankQuery(municipality="Turku"))).entries
        assert (maija.themes_own, maija.themes_relative, maija.regions, maija.languages, maija.task_kinds,
                maija.weekdays, maija.themes_matched, maija.recent_assignments) == (
            ["eating-disorders"], ["depression"], ["Varsinais-Suomi"], ["fi", "sv"], ["talk"], [6, 7], 0, 0)
        assert maija.last_active is not None
        empty = await views.find_in_bank(BankQuery(themes=("nothing",), offset=40))
        assert empty == BankPage(0, [])

        # The orders service's engagements count as recent assignments: among the recently active (all three),
        # fewer first.
        for expert_id in ("pekka", "maija", "maija", "nobody"):  # nobody: no expert of this registry, no row
            engagement = opened(uuid.uuid4(), expert_id, "school-1", dt.date(2026, 3, 20))
            await feed.follow(f"engagement-{engagement.engagement_id}", engagement,
                              engagement_id=engagement.engagement_id)
        page = await views.find_in_bank(BankQuery())
        assert [(entry.expert_id, entry.recent_assignments) for entry in page.entries] == [
            ("liisa", 0), ("pekka", 1), ("maija", 2)]
        long_after = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)  # nothing counts as recent: by activity again
        assert [(entry.expert_id, entry.recent_assignments) for entry in (
            await views.find_in_bank(BankQuery(since=long_after))).entries] == [
            ("maija", 0), ("pekka", 0), ("liisa", 0)]

        # Unlisted: out of the bank, still an expert of the organization.
        await feed.follow("expert-pekka", registry.ExpertUnlisted(expert_id="pekka", reason="on leave"))
        assert await found() == ["liisa", "maija"]  # maija's two assignments after liisa's none
        await feed.follow("expert-liisa", registry.ExpertLeftOrganization(expert_id="liisa", organization_id="other"))
        assert await views.members("other") == []

        # Consents: due when past their end, or ending within the days and not yet reminded of for that end.
        for expert_id, until in (("maija", dt.date(2026, 12, 10)), ("pekka", dt.date(2027, 6, 1)),
                                 ("liisa", dt.date(2026, 11, 20)), ("aino", None)):
            await by_expert(expert_id, registry.ConsentGiven(expert_id=expert_id, given_on=dt.date(2025, 1, 1),
                                                             valid_until=until))
        today = dt.date(2026, 11, 25)
        assert await views.consents_due(today, 30) == ["liisa", "maija"]
        await feed.follow("expert-maija", registry.ConsentExpiryReminded(expert_id="maija", scope="bank_listing",
                                                                        valid_until=dt.date(2026, 12, 10)))
        await feed.follow("expert-liisa", registry.ConsentExpired(expert_id="liisa", scope="bank_listing",
                                                                 valid_until=dt.date(2026, 11, 20)))
        assert await views.consents_due(today, 30) == []
        assert await views.consents_due(dt.date(2026, 12, 11), 30) == ["maija"]
        await by_expert("maija", registry.ConsentGiven(expert_id="maija", given_on=today,
                                                       valid_until=dt.date(2026, 12, 20)))  # renewed: remind again
        assert await views.consents_due(today, 30) == ["maija"]
        await feed.follow("expert-maija", registry.ConsentWithdrawn(expert_id="maija"))
        assert await views.consents_due(dt.date(2027, 1, 1), 30) == []

        # Programmes and cohorts.
        modules = [registry.TrainingModule(module_id=f"m{n}", name=f"Module {n}") for n in (1, 2, 3)]
        await feed.follow("programme-pilot", registry.TrainingProgrammeDefined(
            programme_id="pilot", name="Pilot", kind=registry.TrainingKind.basic, organization_id="mieli",
            modules=modules))
        await feed.follow("programme-advocacy", registry.TrainingProgrammeDefined(
            programme_id="advocacy", name="Advocacy", kind=registry.TrainingKind.further, organization_id="other",
            modules=modules[:1]))
        assert await views.programmes() == [
            ProgrammeRow("advocacy", "Advocacy", "further", "other", [{"module_id": "m1", "name": "Module 1"}]),
            ProgrammeRow("pilot", "Pilot", "basic", "mieli", [{"module_id": f"m{n}", "name": f"Module {n}"}
                                                              for n in (1, 2, 3)])]
        for cohort_id, starts in (("c-2022", dt.date(2022, 9, 1)), ("c-2024", dt.date(2024, 9, 1)),
                                  ("b-2024", dt.date(2024, 9, 1))):
            await feed.follow(f"cohort-{cohort_id}", registry.CohortOpened(
                cohort_id=cohort_id, programme_id="pilot", organization_id="mieli", starts_on=starts,
                ends_on=starts + dt.timedelta(days=200)))
        for expert_id in ("maija", "pekka"):
            await feed.follow("cohort-c-2022", registry.ParticipantEnrolled(cohort_id="c-2022", expert_id=expert_id))
        assert [(row.cohort_id, row.participants) for row in await views.cohorts("mieli")] == [
            ("b-2024", 0), ("c-2024", 0), ("c-2022", 2)]
        assert await views.cohorts("other") == []

        # Who looked at whom: one row per expert shown, the latest first.
        school = dict(viewer_id="school", viewer_role="orderer", viewer_organization_id="city",
                      purpose=registry.AccessPurpose.finding_an_expert)
        searched = await feed.follow("access-1", registry.BankSearched(**school, expert_ids=["maija", "pekka"]))
        viewed = await feed.follow("access-2", registry.ProfileViewed(**school, expert_id="maija"))
        await feed.follow("access-3", registry.ProfileViewed(
            viewer_id="olli", viewer_role="organization_contact", viewer_organization_id="mieli",
            purpose=registry.AccessPurpose.profile_review, expert_id="pekka"))
        await feed.follow("access-4", registry.BankSearched(**school, expert_ids=[]))
        log = await views.access_log(expert_id="maija")
        assert [(row.kind, row.viewer_id, row.purpose) for row in log] == [
            ("view", "school", "finding_an_expert"), ("search", "school", "finding_an_expert")]
        assert log[0] == AccessRow(viewed.recorded_at, "view", "school", "orderer", "city", "finding_an_expert",
                                   "maija")
        assert [(row.kind, row.expert_id) for row in await views.access_log(viewer_id="school")] == [
            ("view", "maija"), ("search", "maija"), ("search", "pekka")]
        assert len(await views.access_log(limit=2)) == 2
        assert [row.expert_id for row in await views.access_log(since=viewed.recorded_at)] == ["pekka", "maija"]
        assert searched.recorded_at < viewed.recorded_at

        # The situational picture: per organization.
        since = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        picture = {row.organization_id: row for row in await views.situation(None, since)}
        assert picture["mieli"] == SituationRow("mieli", "Mieli", 3, 3, 1, 3, {"depression": 1, "eating-disorders": 1},
                                                {"Varsinais-Suomi": 1}, 3, 3)
        assert picture["other"] == SituationRow("other", "Other", 0, 0, 0, 0, {}, {}, 0, 2)
        assert await views.situation("other", since) == [picture["other"]]
        future = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
        assert (await views.situation("mieli", future))[0].active == 0

        # Retention: deactivated before the cut-off, with nothing of their own or assigned to them since. Aino
        # (never active herself) is deactivated, then assigned once more; the others stay active.
        deactivated = await feed.follow("expert-aino", registry.ExpertDeactivated(expert_id="aino", reason="left"))
        await asyncio.sleep(0.001)
        between = dt.datetime.now(dt.UTC)
        await asyncio.sleep(0.001)
        assigned = opened(uuid.uuid4(), "aino", "school-1", dt.date(2026, 3, 20))
        last = await feed.follow(f"engagement-{assigned.engagement_id}", assigned, engagement_id=assigned.engagement_id)
        assert await views.retention_due(deactivated.recorded_at) == []  # not deactivated before it
        assert await views.retention_due(between) == []  # assigned since
        after = last.recorded_at + dt.timedelta(microseconds=1)
        assert await views.retention_due(after) == ["aino"]

        await feed.follow("expert-maija", registry.ExpertErased(expert_id="maija"))
        assert await found() == ["liisa"]
        # Who looked at an erased expert is no longer in the log; whom the same viewers looked at besides is.
        assert await views.access_log(expert_id="maija") == []
        assert [(row.kind, row.expert_id) for row in await views.access_log(viewer_id="school")] == [
            ("search", "pekka")]
