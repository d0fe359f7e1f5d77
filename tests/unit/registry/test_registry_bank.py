"""The registry in depth: availability, the ranked bank search, who looked at whom, and the situational picture."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.orders import events as orders
from services.registry import handlers as h, messages as m
from shared.errors import Forbidden
from shared.events import Actor, Role, events_in
from shared.eventstore.memory import InMemoryEventStore
from tests.unit.calls import call, hand_over
from tests.unit.registry.depth import (
    CONTACT,
    COORDINATOR,
    MAIJA,
    OTHER_CONTACT,
    PEKKA,
    SCHOOL,
    county,
    expert,
    later,
    listed,
    published,
)

# -- availability and the bank ---------------------------------------------------------------------------

async def test_the_bank_filters_by_availability_and_every_criterion_and_ranks_so_work_spreads(deps):
    await county(deps)
    await listed(deps, "maija", themes=[{"theme": "eating-disorders", "relation": "own"},
                                        {"theme": "depression", "relation": "relative"}])
    await listed(deps, "pekka", themes=[{"theme": "eating-disorders", "relation": "relative"}],
                 regions=["Uusimaa"], municipality="Helsinki", task_kinds=["media"], languages=["fi"])
    await listed(deps, "liisa", "other", OTHER_CONTACT, themes=[{"theme": "substance-use", "relation": "own"}],
                 regions=[], languages=["fi"])
    pekka = Actor(id="pekka", role=Role.expert)
    maija = Actor(id="maija", role=Role.expert)
    await call(h.set_availability, m.SetAvailability(expert_id="pekka", weekdays=[1, 2, 3, 4, 5], blackouts=[
        {"starts_on": "2026-12-01", "ends_on": "2026-12-06"}]), pekka, deps)
    # Maija did something herself last: ranked first among equals.
    await call(h.set_availability, m.SetAvailability(expert_id="maija", weekdays=[6, 7]), maija, deps)

    async def ids(**criteria) -> list[str]:
        page = await call(h.find_experts, m.FindExperts(**criteria), SCHOOL, deps)
        return [r["expert_id"] for r in page["results"]]

    assert await ids(themes=["eating-disorders", "depression"]) == ["maija", "pekka"]  # two themes matched first
    assert await ids(themes=["eating-disorders"], relation="own") == ["maija"]
    assert await ids(themes=["eating-disorders"], relation="relative") == ["pekka"]
    assert await ids(region="Uusimaa") == ["pekka", "liisa"]  # liisa names no region: she works anywhere
    assert await ids(municipality="Helsinki") == ["pekka"]
    assert await ids(language="sv") == ["maija"]
    assert await ids(organization_id="other") == ["liisa"]
    assert await ids(task_kind="media") == ["pekka"]
    assert await ids(available_on="2026-12-02") == ["liisa"]  # pekka's blackout, maija's weekends
    assert await ids(available_on="2026-12-07") == ["pekka", "liisa"]
    assert await ids(available_on="2026-12-05") == ["maija", "liisa"]
    first = await call(h.find_experts, m.FindExperts(page_size=2), SCHOOL, deps)
    second = await call(h.find_experts, m.FindExperts(page_size=2, page=2), SCHOOL, deps)
    assert first["total"] == second["total"] == 3
    assert [r["expert_id"] for r in first["results"] + second["results"]] == ["maija", "pekka", "liisa"]


async def test_among_equals_the_expert_with_fewer_recent_engagements_comes_first(deps):
    """The orders service's engagements reach the registry as events: each counts for a year, so work spreads."""
    await county(deps)
    await listed(deps, "maija")
    await listed(deps, "pekka")
    orders_store = InMemoryEventStore("orders", events_in(orders))

    async def engaged(expert_id: str) -> None:
        engagement_id = uuid.uuid4()
        await hand_over(h.CONSUMES, deps, orders_store, orders.EngagementOpened(
            engagement_id=engagement_id, order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id=expert_id,
            orderer_id="school", task_type=orders.TaskType.lecture, topic="recovery", date=dt.date(2026, 12, 14),
            duration_hours=2, remote=True, fee=orders.FeeTerms(mode=orders.FeeMode.recommended)),
            f"engagement-{engagement_id}", engagement_id=engagement_id, subject_id="school")

    async def ranked() -> list[tuple[str, int]]:
        page = await call(h.find_experts, m.FindExperts(themes=["eating-disorders"]), SCHOOL, deps)
        return [(r["expert_id"], r["recent_assignments"]) for r in page["results"]]

    assert await ranked() == [("pekka", 0), ("maija", 0)]  # both active this year: pekka more lately
    await engaged("pekka")
    assert await ranked() == [("maija", 0), ("pekka", 1)]  # fewer engagements before later activity
    await engaged("maija")
    await engaged("maija")
    assert await ranked() == [("pekka", 1), ("maija", 2)]
    # A year on, those engagements no longer count.
    assert [r["recent_assignments"] for r in (await call(
        h.find_experts, m.FindExperts(), SCHOOL, later(deps, dt.date(2028, 1, 3))))["results"]] == [0, 0]


