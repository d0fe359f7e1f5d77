"""The registry in depth: the scenario its tests share (a county, its organizations, experts listed or not), on
the in-memory store."""

from __future__ import annotations

import datetime as dt

from services.registry import events, handlers as h, messages as m
from services.registry.service import compose
from services.registry.views.in_memory import InMemoryRegistryViews
from shared.events import Actor, Role, events_in
from shared.eventstore.memory import InMemoryEventStore
from shared.unit_of_work import InMemoryUnitOfWork
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


# -- organization agreements ---------------------------------------------------------------------------

UNTIL = TODAY + dt.timedelta(days=365)


async def agreement_drafted(deps):
    """The county and its NGOs, Olli a contact person of Mieli, and Mieli's agreement drafted."""
    await county(deps)
    await call(h.appoint_contact_person, m.AppointContactPerson(organization_id="mieli", person_id="olli",
                                                                name="Olli", email="olli@mieli.fi"), COORDINATOR, deps)
    await call(h.draft_organization_agreement, m.DraftOrganizationAgreement(
        organization_id="mieli", agreement_id="a-2027", valid_from=TODAY, valid_until=UNTIL, annual_fee="2500.00",
        payment_days=21, notice_days=60), COORDINATOR, deps)
    return deps


async def document(deps, actor=COORDINATOR, language="fi", version=None, agreement_id="a-2027"):
    return await call(h.organization_agreement, m.OrganizationAgreement(
        organization_id="mieli", agreement_id=agreement_id, language=language, version=version), actor, deps)


async def sign(deps, actor, sha256, agreement_id="a-2027"):
    return await call(h.sign_organization_agreement, m.SignOrganizationAgreement(
        organization_id="mieli", agreement_id=agreement_id, document_hash=sha256), actor, deps)
