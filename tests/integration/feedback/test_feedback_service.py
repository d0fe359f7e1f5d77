"""The feedback service on a real NATS and PostgreSQL: orders and registry events come in over their streams
(recorded in those services' own stores and published by their outbox relays), users talk to it over the bus."""

import contextlib
import datetime as dt
import json
import uuid
from decimal import Decimal

import nats
import pytest

from services.feedback.service import definition
from services.orders import events as orders
from services.registry import events as registry
from shared.clock import Clock
from shared.messaging.rpc import RemoteError
from shared.runtime.service import ServiceRuntime
from tests.callers import request
from tests.conftest import eventually, upstream
from tests.unit.feedback.fakes import MovableClock, engagement_opened
from tests.unit.feedback.questionnaires import VERSION_2

pytestmark = [pytest.mark.integration, pytest.mark.services("orders", "registry", "feedback")]

COORDINATOR = {"id": "coordinator-1", "role": "coordinator"}
EXPERT = {"id": "expert-1", "role": "expert"}
ORDERER = {"id": "orderer-1", "role": "orderer"}
SELF = {"preparation": 4, "own_wellbeing": 2, "experience_heard": 5, "would_do_again": 4}
ORDERER_RATINGS = {"usefulness": 5, "expert_preparation": 4, "cooperation": 5, "would_order_again": 5}
T0 = dt.datetime(2024, 3, 4, 10, tzinfo=dt.UTC)


async def test_feedback_round_of_a_delivered_engagement(environment):
    async with contextlib.AsyncExitStack() as stack:
        upstreams = {service: await stack.enter_async_context(upstream(environment, service))
                     for service in ("orders", "registry")}
        await feedback_round(environment, upstreams)


