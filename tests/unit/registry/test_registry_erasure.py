"""Erasing a person's data in the registry: on a recorded ground, by whom the GDPR lets ask, leaving a history
that still verifies and nothing they could sign in with."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from services.registry import handlers as h, messages as m
from services.registry.handlers.retention import apply_retention
from shared.errors import Conflict, Forbidden
from shared.events import Actor, Role
from tests.unit.calls import call
from tests.unit.registry.depth import COORDINATOR, county, later, listed

CLINIC = Actor(id="clinic", role=Role.orderer, organization_id="clinic-org")
IDENTITY = Actor(id="identity", role=Role.system)


async def test_an_orderer_is_erased_on_a_recorded_ground_and_can_no_longer_sign_in_or_search(deps):
    await county(deps)
    await listed(deps)
    await call(h.grant_credentials, m.GrantCredentials(orderer_id="clinic", orderer_name="Lea Laakso",
                                                       organization_id="clinic-org", email="lea@klinikka.fi"),
               COORDINATOR, deps)
    assert [r["role"] for r in await call(h.whois, m.Whois(email="lea@klinikka.fi"), IDENTITY, deps)] == ["orderer"]

    await call(h.erase_orderer, m.EraseOrderer(orderer_id="clinic", ground="objection"), COORDINATOR, deps)

    stream = await deps.uow.store.read_stream("orderer-clinic")
    assert [e.event_type for e in stream] == ["OrdererCredentialsGranted", "OrdererCredentialsRevoked",
                                              "OrdererErased"]
    erased = stream[-1]
    assert (erased.payload.ground, erased.actor) == ("objection", COORDINATOR)  # on what ground, who asked
    assert stream[0].payload.orderer_name is None and "orderer_name" in stream[0].erased_fields
    assert (await deps.uow.store.verify()).intact
    assert await call(h.whois, m.Whois(email="lea@klinikka.fi"), IDENTITY, deps) == []
    assert "clinic" not in [o["orderer_id"] for o in await call(h.list_orderers, m.ListOrderers(), COORDINATOR, deps)]
    with pytest.raises(Forbidden):
        await call(h.find_experts, m.FindExperts(), CLINIC, deps)
    with pytest.raises(Conflict, match="already erased"):
        await call(h.erase_orderer, m.EraseOrderer(orderer_id="clinic", ground="objection"), COORDINATOR, deps)
    with pytest.raises(Conflict, match="new orderer id"):
        await call(h.grant_credentials, m.GrantCredentials(orderer_id="clinic", orderer_name="Lea"), COORDINATOR,
                   deps)


async def test_an_orderer_erases_only_themself_and_the_ground_is_one_the_gdpr_names(deps):
    await county(deps)  # credentials for "school"
    with pytest.raises(Forbidden):
        await call(h.erase_orderer, m.EraseOrderer(orderer_id="school", ground="objection"), CLINIC, deps)
    with pytest.raises(ValidationError) as refused:
        m.EraseOrderer(orderer_id="school", ground="a whim")
    assert refused.value.errors()[0]["loc"] == ("ground",)
    school = Actor(id="school", role=Role.orderer)
    await call(h.erase_orderer, m.EraseOrderer(orderer_id="school", ground="consent_withdrawn"), school, deps)
    [erased] = [e for e in await deps.uow.store.read_stream("orderer-school") if e.event_type == "OrdererErased"]
    assert erased.actor == school


async def test_an_experts_erasure_records_its_ground(deps):
    await county(deps)
    me = await listed(deps)
    await listed(deps, "pekka")
    await call(h.erase_expert, m.EraseExpert(expert_id="maija"), me, deps)
    await call(h.erase_expert, m.EraseExpert(expert_id="pekka", ground="no_longer_necessary"), COORDINATOR, deps)
    grounds = {e.payload.expert_id: (e.payload.ground, e.actor.id) for name in ("maija", "pekka")
               for e in await deps.uow.store.read_stream(f"expert-{name}") if e.event_type == "ExpertErased"}
    # The expert's own request withdraws the consent their data rests on; a coordinator names the ground.
    assert grounds == {"maija": ("consent_withdrawn", "maija"), "pekka": ("no_longer_necessary", "coord")}


async def test_a_contact_person_is_erased_from_every_organization_they_served_and_can_no_longer_sign_in(deps):
    await county(deps)  # varha, mieli and other
    for organization_id in ("mieli", "other"):
        await call(h.appoint_contact_person, m.AppointContactPerson(
            organization_id=organization_id, person_id="lea", name="Lea Laine", email="lea@example.org"),
            COORDINATOR, deps)
    roles = await call(h.whois, m.Whois(email="lea@example.org"), IDENTITY, deps)
    assert sorted(r["organization_id"] for r in roles) == ["mieli", "other"]
    lea = Actor(id="lea", role=Role.organization_contact, organization_id="mieli")
    with pytest.raises(Forbidden):  # another contact person may not
        await call(h.erase_contact_person, m.EraseContactPerson(person_id="lea", ground="objection"),
                   Actor(id="olli", role=Role.organization_contact, organization_id="mieli"), deps)

    answer = await call(h.erase_contact_person, m.EraseContactPerson(person_id="lea", ground="consent_withdrawn"),
                        lea, deps)

    assert answer["removed_from"] == ["mieli", "other"]
    assert await call(h.whois, m.Whois(email="lea@example.org"), IDENTITY, deps) == []
    [erasure] = await deps.uow.store.read_stream("contact-person-lea")
    assert (erasure.event_type, erasure.payload.ground, erasure.actor) == ("ContactPersonErased", "consent_withdrawn",
                                                                            lea)
    [appointed] = [e for e in await deps.uow.store.read_stream("organization-mieli")
                   if e.event_type == "ContactPersonAppointed"]
    assert appointed.payload.name is None and {"name", "email"} <= set(appointed.erased_fields)
    assert (await deps.uow.store.verify()).intact
    with pytest.raises(Conflict, match="already erased"):
        await call(h.erase_contact_person, m.EraseContactPerson(person_id="lea", ground="objection"), COORDINATOR,
                   deps)


async def test_the_retention_rule_erases_an_expert_deactivated_and_inactive_for_five_years_once(deps):
    await county(deps)
    await listed(deps, "maija")
    await listed(deps, "pekka")
    await call(h.deactivate_expert, m.DeactivateExpert(expert_id="maija", reason="moved away"), COORDINATOR, deps)
    soon = later(deps, dt.date.today() + dt.timedelta(days=365))
    assert await apply_retention(soon) == 0  # deactivated, but not for five years yet
    long_after = later(deps, dt.date.today() + dt.timedelta(days=6 * 365))
    assert await apply_retention(long_after) == 1
    assert await apply_retention(long_after) == 0  # once
    [erased] = [e for e in await deps.uow.store.read_stream("expert-maija") if e.event_type == "ExpertErased"]
    assert (erased.payload.ground, erased.payload.rule, erased.actor.role) == (
        "no_longer_necessary", "deactivated and inactive for 5 years", "system")
    [registered] = [e for e in await deps.uow.store.read_stream("expert-maija") if e.event_type == "ExpertRegistered"]
    assert registered.payload.name is None  # the key shredded
    assert not [e for e in await deps.uow.store.read_stream("expert-pekka") if e.event_type == "ExpertErased"]
