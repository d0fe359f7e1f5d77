"""The registry's rules, through its handlers, on the in-memory store."""

import datetime as dt

import pytest

from services.registry import events, handlers as h, messages as m
from services.registry.service import compose
from services.registry.views.in_memory import InMemoryRegistryViews
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events import Actor, Role, events_in
from shared.eventstore.memory import InMemoryEventStore
from shared.unit_of_work import InMemoryUnitOfWork
from tests.unit.calls import call, fixed_clock

TODAY = dt.date(2026, 11, 22)
COORDINATOR = Actor(id="coord", role=Role.coordinator, organization_id="varha")
CONTACT = Actor(id="contact-1", role=Role.organization_contact, organization_id="mieli")
OTHER_CONTACT = Actor(id="contact-2", role=Role.organization_contact, organization_id="other")
EXPERT = Actor(id="maija", role=Role.expert)
ORDERER = Actor(id="school-1", role=Role.orderer)


@pytest.fixture
def deps():
    views = InMemoryRegistryViews()
    store = InMemoryEventStore("registry", events_in(events))
    return compose(InMemoryUnitOfWork(store, views.project), views, clock=fixed_clock(TODAY))


async def setup_expert(deps, trained_by="mieli"):
    await call(
        h.register_organization,
        m.RegisterOrganization(organization_id="varha", name="Varha", kind="county"),
        COORDINATOR,
        deps,
    )
    await call(
        h.register_organization,
        m.RegisterOrganization(organization_id="mieli", name="Mieli ry", kind="ngo", contact_person_id="contact-1"),
        COORDINATOR,
        deps,
    )
    await call(
        h.register_expert,
        m.RegisterExpert(expert_id="maija", organization_id="mieli", name="Maija M", email="maija@example.org"),
        CONTACT,
        deps,
    )
    actor = CONTACT if trained_by == "mieli" else COORDINATOR
    await call(
        h.record_training, m.RecordTraining(expert_id="maija", completed_on=TODAY, trained_by=trained_by), actor, deps
    )


async def test_a_trained_consenting_expert_is_listed(deps):
    await setup_expert(deps)
    await call(h.give_consent, m.GiveConsent(expert_id="maija"), EXPERT, deps)
    result = await call(h.list_expert, m.ListExpert(expert_id="maija", topics=["mental health"]), CONTACT, deps)
    assert result["listed"] is True
    listed = [e for e in deps.uow.store.published if e.event_type == "ExpertListed"]
    assert listed and listed[0].payload["organization_ids"] == ["mieli"]


async def test_listing_without_consent_names_the_missing_condition(deps):
    await setup_expert(deps)
    with pytest.raises(Invalid) as error:
        await call(h.list_expert, m.ListExpert(expert_id="maija", topics=["x"]), CONTACT, deps)
    assert [p.reason for p in error.value.fields] == ["has not consented to being listed"]


async def test_listing_an_untrained_inactive_expert_names_every_missing_condition(deps):
    await call(
        h.register_organization,
        m.RegisterOrganization(organization_id="mieli", name="Mieli", kind="ngo"),
        COORDINATOR,
        deps,
    )
    await call(
        h.register_expert,
        m.RegisterExpert(expert_id="maija", organization_id="mieli", name="M", email="m@example.org"),
        CONTACT,
        deps,
    )
    await call(h.deactivate_expert, m.DeactivateExpert(expert_id="maija", reason="moved"), CONTACT, deps)
    with pytest.raises(Invalid) as error:
        await call(h.list_expert, m.ListExpert(expert_id="maija", topics=["x"]), CONTACT, deps)
    assert len(error.value.fields) == 3


async def test_an_expert_trained_by_the_county_belongs_to_the_county(deps):
    await setup_expert(deps, trained_by="varha")
    expert = await call(h.get_expert, m.GetExpert(expert_id="maija"), COORDINATOR, deps)
    assert expert["organization_ids"] == ["mieli", "varha"] and expert["county_trained"] is True


async def test_only_the_expert_consents_and_only_their_organization_lists(deps):
    await setup_expert(deps)
    with pytest.raises(Forbidden):
        await call(h.give_consent, m.GiveConsent(expert_id="maija"), CONTACT, deps)
    await call(h.give_consent, m.GiveConsent(expert_id="maija"), EXPERT, deps)
    with pytest.raises(Forbidden):
        await call(h.list_expert, m.ListExpert(expert_id="maija", topics=["x"]), OTHER_CONTACT, deps)
    with pytest.raises(Forbidden):
        await call(
            h.register_organization, m.RegisterOrganization(organization_id="x", name="X", kind="ngo"), CONTACT, deps
        )


