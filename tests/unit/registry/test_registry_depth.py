"""The registry in depth, through its handlers on the in-memory store: the expert's profile and its review, training
programmes completed module by module, memberships the expert accepts, consents with a purpose and an end,
availability, the ranked bank search, who looked at whom, and the situational picture."""

import datetime as dt

import pytest
from pydantic import ValidationError

from services.registry import events, handlers as h, messages as m
from services.registry.events import TrainingCompleted
from services.registry.service import compose
from services.registry.views.in_memory import InMemoryRegistryViews
from shared.errors import Conflict, Forbidden, Invalid
from shared.events import Actor, Role, events_in
from shared.eventstore.crypto import is_encrypted
from shared.eventstore.memory import InMemoryEventStore
from shared.unit_of_work import InMemoryUnitOfWork
from shared.upcasting import upcast
from tests.unit.calls import call, fixed_clock

TODAY = dt.date(2026, 11, 23)  # a Monday
COORDINATOR = Actor(id="coord", role=Role.coordinator)
CONTACT = Actor(id="olli", role=Role.organization_contact, organization_id="mieli")
OTHER_CONTACT = Actor(id="ulla", role=Role.organization_contact, organization_id="other")
MAIJA = Actor(id="maija", role=Role.expert)
PEKKA = Actor(id="pekka", role=Role.expert)
SCHOOL = Actor(id="school", role=Role.orderer)
THEMES = {"eating-disorders": ("Syömishäiriöt", "Ätstörningar", "Eating disorders"),
          "depression": ("Masennus", "Depression", "Depression"),
          "substance-use": ("Päihteet", "Rusmedel", "Substance use")}


def deps_on(day: dt.date):
    views = InMemoryRegistryViews()
    store = InMemoryEventStore("registry", events_in(events))
    return compose(InMemoryUnitOfWork(store, views.project), views, clock=fixed_clock(day))


@pytest.fixture
def deps():
    return deps_on(TODAY)


def later(deps, day: dt.date):
    """The same store and views, on another day."""
    return compose(deps.uow, deps.views, clock=fixed_clock(day))


def published(deps, event_type: str) -> list:
    return [e for e in deps.uow.store.published if e.event_type == event_type]


async def county(deps) -> None:
    for organization_id, kind in (("varha", "county"), ("mieli", "ngo"), ("other", "ngo")):
        await call(h.register_organization, m.RegisterOrganization(organization_id=organization_id,
                                                                   name=organization_id.title(), kind=kind),
                   COORDINATOR, deps)
    for theme_id, (fi, sv, en) in THEMES.items():
        await call(h.define_theme, m.DefineTheme(theme_id=theme_id, name_fi=fi, name_sv=sv, name_en=en),
                   COORDINATOR, deps)
    await call(h.grant_credentials, m.GrantCredentials(orderer_id="school", orderer_name="Turun koulu"),
               COORDINATOR, deps)


async def expert(deps, expert_id="maija", organization_id="mieli", contact=CONTACT, trained=True,
                 consent=True) -> Actor:
    await call(h.register_expert, m.RegisterExpert(expert_id=expert_id, organization_id=organization_id,
                                                   name=expert_id.title(), email=f"{expert_id}@example.org",
                                                   phone="040 1"), contact, deps)
    me = Actor(id=expert_id, role=Role.expert)
    if trained:
        await call(h.record_training, m.RecordTraining(expert_id=expert_id, completed_on=TODAY - dt.timedelta(days=9),
                                                      trained_by=organization_id), contact, deps)
    if consent:
        await call(h.give_consent, m.GiveConsent(expert_id=expert_id), me, deps)
    return me


def profile(expert_id="maija", **fields):
    values = {"themes": [{"theme": "eating-disorders", "relation": "own"}], "regions": ["Varsinais-Suomi"],
              "municipality": "Turku", "languages": ["fi", "sv"], "task_kinds": ["talk", "co_teaching"],
              "introduction": "I speak about recovery.", **fields}
    return m.ChangeProfile(expert_id=expert_id, **values)


async def listed(deps, expert_id="maija", organization_id="mieli", contact=CONTACT, **fields) -> Actor:
    me = await expert(deps, expert_id, organization_id, contact)
    await call(h.change_profile, profile(expert_id, **fields), me, deps)
    await call(h.submit_profile, m.SubmitProfile(expert_id=expert_id, listing=True), me, deps)
    await call(h.approve_profile, m.ExpertCommand(expert_id=expert_id), contact, deps)
    return me


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


# -- memberships -----------------------------------------------------------------------------------------

