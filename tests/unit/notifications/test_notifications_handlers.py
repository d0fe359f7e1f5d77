"""The notifications service's handlers over the in-memory store: whom each event tells, the contact book
commands, and the sending job's retries, bounces and once-only sending."""

import uuid

import pytest

from services.contracts import events as contracts
from services.feedback import events as feedback
from services.notifications import messages as m
from services.notifications.domain.notification import Delivery, Outcome
from services.notifications.handlers import (
    forget_contact,
    get_contact,
    mute_kinds,
    undelivered_notifications,
)
from services.notifications.reactions import EngagementNotSeen
from services.notifications.sending import send_due
from services.orders import events as orders
from services.registry import events as registry
from shared.errors import Forbidden
from shared.events import Actor, Role
from tests.unit.calls import call
from tests.unit.notifications.fakes import BASE_URL, contact

MAIJA = Actor(id="maija", role=Role.expert)
PEKKA = Actor(id="pekka", role=Role.expert)
SCHOOL = Actor(id="school", role=Role.orderer)
COORDINATOR = Actor(id="anna", role=Role.coordinator)


async def test_a_new_offer_reaches_the_expert_once_in_their_language(deps, upstream, email):
    await contact(deps, MAIJA, email="maija@example.org", language="sv")
    event = await upstream.offer("maija")
    await upstream.deliver("orders", event)  # redelivered: nothing new is queued

    assert await send_due(deps) == 1
    assert await send_due(deps) == 0  # sent: never again
    [sent] = email.sent
    assert sent.address == "maija@example.org"
    assert sent.message.subject == "Nytt uppdragserbjudande"
    assert f"{BASE_URL}/expert/offers" in sent.message.body


async def test_nobody_is_told_who_gave_no_contact_details(deps, upstream, email):
    await upstream.offer("maija")
    assert await send_due(deps) == 0
    assert email.sent == [] and deps.views.rows == {}


async def test_a_muted_kind_is_not_sent_a_required_kind_is(deps, upstream, email):
    await contact(deps, MAIJA, email="maija@example.org")
    await call(mute_kinds, m.MuteKinds(muted=["feedback_requested"]), MAIJA, deps)
    engagement_id = uuid.uuid4()
    await upstream.publish("feedback", feedback.FeedbackRequested(
        engagement_id=engagement_id, form=feedback.Form.self_assessment, respondent_id="maija"))
    await upstream.offer("maija")
    await send_due(deps)
    assert [s.message.subject for s in email.sent] == ["Uusi toimeksiantotarjous"]


async def test_a_contract_to_sign_tells_both_parties_each_on_their_channel(deps, upstream, email, sms):
    await contact(deps, MAIJA, phone="+358401234567", channel="sms", language="en")
    await contact(deps, SCHOOL, email="school@example.fi")
    engagement_id = uuid.uuid4()
    await upstream.publish("contracts", contracts.ContractDrafted(
        contract_id=uuid.uuid4(), engagement_id=engagement_id, expert_id="maija", orderer_id="school",
        fee_basis="recommended", rate_table_id="t", hourly_fee=None, fixed_fee=None, minimum_fee=60,
        mileage_per_km="0.55", expenses_reimbursed=True, cancellation_fee_share="0.5"))
    assert await send_due(deps) == 2
    [text] = sms.sent
    assert text.address == "+358401234567"
    link = f"{BASE_URL}/engagements/{engagement_id}"
    assert text.message.short == f"An assignment contract waits for your signature: {link}"
    assert [s.address for s in email.sent] == ["school@example.fi"]


async def test_a_cancellation_tells_the_other_side_and_an_expense_decision_the_expert(deps, upstream, email):
    await contact(deps, MAIJA, email="maija@example.org")
    await contact(deps, SCHOOL, email="school@example.fi")
    engagement_id = uuid.uuid4()
    await upstream.open(engagement_id, "maija", "school")
    await upstream.publish("contracts", contracts.ExpenseLineReturned(
        contract_id=uuid.uuid4(), engagement_id=engagement_id, line_no=1, reason="the receipt is missing"))
    await upstream.publish("orders", orders.EngagementCancelled(
        engagement_id=engagement_id, cancelled_by="orderer", reason="the lecturer fell ill", after_signing=False))
    await send_due(deps)
    assert sorted((s.address, s.message.subject) for s in email.sent) == [
        ("maija@example.org", "Kulukorvaus palautettu"), ("maija@example.org", "Toimeksianto on peruttu")]
    assert not any("receipt" in s.message.body or "ill" in s.message.body for s in email.sent)


async def test_an_engagement_event_before_its_parties_are_known_is_retried(upstream):
    with pytest.raises(EngagementNotSeen):
        await upstream.publish("contracts", contracts.ExpenseLineApproved(
            contract_id=uuid.uuid4(), engagement_id=uuid.uuid4(), line_no=1, amount=4))


async def test_a_temporary_failure_is_retried_after_a_growing_wait(deps, upstream, email, clock):
    await contact(deps, MAIJA, email="maija@example.org")
    email.outcomes.extend([Delivery(Outcome.temporary, "SMTP 451"), Delivery(Outcome.temporary, "SMTP 451")])
    await upstream.offer("maija")
    assert await send_due(deps) == 1 and email.sent == []
    clock.advance(seconds=30)
    assert await send_due(deps) == 0  # not yet: the first wait is a minute
    clock.advance(seconds=31)
    assert await send_due(deps) == 1 and email.sent == []
    clock.advance(seconds=119)
    assert await send_due(deps) == 0  # the second wait is two
    clock.advance(seconds=2)
    assert await send_due(deps) == 1 and len(email.sent) == 1