async def test_a_contact_person_registers_experts_only_for_their_own_organization(deps):
    await setup_expert(deps)
    with pytest.raises(Forbidden):
        await call(
            h.register_expert,
            m.RegisterExpert(expert_id="pekka", organization_id="mieli", name="P", email="p@example.org"),
            OTHER_CONTACT,
            deps,
        )


async def test_withdrawing_consent_takes_a_listed_expert_off_the_bank(deps):
    await setup_expert(deps)
    await call(h.give_consent, m.GiveConsent(expert_id="maija"), EXPERT, deps)
    await call(h.list_expert, m.ListExpert(expert_id="maija", topics=["x"]), CONTACT, deps)
    result = await call(h.withdraw_consent, m.WithdrawConsent(expert_id="maija"), EXPERT, deps)
    assert result["listed"] is False
    assert deps.uow.store.published[-1].event_type == "ExpertUnlisted"


async def test_erasure_shreds_the_personal_data_but_keeps_the_history(deps):
    await setup_expert(deps)
    await call(h.erase_expert, m.EraseExpert(expert_id="maija"), EXPERT, deps)
    [registered] = [e for e in await deps.uow.store.read_stream("expert-maija") if e.event_type == "ExpertRegistered"]
    assert registered.payload.name is None and registered.payload.email is None
    assert set(registered.erased_fields) == {"name", "email"}
    assert (await deps.uow.store.verify()).intact
    with pytest.raises(Conflict):
        await call(h.give_consent, m.GiveConsent(expert_id="maija"), EXPERT, deps)


async def test_an_agreement_is_only_for_an_ngo_and_cannot_end_before_it_starts(deps):
    await setup_expert(deps)
    with pytest.raises(Invalid, match="only an NGO"):
        await call(
            h.draft_organization_agreement,
            m.DraftOrganizationAgreement(organization_id="varha", agreement_id="a1", valid_from=TODAY),
            COORDINATOR,
            deps,
        )
    with pytest.raises(Invalid) as error:
        await call(
            h.draft_organization_agreement,
            m.DraftOrganizationAgreement(
                organization_id="mieli", agreement_id="a1", valid_from=TODAY, valid_until=TODAY - dt.timedelta(days=1)
            ),
            COORDINATOR,
            deps,
        )
    assert error.value.fields[0].field == "valid_until"


async def test_unknown_things_are_not_found(deps):
    with pytest.raises(NotFound):
        await call(h.give_consent, m.GiveConsent(expert_id="maija"), EXPERT, deps)


async def test_credentials_can_be_granted_only_for_the_future_and_revoked_once(deps):
    with pytest.raises(Invalid):
        await call(
            h.grant_credentials,
            m.GrantCredentials(orderer_id="s1", orderer_name="School", valid_until=TODAY - dt.timedelta(days=1)),
            COORDINATOR,
            deps,
        )
    await call(h.grant_credentials, m.GrantCredentials(orderer_id="s1", orderer_name="School"), COORDINATOR, deps)
    await call(h.revoke_credentials, m.RevokeCredentials(orderer_id="s1", reason="left"), COORDINATOR, deps)
    with pytest.raises(Conflict):
        await call(h.revoke_credentials, m.RevokeCredentials(orderer_id="s1", reason="again"), COORDINATOR, deps)


# -- contact persons and who signs in --------------------------------------------------------------------

SYSTEM_ACTOR = Actor(id="identity", role=Role.system)