async def test_joining_an_organization_needs_the_experts_acceptance_and_an_expert_keeps_one(deps):
    await county(deps)
    maija = await listed(deps)
    with pytest.raises(Forbidden):  # a contact person asks only for their own organization
        await call(h.join_organization, m.JoinOrganization(expert_id="maija", organization_id="other"), CONTACT, deps)
    await call(h.join_organization, m.JoinOrganization(expert_id="maija", organization_id="other"), OTHER_CONTACT,
               deps)
    assert await call(h.list_experts, m.ListExperts(organization_id="other"), OTHER_CONTACT, deps) == []
    with pytest.raises(Forbidden):
        await call(h.answer_membership, m.AnswerMembership(expert_id="maija", organization_id="other", accept=True),
                   OTHER_CONTACT, deps)
    await call(h.answer_membership, m.AnswerMembership(expert_id="maija", organization_id="other", accept=True),
               maija, deps)
    assert [e["expert_id"] for e in await call(h.list_experts, m.ListExperts(organization_id="other"),
                                               OTHER_CONTACT, deps)] == ["maija"]
    left = await call(h.leave_organization, m.LeaveOrganization(expert_id="maija", organization_id="mieli"),
                      maija, deps)
    assert left["organization_ids"] == ["other"]
    assert published(deps, "ExpertListed")[-1].payload["organization_ids"] == ["other"]  # orders learns it
    with pytest.raises(Invalid) as last:
        await call(h.leave_organization, m.LeaveOrganization(expert_id="maija", organization_id="other"), maija, deps)
    assert last.value.fields[0].field == "organization_id" and "at least one" in last.value.fields[0].reason
    await call(h.join_organization, m.JoinOrganization(expert_id="maija", organization_id="mieli"), CONTACT, deps)
    await call(h.answer_membership, m.AnswerMembership(expert_id="maija", organization_id="mieli", accept=False),
               maija, deps)
    with pytest.raises(Invalid):  # nothing to answer any more
        await call(h.answer_membership, m.AnswerMembership(expert_id="maija", organization_id="mieli", accept=True),
                   maija, deps)


# -- consents --------------------------------------------------------------------------------------------

async def test_a_consent_names_its_purpose_and_end_and_its_expiry_unlists_after_a_reminder(deps):
    await county(deps)
    await listed(deps)
    maija = Actor(id="maija", role=Role.expert)
    mine = await call(h.get_expert, m.GetExpert(expert_id="maija"), maija, deps)
    assert mine["consents"] == [{"purpose": "bank_listing", "given_on": str(TODAY), "valid_until": "2028-11-23",
                                 "in_force": True}]
    with pytest.raises(Conflict):
        await call(h.give_consent, m.GiveConsent(expert_id="maija"), maija, deps)
    with pytest.raises(Invalid) as past:
        await call(h.give_consent, m.GiveConsent(expert_id="maija", purpose="orderer_contact",
                                                 valid_until="2026-01-01"), maija, deps)
    assert past.value.fields[0].field == "valid_until"

    assert await h.remind_and_expire_consents(deps) == 0
    in_three_weeks = later(deps, dt.date(2028, 11, 2))
    assert await h.remind_and_expire_consents(in_three_weeks) == 1
    assert await h.remind_and_expire_consents(in_three_weeks) == 0  # once for each end date
    assert [e.payload["valid_until"] for e in published(deps, "ConsentExpiryReminded")] == ["2028-11-23"]
    assert await h.remind_and_expire_consents(later(deps, dt.date(2028, 11, 23))) == 0  # its last day
    after = later(deps, dt.date(2028, 11, 24))
    assert await h.remind_and_expire_consents(after) == 1
    unlisted = [e for e in await deps.uow.store.read_stream("expert-maija") if e.event_type == "ExpertUnlisted"]
    assert unlisted[-1].payload.reason == "consent expired"  # sealed on the bus, opened by the registry
    assert (await call(h.find_experts, m.FindExperts(), SCHOOL, after))["total"] == 0

    history = await call(h.consent_history, m.ConsentHistory(expert_id="maija"), CONTACT, after)
    [given] = history["history"]
    assert given["ended_by"] == "expired" and given["valid_until"] == "2028-11-23"
    moment = dt.datetime.fromisoformat(given["given_at"])
    in_force = await call(h.consent_history, m.ConsentHistory(expert_id="maija", at=moment), maija, after)
    assert in_force["in_force"] == ["bank_listing"]
    before = await call(h.consent_history, m.ConsentHistory(expert_id="maija",
                                                            at=moment - dt.timedelta(seconds=1)), maija, after)
    assert before["in_force"] == []
    with pytest.raises(Forbidden):
        await call(h.consent_history, m.ConsentHistory(expert_id="maija"), PEKKA, after)


async def test_withdrawing_one_purpose_keeps_the_others(deps):
    await county(deps)
    maija = await listed(deps)
    await call(h.give_consent, m.GiveConsent(expert_id="maija", purpose="orderer_contact", valid_until="2027-06-30"),
               maija, deps)
    result = await call(h.withdraw_consent, m.WithdrawConsent(expert_id="maija", purpose="orderer_contact"),
                        maija, deps)
    assert result["listed"] is True and result["consented"] is True


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