async def feedback_round(environment, upstreams) -> None:  # type: ignore[no-untyped-def]
    nc = await nats.connect(environment.nats_url)
    js = nc.jetstream()
    clock = MovableClock(T0)
    runtime = ServiceRuntime(definition(check_every_seconds=0.1, clock=Clock(clock)), environment.settings("feedback"))
    await runtime.start(serve_http=False)
    try:
        engagement_id = uuid.uuid4()
        stream_id = f"engagement-{engagement_id}"

        async def feedback(actor=COORDINATOR):  # type: ignore[no-untyped-def]
            return await request(nc, "kokemus.feedback.query.get_feedback",
                                 {"actor": actor, "engagement_id": str(engagement_id)})

        async def submit(actor, form, ratings, free_text=None):  # type: ignore[no-untyped-def]
            return await request(nc, "kokemus.feedback.cmd.submit_feedback", {
                "actor": actor, "engagement_id": str(engagement_id), "form": form, "ratings": ratings,
                "free_text": free_text})

        async def requested():  # type: ignore[no-untyped-def]
            try:
                return await feedback()
            except RemoteError as error:
                assert error.code == "not_found"
                return None

        # The expert belongs to Mieli, as the registry tells.
        await upstreams["registry"].append("expert-expert-1", registry.ExpertRegistered(
            expert_id="expert-1", organization_id="mieli", name="Maija", email="maija@example.org"))

        async def follow_ups(organization_id="mieli"):  # type: ignore[no-untyped-def]
            contact = {"id": "olli", "role": "organization_contact", "organization_id": organization_id}
            return (await request(nc, "kokemus.feedback.query.wellbeing_follow_ups", {"actor": contact}))["follow_ups"]

        # Delivered in the orders service: both forms are requested.
        await upstreams["orders"].append(
            stream_id, engagement_opened(engagement_id, "expert-1", "orderer-1"), engagement_id
        )
        await upstreams["orders"].append(stream_id, orders.DeliveryConfirmed(
            engagement_id=engagement_id, actual_hours=Decimal("2"), kilometres=Decimal("30")), engagement_id)
        seen = await eventually(requested)
        assert {form: (view["respondent_id"], view["status"]) for form, view in seen["forms"].items()} == {
            "self_assessment": ("expert-1", "open"), "orderer_feedback": ("orderer-1", "open")}

        # Unanswered for the reminder interval: each respondent is reminded, once.
        clock.advance(days=3)

        async def reminded():  # type: ignore[no-untyped-def]
            forms = (await feedback())["forms"]
            return all(view["reminders_sent"] == 1 for view in forms.values())
        await eventually(reminded)

        # Both respondents answer; the second answer completes the feedback, published for other services.
        first = await submit(EXPERT, "self_assessment", SELF, "Talking about my depression was hard.")
        assert first["completed"] is False
        with pytest.raises(RemoteError) as wrong:
            await submit({"id": "expert-2", "role": "expert"}, "orderer_feedback", ORDERER_RATINGS)
        assert wrong.value.code == "forbidden"
        second = await submit(ORDERER, "orderer_feedback", ORDERER_RATINGS, "Students were moved.")
        assert second["completed"] is True
        with pytest.raises(RemoteError) as again:
            await submit(ORDERER, "orderer_feedback", ORDERER_RATINGS)
        assert again.value.code == "conflict"

        def published(event_type):  # type: ignore[no-untyped-def]
            async def last():  # type: ignore[no-untyped-def]
                try:
                    message = await js.get_last_msg("KOKEMUS_FEEDBACK", f"kokemus.feedback.events.{event_type}")
                except nats.js.errors.NotFoundError:
                    return None
                return json.loads(message.data)
            return last
        envelope = await eventually(published("FeedbackCompleted"))
        assert envelope["payload"]["engagement_id"] == str(engagement_id)
        assert envelope["engagement_id"] == str(engagement_id)
        # On the bus the orderer's free text travels sealed with the form's own key (shredded with the expert's).
        submitted = await eventually(published("FeedbackSubmitted"))
        assert submitted["subject_id"] == f"answers-{engagement_id}-orderer_feedback"
        assert "Students" not in json.dumps(submitted) and "$encrypted" in submitted["payload"]["free_text"]
        assert (await feedback())["forms"]["self_assessment"]["free_text"] == "Talking about my depression was hard."
        # The expert answered their own wellbeing 2: Mieli's contact person is asked to get in touch; on the bus
        # the follow-up names neither the expert nor the engagement in clear.
        [follow_up] = await follow_ups()
        assert (follow_up["expert_id"], follow_up["engagement_id"]) == ("expert-1", str(engagement_id))
        assert await follow_ups("varha") == []
        raised = await eventually(published("WellbeingFollowUpRaised"))
        assert "expert-1" not in json.dumps(raised) and str(engagement_id) not in json.dumps(raised)
        assert raised["subject_id"] == f"wellbeing-{raised['payload']['follow_up_id']}"

        report = await request(nc, "kokemus.feedback.query.follow_up_report",
                               {"actor": COORDINATOR, "from": "2024-03-01", "until": "2024-03-31"})
        # One engagement is too few to show: every figure of it is suppressed, the wellbeing rating's too.
        assert (report["requested"], report["answered"], report["completed"]) == ("suppressed",) * 3
        assert report["forms"]["self_assessment"]["average_ratings"]["own_wellbeing"] == "suppressed"

        # The coordinator changes both questionnaires: the answers to version 1 still read as they were.
        for form in ("self_assessment", "orderer_feedback"):
            defined = await request(nc, "kokemus.feedback.cmd.define_questionnaire",
                                    {"actor": COORDINATOR, "form": form, "questions": VERSION_2})
            assert defined == {"form": form, "version": 2}
        current = await request(nc, "kokemus.feedback.query.feedback_questions", {"actor": EXPERT})
        assert current["versions"] == {"self_assessment": 2, "orderer_feedback": 2}
        answered = (await feedback())["forms"]["self_assessment"]
        assert (answered["questionnaire_version"], answered["ratings"]) == (1, SELF)

        # The expert is erased in the registry: what anyone wrote about them reads as erased, and so does their
        # own-wellbeing rating (special-category, sealed with their key); the other ratings stay, in the report too.
        await upstreams["registry"].append("expert-expert-1", registry.ExpertErased(expert_id="expert-1"))

        async def erased():  # type: ignore[no-untyped-def]
            forms = (await feedback())["forms"]
            return forms if all(view["free_text"] is None for view in forms.values()) else None
        forms = await eventually(erased)
        assert forms["self_assessment"]["ratings"] == {q: v for q, v in SELF.items() if q != "own_wellbeing"}
        assert forms["orderer_feedback"]["ratings"] == ORDERER_RATINGS
        report = await request(nc, "kokemus.feedback.query.follow_up_report",
                               {"actor": COORDINATOR, "from": "2024-03-01", "until": "2024-03-31"})
        assert (report["requested"], report["answered"], report["completed"]) == ("suppressed",) * 3
        assert "own_wellbeing" not in report["forms"]["self_assessment"]["average_ratings"]  # no answer left
        assert await follow_ups() == []
        assert report["forms"]["self_assessment"]["average_ratings"]["preparation"] == "suppressed"
    finally:
        await runtime.stop()
        await nc.close()