async def test_only_credentialed_orderers_contact_persons_and_coordinators_search(deps):
    await county(deps)
    await listed(deps)
    await call(h.revoke_credentials, m.RevokeCredentials(orderer_id="school", reason="left"), COORDINATOR, deps)
    with pytest.raises(Forbidden):
        await call(h.find_experts, m.FindExperts(), SCHOOL, deps)
    with pytest.raises(Forbidden):
        await call(h.find_experts, m.FindExperts(), MAIJA, deps)
    for actor in (OTHER_CONTACT, COORDINATOR):
        assert (await call(h.find_experts, m.FindExperts(), actor, deps))["total"] == 1
    await call(h.grant_credentials, m.GrantCredentials(orderer_id="school", orderer_name="Turun koulu",
                                                       valid_until="2026-12-31"), COORDINATOR, deps)
    assert (await call(h.find_experts, m.FindExperts(), SCHOOL, deps))["total"] == 1
    with pytest.raises(Forbidden):  # the credentials have run out
        await call(h.find_experts, m.FindExperts(), SCHOOL, later(deps, dt.date(2027, 1, 1)))

    # Credentials scoped to one organization's staff hold only for someone acting for it.
    await call(h.grant_credentials, m.GrantCredentials(orderer_id="clinic", orderer_name="Klinikka",
                                                       organization_id="clinic-org"), COORDINATOR, deps)
    clinic_staff = Actor(id="clinic", role=Role.orderer, organization_id="clinic-org")
    assert (await call(h.find_experts, m.FindExperts(), clinic_staff, deps))["total"] == 1
    for elsewhere in (None, "school-org"):
        with pytest.raises(Forbidden) as refused:
            await call(h.find_experts, m.FindExperts(),
                       Actor(id="clinic", role=Role.orderer, organization_id=elsewhere), deps)
        assert "no valid credentials" in str(refused.value)


async def test_an_orderer_reaches_the_expert_directly_only_as_the_expert_wishes(deps):
    await county(deps)
    maija = await listed(deps, contact_preference="email")
    seen = await call(h.get_expert, m.GetExpert(expert_id="maija"), SCHOOL, deps)
    assert seen["contact_preference"] == "through_organization" and "email" not in seen  # no consent to it yet
    assert "experience" not in seen and seen["published"]["introduction"] == "I speak about recovery."
    await call(h.give_consent, m.GiveConsent(expert_id="maija", purpose="orderer_contact"), maija, deps)
    seen = await call(h.get_expert, m.GetExpert(expert_id="maija"), SCHOOL, deps)
    assert seen["contact_preference"] == "email" and seen["email"] == "maija@example.org" and "phone" not in seen


# -- who looked at whom ----------------------------------------------------------------------------------

