"""The notifications service's deadlines and changes over the in-memory store: an offer about to expire, an
orderer's credentials about to end, a task the orderer changed."""

import datetime as dt
import uuid

import pytest

from services.notifications.credentials import remind_expiring_credentials
from services.notifications.offers import OrderNotSeen, remind_expiring_offers
from services.notifications.sending import send_due
from services.orders import events as orders
from services.registry import events as registry
from shared.events import Actor, Role
from tests.unit.notifications.fakes import BASE_URL, contact

MAIJA = Actor(id="maija", role=Role.expert)
PEKKA = Actor(id="pekka", role=Role.expert)
SCHOOL = Actor(id="school", role=Role.orderer)



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


async def test_an_orderer_whose_candidates_ran_out_is_asked_to_name_more(deps, upstream, email):
    await contact(deps, SCHOOL, email="school@example.fi", language="en")
    order_id = uuid.uuid4()
    stream = f"order-{order_id}"
    with pytest.raises(OrderNotSeen):  # before its OrderPlaced: retried until that is handled
        await upstream.publish("orders", orders.NoCandidatesLeft(order_id=order_id, still_wanted=1))
    await upstream.publish("orders", orders.OrderPlaced(
        order_id=order_id, orderer_id="school", orderer_organization_id=None, county_service=False,
        task_type=orders.TaskType.lecture, topic="living with psychosis", date="2026-03-01", duration_hours="2",
        place="Turku", remote=False, experts_wanted=1, fee=orders.FeeTerms(mode=orders.FeeMode.recommended)),
        stream_id=stream)
    await upstream.publish("orders", orders.NoCandidatesLeft(order_id=order_id, still_wanted=1), stream_id=stream)
    await send_due(deps)
    [mail] = email.sent
    assert mail.message.subject == "Your order needs more candidates"
    assert mail.message.short.endswith(f"{BASE_URL}/orders/{order_id}") and "psychosis" not in mail.message.body
