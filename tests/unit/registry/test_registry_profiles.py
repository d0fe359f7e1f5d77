"""The registry in depth: the expert's profile and its review, and training programmes completed module by module."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.registry import handlers as h, messages as m
from services.registry.events import TrainingCompleted
from shared.errors import Forbidden, Invalid
from shared.eventstore.crypto import is_encrypted
from shared.upcasting import upcast
from tests.unit.calls import call
from tests.unit.registry.depth import (
    CONTACT,
    COORDINATOR,
    OTHER_CONTACT,
    SCHOOL,
    TODAY,
    county,
    expert,
    listed,
    profile,
    published,
)

# -- the profile and its review --------------------------------------------------------------------------

async def test_the_expert_keeps_a_profile_that_the_bank_shows_only_once_a_reviewer_approves_it(deps):
    await county(deps)
    maija = await expert(deps)
    changed = await call(h.change_profile, profile(), maija, deps)
    assert changed["review"] == "draft" and changed["listed"] is False
    await call(h.submit_profile, m.SubmitProfile(expert_id="maija", listing=True), maija, deps)
    assert [e["expert_id"] for e in await call(h.profiles_to_review, m.ProfilesToReview(), CONTACT, deps)] == ["maija"]
    assert await call(h.profiles_to_review, m.ProfilesToReview(), OTHER_CONTACT, deps) == []
    page = await call(h.find_experts, m.FindExperts(), SCHOOL, deps)
    assert page["total"] == 0  # waiting for review: not in the bank

    with pytest.raises(Forbidden):  # a contact person of another organization is no reviewer of hers
        await call(h.approve_profile, m.ExpertCommand(expert_id="maija"), OTHER_CONTACT, deps)
    approved = await call(h.approve_profile, m.ExpertCommand(expert_id="maija"), CONTACT, deps)
    assert approved["listed"] is True and approved["not_listed_because"] == []
    page = await call(h.find_experts, m.FindExperts(themes=["eating-disorders"]), SCHOOL, deps)
    assert [(r["expert_id"], r["themes_own"], r["municipality"]) for r in page["results"]] == \
        [("maija", ["eating-disorders"], "Turku")]

    # A later change waits for review; the bank shows the approved profile meanwhile.
    await call(h.change_profile, profile(themes=[{"theme": "depression", "relation": "relative"}]), maija, deps)
    await call(h.submit_profile, m.SubmitProfile(expert_id="maija"), maija, deps)
    assert (await call(h.find_experts, m.FindExperts(themes=["depression"]), SCHOOL, deps))["total"] == 0
    await call(h.return_profile, m.ReturnProfile(expert_id="maija", reason="Name no diagnosis in the introduction."),
               CONTACT, deps)
    mine = await call(h.get_expert, m.GetExpert(expert_id="maija"), maija, deps)
    assert mine["review"]["state"] == "returned"
    assert mine["review"]["returned_reason"] == "Name no diagnosis in the introduction."
    assert mine["published"]["themes"] == [{"theme": "eating-disorders", "relation": "own"}]
    await call(h.submit_profile, m.SubmitProfile(expert_id="maija"), maija, deps)
    await call(h.approve_profile, m.ExpertCommand(expert_id="maija"), COORDINATOR, deps)
    assert (await call(h.find_experts, m.FindExperts(themes=["depression"]), SCHOOL, deps))["total"] == 1


async def test_the_themes_travel_sealed_and_no_listing_names_them_in_clear(deps):
    await county(deps)
    await listed(deps)
    for event_type in ("ExpertProfileChanged", "ProfileApproved"):
        [sealed] = published(deps, event_type)
        assert "eating-disorders" not in str(sealed.payload) and "Turku" not in str(sealed.payload)
    [listing] = published(deps, "ExpertListed")
    assert is_encrypted(listing.payload["topics"]) and "eating" not in str(listing.payload)
    [returned] = [e for e in deps.uow.store.published if e.event_type == "ProfileSubmittedForReview"]
    assert returned.subject_id == "maija"


async def test_bad_profiles_are_refused_naming_the_field_and_nothing_is_recorded(deps):
    await county(deps)
    maija = await expert(deps)
    before = len(deps.uow.store.published)
    with pytest.raises(Invalid) as unknown:
        await call(h.change_profile, profile(themes=[{"theme": "depression", "relation": "own"},
                                                     {"theme": "astrology", "relation": "own"}]), maija, deps)
    assert [p.field for p in unknown.value.fields] == ["themes.1.theme"]
    with pytest.raises(ValidationError) as video:
        profile(video_url="ftp://example.org/me.mp4")
    assert video.value.errors()[0]["loc"] == ("video_url",)
    with pytest.raises(ValidationError) as cv:
        profile(cv="x" * (m.CV_LIMIT + 1))
    assert cv.value.errors()[0]["loc"] == ("cv",)
    with pytest.raises(Invalid) as blackout:
        await call(h.set_availability, m.SetAvailability(expert_id="maija", weekdays=[1, 2], blackouts=[
            {"starts_on": "2026-12-01", "ends_on": "2026-12-10"},
            {"starts_on": "2026-12-20", "ends_on": "2026-12-19"}]), maija, deps)
    assert [p.field for p in blackout.value.fields] == ["blackouts.1.ends_on"]
    assert len(deps.uow.store.published) == before
    with pytest.raises(Forbidden):  # only the expert keeps their profile
        await call(h.change_profile, profile(), CONTACT, deps)


async def test_a_retired_theme_stays_on_the_profiles_that_name_it_but_no_new_one_names_it(deps):
    await county(deps)
    maija = await listed(deps)
    pekka = await expert(deps, "pekka")
    await call(h.retire_theme, m.RetireTheme(theme_id="eating-disorders"), COORDINATOR, deps)
    assert await call(h.change_profile, profile(introduction="Changed."), maija, deps)
    with pytest.raises(Invalid):
        await call(h.change_profile, profile("pekka"), pekka, deps)
    themes = await call(h.list_themes, m.ListThemes(), SCHOOL, deps)
    assert [(t["theme_id"], t["retired"]) for t in themes] == [
        ("depression", False), ("eating-disorders", True), ("substance-use", False)]


# -- trainings -------------------------------------------------------------------------------------------

async def test_only_a_complete_basic_programme_lets_an_expert_be_listed(deps):
    await county(deps)
    maija = await expert(deps, trained=False)
    await call(h.record_training, m.RecordTraining(expert_id="maija", training="Development and advocacy",
                                                  kind="further", completed_on=TODAY, trained_by="mieli"),
               CONTACT, deps)
    await call(h.change_profile, profile(), maija, deps)
    with pytest.raises(Invalid) as refused:
        await call(h.list_expert, m.ListExpert(expert_id="maija"), CONTACT, deps)
    assert [p.reason for p in refused.value.fields] == ["has not completed a basic training"]

    # The county's pilot: three modules, a cohort, the modules recorded one by one by the trainer.
    modules = [{"module_id": f"m{n}", "name": name} for n, name in enumerate(
        ("Building experience expertise", "Knowledge alongside experience", "Me as an experience expert"), 1)]
    await call(h.define_programme, m.DefineProgramme(programme_id="varha-pilot", name="Varha pilot", kind="basic",
                                                    organization_id="varha", modules=modules), COORDINATOR, deps)
    with pytest.raises(Forbidden):
        await call(h.open_cohort, m.OpenCohort(cohort_id="c", programme_id="varha-pilot", organization_id="varha",
                                               starts_on="2022-09-01", ends_on="2023-04-30"), CONTACT, deps)
    await call(h.open_cohort, m.OpenCohort(cohort_id="varha-2022", programme_id="varha-pilot", organization_id="varha",
                                           starts_on="2022-09-01", ends_on="2023-04-30"), COORDINATOR, deps)
    await call(h.enroll_participant, m.EnrollParticipant(cohort_id="varha-2022", expert_id="maija"), COORDINATOR, deps)
    with pytest.raises(Invalid) as unknown:
        await call(h.record_module_completion, m.RecordModuleCompletion(
            cohort_id="varha-2022", expert_id="maija", module_id="m9", completed_on="2022-10-01"), COORDINATOR, deps)
    assert unknown.value.fields[0].field == "module_id"
    for n, day in ((1, "2022-10-01"), (2, "2023-01-15")):
        done = await call(h.record_module_completion, m.RecordModuleCompletion(
            cohort_id="varha-2022", expert_id="maija", module_id=f"m{n}", completed_on=day), COORDINATOR, deps)
        assert done["programme_completed"] is False
    done = await call(h.record_module_completion, m.RecordModuleCompletion(
        cohort_id="varha-2022", expert_id="maija", module_id="m3", completed_on="2023-04-30"), COORDINATOR, deps)
    assert done["programme_completed"] is True
    cohort = await call(h.get_cohort, m.GetCohort(cohort_id="varha-2022"), COORDINATOR, deps)
    assert cohort["participants"][0]["programme_completed"] is True
    with pytest.raises(Forbidden):
        await call(h.get_cohort, m.GetCohort(cohort_id="varha-2022"), CONTACT, deps)

    listing = await call(h.list_expert, m.ListExpert(expert_id="maija"), CONTACT, deps)
    assert listing["listed"] is True
    assert listing["organization_ids"] == ["mieli", "varha"]  # trained by the county: she belongs to it
    found = await call(h.find_experts, m.FindExperts(further_training="Development and advocacy"), SCHOOL, deps)
    assert [r["expert_id"] for r in found["results"]] == ["maija"]


def test_a_training_recorded_before_programmes_counts_as_basic_only_by_its_name():
    old = {"expert_id": "x", "training": "supplementary training", "completed_on": "2024-01-01", "trained_by": "m"}
    assert TrainingCompleted.model_validate(upcast(TrainingCompleted, 1, old)).kind == "further"
    basic = {**old, "training": "basic training"}
    assert TrainingCompleted.model_validate(upcast(TrainingCompleted, 1, basic)).kind == "basic"
