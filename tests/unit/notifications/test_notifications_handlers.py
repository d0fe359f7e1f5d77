"""The notifications service's handlers over the in-memory store: whom each event tells, the contact book
commands, and the sending job's retries, bounces and once-only sending."""

import datetime as dt
import uuid

import pytest

from services.contracts import events as contracts
from services.feedback import events as feedback
from services.notifications import messages as m
from services.notifications.credentials import remind_expiring_credentials
from services.notifications.domain.notification import Delivery, Outcome
from services.notifications.handlers import (
    forget_contact,
    get_contact,
    mute_kinds,
    set_contact,
    undelivered_notifications,
)
from services.notifications.offers import remind_expiring_offers
from services.notifications.reactions import EngagementNotSeen
from services.notifications.sending import send_due
from services.orders import events as orders
from services.registry import events as registry
from shared.errors import Forbidden
from shared.events import Actor, Role
from tests.unit.calls import call
from tests.unit.notifications.fakes import BASE_URL, MovableClock, RecordingSender, Upstream, make_deps

MAIJA = Actor(id="maija", role=Role.expert)
PEKKA = Actor(id="pekka", role=Role.expert)
SCHOOL = Actor(id="school", role=Role.orderer)
COORDINATOR = Actor(id="anna", role=Role.coordinator)


@pytest.fixture
def clock():
    return MovableClock()


@pytest.fixture
def email():
    return RecordingSender()


@pytest.fixture
def sms():
    return RecordingSender()


@pytest.fixture
def deps(clock, email, sms):
    return make_deps(clock, email, sms)


@pytest.fixture
def upstream(deps):
    return Upstream(deps)


async def contact(deps, actor, **details):
    return await call(set_contact, m.SetContact(**details), actor, deps)


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


async def test_an_offer_still_open_a_day_before_it_expires_is_reminded_of_once(deps, upstream, email, clock):
    await contact(deps, MAIJA, email="maija@example.org")
    await contact(deps, PEKKA, email="pekka@example.org")
    await upstream.offer("maija")
    answered = await upstream.offer("pekka")  # both expire in 7 days
    await upstream.publish("orders", orders.OfferAccepted(
        order_id=answered.payload.order_id, offer_id=answered.payload.offer_id, expert_id="pekka",
        engagement_id=uuid.uuid4()))
    await send_due(deps)  # the offers themselves
    assert await remind_expiring_offers(deps) == 0  # not yet: a week to go

    clock.advance(days=6, hours=1)
    assert await remind_expiring_offers(deps) == 1
    assert await remind_expiring_offers(deps) == 0  # once
    await send_due(deps)
    assert [(s.address, s.message.subject) for s in email.sent[2:]] == [("maija@example.org",
                                                                        "Tarjous vanhenee pian")]


async def test_a_changed_task_tells_its_engaged_and_offered_experts_but_not_a_cancelled_one(deps, upstream, email):
    for actor in (MAIJA, PEKKA, Actor(id="liisa", role=Role.expert)):
        await contact(deps, actor, email=f"{actor.id}@example.org")
    order_id, engaged, cancelled = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for engagement_id, expert_id in ((engaged, "maija"), (cancelled, "liisa")):
        await upstream.publish("orders", orders.EngagementOpened(
            engagement_id=engagement_id, order_id=order_id, offer_id=uuid.uuid4(), expert_id=expert_id,
            orderer_id="school", task_type=orders.TaskType.lecture, topic="x", date="2026-03-01",
            duration_hours="2", remote=True, fee=orders.FeeTerms(mode=orders.FeeMode.recommended)), engaged)
    await upstream.publish("orders", orders.EngagementCancelled(engagement_id=cancelled, cancelled_by="expert",
                                                                after_signing=False))
    await upstream.publish("orders", orders.OfferMade(order_id=order_id, offer_id=uuid.uuid4(), expert_id="pekka",
                                                      expires_at="2030-01-01T00:00:00+00:00"))
    await send_due(deps)
    email.sent.clear()
    await upstream.publish("orders", orders.OrderChanged(order_id=order_id, topic="a new topic", place="Salo"))
    await send_due(deps)
    links = {s.address: s.message.short.split(": ")[-1] for s in email.sent}
    assert links == {"maija@example.org": f"{BASE_URL}/engagements/{engaged}",
                     "pekka@example.org": f"{BASE_URL}/expert/offers"}
    assert not any("topic" in s.message.body or "Salo" in s.message.body for s in email.sent)


async def test_an_orderer_is_reminded_once_two_weeks_before_their_credentials_end(deps, upstream, email, clock):
    await contact(deps, SCHOOL, email="school@example.fi", language="sv")
    ends = clock.now.date() + dt.timedelta(days=20)
    granted = registry.OrdererCredentialsGranted(orderer_id="school", orderer_name="Turun koulu", valid_until=ends)
    stream = "orderer-school"
    await upstream.publish("registry", granted, stream_id=stream)
    assert await remind_expiring_credentials(deps) == 0
    clock.advance(days=7)
    assert await remind_expiring_credentials(deps) == 1
    assert await remind_expiring_credentials(deps) == 0  # once for this end date
    await send_due(deps)
    [mail] = email.sent
    assert mail.message.subject == "Dina inloggningsuppgifter går snart ut" and mail.message.short.endswith(
        f"{BASE_URL}/orderer")

    # Granted again for longer, then again to end soon: a new end date is reminded of anew; revoked, never.
    await upstream.publish("registry", granted.model_copy(update={"valid_until": ends + dt.timedelta(days=1)}),
                           stream_id=stream)
    assert await remind_expiring_credentials(deps) == 1
    await upstream.publish("registry", granted.model_copy(update={"valid_until": ends + dt.timedelta(days=2)}),
                           stream_id=stream)
    await upstream.publish("registry", registry.OrdererCredentialsRevoked(orderer_id="school"), stream_id=stream)
    assert await remind_expiring_credentials(deps) == 0