async def test_every_search_and_every_view_is_recorded_and_the_expert_sees_who_looked(deps):
    await county(deps)
    await listed(deps)
    await listed(deps, "pekka")
    shown = await call(h.find_experts, m.FindExperts(themes=["eating-disorders"]), SCHOOL, deps)
    assert [r["expert_id"] for r in shown["results"]] == ["pekka", "maija"]  # pekka was active last
    await call(h.get_expert, m.GetExpert(expert_id="maija"), SCHOOL, deps)
    await call(h.get_expert, m.GetExpert(expert_id="maija", purpose="profile_review"), CONTACT, deps)
    await call(h.get_expert, m.GetExpert(expert_id="maija"), MAIJA, deps)  # her own: not recorded

    viewed = await call(h.who_viewed, m.WhoViewed(expert_id="maija"), MAIJA, deps)
    assert [(v["kind"], v["viewer_id"], v["viewer_role"], v["purpose"], v["viewer_name"]) for v in viewed] == [
        ("view", "olli", "organization_contact", "profile_review", None),
        ("view", "school", "orderer", "finding_an_expert", "Turun koulu"),
        ("search", "school", "orderer", "finding_an_expert", "Turun koulu"),
    ]
    with pytest.raises(Forbidden):
        await call(h.who_viewed, m.WhoViewed(expert_id="maija"), PEKKA, deps)
    with pytest.raises(Forbidden):
        await call(h.access_log, m.AccessLog(), CONTACT, deps)
    log = await call(h.access_log, m.AccessLog(viewer_id="school"), COORDINATOR, deps)
    assert [(row["kind"], row["expert_id"]) for row in log] == [("view", "maija"), ("search", "pekka"),
                                                                ("search", "maija")]
    [searched] = published(deps, "BankSearched")
    assert "eating" not in str(searched.payload)  # the criteria are not kept: with the ids they would say too much


# -- the organization's register and the situational picture ---------------------------------------------

async def test_the_situational_picture_counts_each_organizations_experts_by_theme_and_region(deps):
    await county(deps)
    await listed(deps, "maija")
    await listed(deps, "pekka", themes=[{"theme": "eating-disorders", "relation": "relative"},
                                        {"theme": "depression", "relation": "own"}], regions=["Uusimaa"])
    await expert(deps, "aino", trained=False, consent=False)
    picture = {row["organization_id"]: row for row in await call(h.situation, m.Situation(), COORDINATOR, deps)}
    mieli = picture["mieli"]
    assert (mieli["experts"], mieli["trained"], mieli["listed"], mieli["trainings_completed"]) == (3, 2, 2, 2)
    assert mieli["by_theme"] == {"depression": 1, "eating-disorders": 2}
    assert mieli["by_region"] == {"Uusimaa": 1, "Varsinais-Suomi": 1}
    assert mieli["active"] == 2  # aino has done nothing herself yet
    assert picture["other"]["experts"] == 0
    own = await call(h.situation, m.Situation(), CONTACT, deps)
    assert [row["organization_id"] for row in own] == ["mieli"]
    with pytest.raises(Forbidden):
        await call(h.situation, m.Situation(organization_id="other"), CONTACT, deps)


async def test_who_is_away_on_a_day_is_told_to_those_who_may_search_the_bank_never_the_dates(deps):
    await county(deps)
    await listed(deps, "maija")
    await listed(deps, "pekka")
    await call(h.set_availability, m.SetAvailability(expert_id="pekka", weekdays=[1, 2, 3, 4, 5], blackouts=[
        {"starts_on": "2026-12-01", "ends_on": "2026-12-06"}]), Actor(id="pekka", role=Role.expert), deps)
    asked = m.ExpertsAway(expert_ids=["maija", "pekka", "nobody"], date=dt.date(2026, 12, 6))
    assert await call(h.experts_away, asked, SCHOOL, deps) == {"date": "2026-12-06", "away": ["pekka"]}
    assert (await call(h.experts_away, asked.model_copy(update={"date": dt.date(2026, 12, 7)}), COORDINATOR,
                       deps))["away"] == []
    with pytest.raises(Forbidden):
        await call(h.experts_away, asked, Actor(id="maija", role=Role.expert), deps)
    seen = await call(h.who_viewed, m.WhoViewed(expert_id="pekka"), Actor(id="pekka", role=Role.expert), deps)
    assert any(row["viewer_id"] == SCHOOL.id for row in seen)  # asked about: recorded, as a search is
