"""The registry in depth: memberships the expert accepts, consents with a purpose and an end."""

from __future__ import annotations

import datetime as dt

import pytest

from services.registry import handlers as h, messages as m
from shared.errors import Conflict, Forbidden, Invalid
from shared.events import Actor, Role
from tests.unit.calls import call
from tests.unit.registry.depth import (
    CONTACT,
    OTHER_CONTACT,
    PEKKA,
    SCHOOL,
    TODAY,
    county,
    later,
    listed,
    published,
)

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