async def test_a_bounce_is_shown_to_the_coordinator_and_the_person_and_not_retried(deps, upstream, email, clock):
    await contact(deps, MAIJA, email="maija@example.org")
    email.outcomes.append(Delivery(Outcome.permanent, "SMTP 550 recipient refused"))
    await upstream.offer("maija")
    await send_due(deps)
    clock.advance(days=1)
    assert await send_due(deps) == 0
    for actor in (COORDINATOR, MAIJA):
        [row] = (await call(undelivered_notifications, m.UndeliveredNotifications(), actor, deps))["notifications"]
        assert (row["person_id"], row["kind"], row["reason"]) == ("maija", "offer_made", "SMTP 550 recipient refused")
    assert (await call(undelivered_notifications, m.UndeliveredNotifications(), PEKKA, deps))["notifications"] == []


async def test_temporary_failures_end_in_a_bounce_when_the_attempts_are_used_up(deps, upstream, email, clock):
    await contact(deps, MAIJA, email="maija@example.org")
    email.outcomes.extend([Delivery(Outcome.temporary, "SMTP 421")] * 3)
    await upstream.offer("maija")
    for _ in range(3):
        await send_due(deps)
        clock.advance(hours=1)
    [row] = (await call(undelivered_notifications, m.UndeliveredNotifications(), MAIJA, deps))["notifications"]
    assert row["reason"] == "gave up after 3 attempts: SMTP 421" and email.sent == []


async def test_erasing_the_expert_erases_their_address_and_a_queued_message_bounces(deps, upstream, email):
    await contact(deps, MAIJA, email="maija@example.org")
    await upstream.offer("maija")
    await upstream.publish("registry", registry.ExpertErased(expert_id="maija"))
    await send_due(deps)
    assert email.sent == []
    view = await call(get_contact, m.GetContact(), MAIJA, deps)
    assert view["email"] is None and view["channel"] is None
    [row] = (await call(undelivered_notifications, m.UndeliveredNotifications(), COORDINATOR, deps))["notifications"]
    assert row["reason"].startswith("no address")


async def test_erasing_the_orderer_or_a_contact_person_erases_their_address(deps, upstream):
    await contact(deps, SCHOOL, email="rehtori@koulu.fi")
    await upstream.publish("registry", registry.OrdererErased(orderer_id="school", ground="objection"))
    view = await call(get_contact, m.GetContact(), SCHOOL, deps)
    assert view["email"] is None and view["channel"] is None
    olli = Actor(id="olli", role=Role.organization_contact, organization_id="mieli")
    await contact(deps, olli, email="olli@mieli.fi")
    await upstream.publish("registry", registry.ContactPersonErased(person_id="olli", ground="objection"))
    assert (await call(get_contact, m.GetContact(), olli, deps))["email"] is None


async def test_a_person_forgets_their_details_and_may_give_them_again(deps, upstream, email):
    await contact(deps, MAIJA, email="maija@example.org")
    assert (await call(forget_contact, m.ForgetContact(), MAIJA, deps))["erased"]
    await contact(deps, MAIJA, email="maija@uusi.fi")
    await upstream.offer("maija")
    await send_due(deps)
    assert [s.address for s in email.sent] == ["maija@uusi.fi"]


async def test_only_a_coordinator_keeps_anothers_details(deps):
    await contact(deps, COORDINATOR, person_id="maija", email="maija@example.org")
    assert (await call(get_contact, m.GetContact(person_id="maija"), COORDINATOR, deps))["email"] == "maija@example.org"
    with pytest.raises(Forbidden):
        await contact(deps, PEKKA, person_id="maija", email="pekka@example.org")
    with pytest.raises(Forbidden):
        await call(get_contact, m.GetContact(person_id="maija"), SCHOOL, deps)


async def test_the_reply_carries_no_address(deps):
    reply = await contact(deps, MAIJA, email="maija@example.org")
    assert "maija@example.org" not in str(reply)


async def test_a_payment_a_consent_ending_and_a_returned_profile_tell_the_expert_no_more(deps, upstream, email):
    await contact(deps, MAIJA, email="maija@example.org", language="en")
    engagement_id = uuid.uuid4()
    await upstream.open(engagement_id, "maija", "school")
    await upstream.publish("contracts", contracts.FeePaid(contract_id=uuid.uuid4(), engagement_id=engagement_id,
                                                          total="123.45", paid_on="2026-03-02"))
    await upstream.publish("registry", registry.ConsentExpiryReminded(expert_id="maija", scope="bank",
                                                                      valid_until="2026-04-01"))
    await upstream.publish("registry", registry.ProfileReturned(expert_id="maija", reason="mentions a diagnosis"))
    await send_due(deps)
    assert sorted(s.message.subject for s in email.sent) == [
        "A payment was made", "Your consent ends soon", "Your profile was returned"]
    assert not any(word in s.message.body for s in email.sent for word in ("123", "diagnosis", "2026"))
