"""Notifications reach people through a real SMTP server and an HTTP SMS gateway: the other services' events
come in over their streams (recorded in those services' stores and published by their outbox relays), people
give their contact details over the bus, and the sending job delivers."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import nats
import pytest

from services.contracts import events as contracts
from services.feedback import events as feedback
from services.notifications.domain.templates import TEMPLATES
from services.notifications.events import Language, MessageKind
from services.notifications.service import definition
from services.notifications.settings import NotifySettings
from services.orders import events as orders
from services.registry import events as registry
from shared.messaging.subjects import stream_name
from shared.runtime.service import ServiceRuntime
from tests.callers import request
from tests.conftest import Upstream, eventually, upstream
from tests.integration.notifications.servers import MailRelay, SmsGateway, mail_relay, sms_gateway
from tests.unit.feedback.fakes import engagement_opened

pytestmark = [pytest.mark.integration,
              pytest.mark.services("orders", "contracts", "feedback", "registry", "notifications")]

BASE_URL = "https://kokemus.example.fi"
MAIJA = {"id": "maija", "role": "expert"}
PEKKA = {"id": "pekka", "role": "expert"}
SCHOOL = {"id": "school", "role": "orderer"}
COORDINATOR = {"id": "anna", "role": "coordinator"}
# What the other services' events say of the task that a message must never repeat.
TELLING = ("psychosis", "Turku", "€", "euro", "palkkio", "arvode")


@dataclass
class World:
    nc: nats.NATS
    upstreams: dict[str, Upstream]
    relay: MailRelay
    gateway: SmsGateway
    settings: NotifySettings

    async def ask(self, subject: str, body: dict[str, Any]) -> Any:
        return await request(self.nc, f"kokemus.notifications.{subject}", body)

    async def offer(self, expert_id: str) -> None:
        await self.upstreams["orders"].append(f"order-{uuid.uuid4()}", orders.OfferMade(
            order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id=expert_id,
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=7)))


@contextlib.asynccontextmanager
async def world(environment: Any) -> AsyncIterator[World]:
    relay, gateway = MailRelay(), SmsGateway()
    async with contextlib.AsyncExitStack() as stack:
        smtp_port = stack.enter_context(mail_relay(relay))
        sms_url = stack.enter_context(sms_gateway(gateway))
        upstreams = {service: await stack.enter_async_context(upstream(environment, service))
                     for service in ("orders", "contracts", "feedback", "registry")}
        nc = await nats.connect(environment.nats_url)
        stack.push_async_callback(nc.close)
        settings = NotifySettings(web_base_url=BASE_URL, smtp_host="127.0.0.1", smtp_port=smtp_port,
                                  smtp_starttls=False, mail_from="kokemus@example.fi", sms_gateway_url=sms_url,
                                  sms_gateway_key="gateway-key", send_every_seconds=0.1, retry_first_seconds=0.2,
                                  max_attempts=3)
        yield World(nc, upstreams, relay, gateway, settings)


@contextlib.asynccontextmanager
async def running(environment: Any, settings: NotifySettings) -> AsyncIterator[ServiceRuntime]:
    runtime = ServiceRuntime(definition(notify=settings), environment.settings("notifications"))
    await runtime.start(serve_http=False)
    try:
        yield runtime
    finally:
        await runtime.stop()


async def test_each_person_is_told_once_in_their_language_on_their_channel(environment):
    async with world(environment) as w, running(environment, w.settings):
        w.relay.refused["bounced@example.org"] = "550 5.1.1 No such user here"
        await w.ask("cmd.set_contact", {"actor": MAIJA, "email": "maija@example.org", "language": "sv"})
        await w.ask("cmd.set_contact", {"actor": COORDINATOR, "person_id": "pekka", "phone": "+358 40 123 4567",
                                        "channel": "sms", "language": "en"})
        await w.ask("cmd.set_contact", {"actor": SCHOOL, "email": "bounced@example.org"})

        # A new offer: Maija by e-mail in Swedish, Pekka by text message in English.
        await w.offer("maija")
        await w.offer("pekka")
        [mail] = await eventually(lambda: _now(w.relay.to("maija@example.org")))
        assert mail["Subject"] == "Nytt uppdragserbjudande"
        assert f"{BASE_URL}/expert/offers" in mail.get_content()
        [text] = await eventually(lambda: _now(w.gateway.texts))
        assert text["to"] == "+358401234567"
        assert text["text"] == ("You have a new assignment offer. Please answer before it expires: "
                                f"{BASE_URL}/expert/offers")
        assert w.gateway.keys == ["Bearer gateway-key"]

        # An engagement whose events carry its topic and place (sealed) and fee terms: the contract to sign
        # tells both parties; the school's address is refused, and both the school and a coordinator see it.
        engagement_id = uuid.uuid4()
        stream = f"engagement-{engagement_id}"
        await w.upstreams["orders"].append(stream, engagement_opened(engagement_id, "maija", "school"),
                                           engagement_id)
        await w.upstreams["contracts"].append(stream, contracts.ContractDrafted(
            contract_id=uuid.uuid4(), engagement_id=engagement_id, expert_id="maija", orderer_id="school",
            fee_basis="orderer", rate_table_id=None, hourly_fee=Decimal("80"), fixed_fee=None,
            minimum_fee=Decimal("60"), mileage_per_km=Decimal("0.55"), expenses_reimbursed=True,
            cancellation_fee_share=Decimal("0.5"), topic="living with psychosis", place="Turku"), engagement_id)
        await eventually(lambda: _now(len(w.relay.to("maija@example.org")) == 2))
        bounced = await eventually(lambda: _bounced(w, SCHOOL))
        assert [(row["kind"], row["reason"]) for row in bounced] == [("contract_to_sign",
                                                                      "SMTP 550 recipient refused")]
        assert await _bounced(w, COORDINATOR) == bounced
        assert await _bounced(w, MAIJA) == []

        # A muted kind is not sent; the next one is.
        await w.ask("cmd.mute_kinds", {"actor": MAIJA, "muted": ["feedback_reminder"]})
        for event in (feedback.FeedbackReminderSent(engagement_id=engagement_id, form=feedback.Form.self_assessment,
                                                     respondent_id="maija", reminder_number=1),
                      feedback.FeedbackRequested(engagement_id=engagement_id, form=feedback.Form.self_assessment,
                                                 respondent_id="maija")):
            await w.upstreams["feedback"].append(f"feedback-{engagement_id}", event, engagement_id)
        await eventually(lambda: _now(len(w.relay.to("maija@example.org")) == 3))
        subjects = [mail["Subject"] for mail in w.relay.to("maija@example.org")]
        assert subjects == ["Nytt uppdragserbjudande", "Ett avtal väntar på din underskrift",
                            "Ett responsformulär väntar"]

        # Nothing of the task in any message.
        everything = [m.get_content() + m["Subject"] for m in w.relay.messages] + [t["text"] for t in w.gateway.texts]
        assert not [(text, word) for text in everything for word in TELLING if word in text]


async def test_a_temporary_failure_is_retried_until_delivered(environment):
    async with world(environment) as w, running(environment, w.settings):
        w.relay.busy_once.add("maija@example.org")
        await w.ask("cmd.set_contact", {"actor": MAIJA, "email": "maija@example.org"})
        await w.offer("maija")
        [mail] = await eventually(lambda: _now(w.relay.to("maija@example.org")))
        assert w.relay.deferred == ["maija@example.org"]
        assert mail["Subject"] == "Uusi toimeksiantotarjous"
        assert await _bounced(w, COORDINATOR) == []


async def test_a_restart_and_a_redelivery_between_recording_and_sending_send_once(environment):
    async with world(environment) as w:
        # The first process records the message but never gets to send it (its job waits an hour).
        resting = w.settings.model_copy(update={"send_every_seconds": 3600})
        async with running(environment, resting) as first:
            await w.ask("cmd.set_contact", {"actor": MAIJA, "email": "maija@example.org"})
            await w.offer("maija")
            await eventually(lambda: _queued(first))
        assert w.relay.messages == []

        # The offer comes again (as after a redelivery), then a new process sends what was recorded.
        js = w.nc.jetstream()
        info = await js.stream_info(stream_name("orders"))
        original = await js.get_msg(stream_name("orders"), info.state.last_seq)
        headers = {**(original.headers or {}), "Nats-Msg-Id": str(uuid.uuid4())}
        await js.publish(original.subject, original.data, headers=headers)
        async with running(environment, w.settings) as second:
            await eventually(lambda: _now(w.relay.to("maija@example.org")))
            await w.offer("maija")  # a later offer, sent after anything the first could have caused
            await eventually(lambda: _now(len(w.relay.to("maija@example.org")) == 2))
            assert await _queued(second) == 2


async def _now(value: Any) -> Any:
    return value


async def _bounced(w: World, actor: dict[str, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (await w.ask("query.undelivered_notifications", {"actor": actor}))["notifications"]
    return rows


async def _queued(runtime: ServiceRuntime) -> int:
    assert runtime.pool is not None
    return int(await runtime.pool.fetchval("SELECT count(*) FROM notifications.notifications"))


async def test_every_kind_of_message_reaches_its_person_once_in_their_language(environment):
    async with world(environment) as w:
        warned = w.settings.model_copy(update={"offer_warning_hours": 24 * 8, "deadline_check_seconds": 0.1})
        async with running(environment, warned) as runtime:
            await w.ask("cmd.set_contact", {"actor": MAIJA, "email": "maija@example.org", "language": "sv"})
            await w.ask("cmd.set_contact", {"actor": SCHOOL, "email": "school@example.fi", "language": "en"})
            up = w.upstreams
            await w.offer("maija")  # a new offer, and (expiring within the warning) its reminder
            engagement_id, order_id = uuid.uuid4(), uuid.uuid4()
            stream = f"engagement-{engagement_id}"
            opened = engagement_opened(engagement_id, "maija", "school").model_copy(update={"order_id": order_id})
            await up["orders"].append(stream, opened, engagement_id)
            # The consumer handles a batch of events at once: the change is made once the engagement is known
            # (a change at the very moment an offer is accepted may miss that expert; see README, known limits).
            await eventually(lambda: _order_of(runtime, engagement_id, order_id))
            await up["orders"].append(f"order-{order_id}", orders.OrderChanged(
                order_id=order_id, topic="living with psychosis, revised"), engagement_id)
            contract_id = uuid.uuid4()
            for event in (
                contracts.ContractDrafted(  # both parties: a contract to sign
                    contract_id=contract_id, engagement_id=engagement_id, expert_id="maija", orderer_id="school",
                    fee_basis="recommended", rate_table_id="t", hourly_fee=None, fixed_fee=None,
                    minimum_fee=Decimal("60"), mileage_per_km=Decimal("0.55"), expenses_reimbursed=True,
                    cancellation_fee_share=Decimal("0.5")),
                contracts.ExpenseLineApproved(contract_id=contract_id, engagement_id=engagement_id, line_no=1,
                                              amount=Decimal("55.00")),
                contracts.ExpenseLineReturned(contract_id=contract_id, engagement_id=engagement_id, line_no=2,
                                              reason="the receipt from Turku is missing"),
                contracts.FeePaid(contract_id=contract_id, engagement_id=engagement_id, total=Decimal("215.00"),
                                  paid_on=dt.date.today())):
                await up["contracts"].append(stream, event, engagement_id)
            for event in (  # type: ignore[assignment]
                feedback.FeedbackRequested(engagement_id=engagement_id, form=feedback.Form.self_assessment,
                                           respondent_id="maija"),
                feedback.FeedbackReminderSent(engagement_id=engagement_id, form=feedback.Form.self_assessment,
                                              respondent_id="maija", reminder_number=1)):
                await up["feedback"].append(f"feedback-{engagement_id}", event, engagement_id)
            for event in (  # type: ignore[assignment]
                registry.ConsentExpiryReminded(expert_id="maija", scope="bank",
                                               valid_until=dt.date.today() + dt.timedelta(days=20)),
                registry.ProfileReturned(expert_id="maija", reason="it names my diagnosis"),
                registry.OrdererCredentialsGranted(orderer_id="school", orderer_name="Turun koulu",
                                                   valid_until=dt.date.today() + dt.timedelta(days=10))):
                await up["registry"].append(f"person-{uuid.uuid4()}", event)
            await up["orders"].append(stream, orders.EngagementCancelled(
                engagement_id=engagement_id, cancelled_by="orderer", reason="the lecturer fell ill",
                after_signing=True), engagement_id)

            placed = uuid.uuid4()  # the school's order whose candidates all had their turn
            for event in (orders.OrderPlaced(  # type: ignore[assignment]
                    order_id=placed, orderer_id="school", orderer_organization_id=None, county_service=False,
                    task_type=orders.TaskType.lecture, topic="living with psychosis", date=dt.date.today(),
                    duration_hours=Decimal("2"), place="Turku", remote=False, experts_wanted=1,
                    fee=orders.FeeTerms(mode=orders.FeeMode.recommended)),
                    orders.NoCandidatesLeft(order_id=placed, still_wanted=1)):
                await up["orders"].append(f"order-{placed}", event)

            to_school = {MessageKind.contract_to_sign, MessageKind.credentials_expiring,
                         MessageKind.candidates_exhausted}
            expected = sorted(
                [("maija@example.org", TEMPLATES[kind][Language.sv][0]) for kind in MessageKind if kind not in
                 to_school] + [("maija@example.org", TEMPLATES[MessageKind.contract_to_sign][Language.sv][0])]
                + [("school@example.fi", TEMPLATES[kind][Language.en][0]) for kind in to_school])

            async def arrived() -> list[tuple[str, str]]:
                return sorted((mail["To"], mail["Subject"]) for mail in w.relay.messages)

            await eventually(lambda: _now_equal(arrived, expected), timeout=30)
            everything = [m.get_content() + m["Subject"] for m in w.relay.messages]
            assert not [(text, word) for text in everything for word in (
                *TELLING, "receipt", "diagnosis", "215.00", "215,00", "55.00", "55,00", "fell ill") if word in text]
            await w.offer("pekka")  # nobody's: pekka gave no details; then nothing more came to anyone
            assert await arrived() == expected


async def _order_of(runtime: ServiceRuntime, engagement_id: uuid.UUID, order_id: uuid.UUID) -> bool:
    parties = await runtime.deps.views.parties(engagement_id)
    return parties is not None and parties.order_id == order_id


async def _now_equal(found: Any, expected: Any) -> bool:
    return bool(await found() == expected)