async def test_a_contact_person_is_appointed_and_removed_by_the_coordinator_or_a_fellow_contact(deps):
    await setup_expert(deps)
    appoint = m.AppointContactPerson(organization_id="mieli", person_id="contact-9", name="Olli", email="olli@mieli.fi")
    for outsider in (OTHER_CONTACT, EXPERT, ORDERER):
        with pytest.raises(Forbidden):
            await call(h.appoint_contact_person, appoint, outsider, deps)
    await call(h.appoint_contact_person, appoint, CONTACT, deps)
    with pytest.raises(Conflict, match="already a contact person"):
        await call(h.appoint_contact_person, appoint, COORDINATOR, deps)
    whois = m.Whois(email="OLLI@mieli.fi")
    [contact] = await call(h.whois, whois, SYSTEM_ACTOR, deps)
    assert contact == {"role": "organization_contact", "id": "contact-9", "organization_id": "mieli"}

    with pytest.raises(Invalid) as error:
        await call(h.remove_contact_person, m.RemoveContactPerson(
            organization_id="mieli", person_id="nobody", reason="x"), COORDINATOR, deps)
    assert error.value.fields[0].field == "person_id"
    await call(h.remove_contact_person, m.RemoveContactPerson(
        organization_id="mieli", person_id="contact-9", reason="moved on"), COORDINATOR, deps)
    assert await call(h.whois, whois, SYSTEM_ACTOR, deps) == []


async def test_whois_names_every_role_of_an_address_and_only_the_identity_service_asks(deps):
    await setup_expert(deps)  # maija@example.org
    await call(h.grant_credentials, m.GrantCredentials(orderer_id="maija-orders", orderer_name="Maija's school",
                                                       email="maija@example.org"), COORDINATOR, deps)
    roles = await call(h.whois, m.Whois(email="maija@example.org"), SYSTEM_ACTOR, deps)
    assert [(r["role"], r["id"]) for r in roles] == [("expert", "maija"), ("orderer", "maija-orders")]
    for person in (COORDINATOR, CONTACT, EXPERT, ORDERER):
        with pytest.raises(Forbidden):
            await call(h.whois, m.Whois(email="maija@example.org"), person, deps)
    await call(h.revoke_credentials, m.RevokeCredentials(orderer_id="maija-orders", reason="left"), COORDINATOR, deps)
    await call(h.erase_expert, m.EraseExpert(expert_id="maija"), EXPERT, deps)
    assert await call(h.whois, m.Whois(email="maija@example.org"), SYSTEM_ACTOR, deps) == []


async def test_the_organizations_register_lists_its_members_for_its_contact_and_coordinators(deps):
    await setup_expert(deps)
    await call(h.register_organization, m.RegisterOrganization(organization_id="other", name="Other", kind="ngo"),
               COORDINATOR, deps)
    await call(h.join_organization, m.JoinOrganization(expert_id="maija", organization_id="other"), COORDINATOR, deps)
    await call(h.answer_membership, m.AnswerMembership(expert_id="maija", organization_id="other", accept=True),
               EXPERT, deps)
    register = await call(h.list_experts, m.ListExperts(organization_id="mieli"), CONTACT, deps)
    assert [(e["expert_id"], e["email"], e["trainings"], e["listed"]) for e in register] == \
        [("maija", "maija@example.org", ["basic training"], False)]
    assert [e["expert_id"] for e in await call(h.list_experts, m.ListExperts(organization_id="other"),
                                               COORDINATOR, deps)] == ["maija"]
    for outsider in (OTHER_CONTACT, EXPERT, ORDERER):
        with pytest.raises(Forbidden):
            await call(h.list_experts, m.ListExperts(organization_id="mieli"), outsider, deps)


async def test_organizations_are_listed_for_anyone_and_orderers_with_their_address_for_coordinators(deps):
    await setup_expert(deps)
    await call(h.grant_credentials, m.GrantCredentials(orderer_id="school-1", orderer_name="Koulu",
                                                       email="rehtori@koulu.fi"), COORDINATOR, deps)
    await call(h.grant_credentials, m.GrantCredentials(orderer_id="clinic-1", orderer_name="Klinikka"),
               COORDINATOR, deps)
    await call(h.revoke_credentials, m.RevokeCredentials(orderer_id="clinic-1", reason="left"), COORDINATOR, deps)
    assert [(o["organization_id"], o["kind"]) for o in await call(h.list_organizations, m.ListOrganizations(),
                                                                   ORDERER, deps)] == [("mieli", "ngo"),
                                                                                       ("varha", "county")]
    orderers = await call(h.list_orderers, m.ListOrderers(), COORDINATOR, deps)
    assert [(o["orderer_id"], o["email"], o["valid"], o["revoked"]) for o in orderers] == [
        ("clinic-1", None, False, True), ("school-1", "rehtori@koulu.fi", True, False)]
    with pytest.raises(Forbidden):
        await call(h.list_orderers, m.ListOrderers(), CONTACT, deps)
