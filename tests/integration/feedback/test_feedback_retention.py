"""The free-text retention rule on a real NATS and PostgreSQL: three years after an engagement's delivery the
feedback service's job erases both forms' free text (each application a FeedbackTextRedacted naming the rule, the
form's key shredded), while the ratings stay for the report; a newer engagement's text is left as it is."""

import contextlib
import uuid
from decimal import Decimal

import asyncpg
import nats
import pytest

from services.feedback.retention import RULE
from services.feedback.service import definition
from services.orders import events as orders
from shared.clock import Clock
from shared.messaging.rpc import RemoteError
from shared.runtime.service import ServiceRuntime
from tests.callers import request
from tests.conftest import eventually, upstream
from tests.integration.feedback.test_feedback_service import (
    COORDINATOR,
    EXPERT,
    ORDERER,
    ORDERER_RATINGS,
    SELF as SELF_LOW,
    T0,
)
from tests.unit.feedback.fakes import MovableClock, engagement_opened

pytestmark = [pytest.mark.integration, pytest.mark.services("orders", "registry", "feedback")]

SELF = {**SELF_LOW, "own_wellbeing": 4}  # not low: no follow-up in this test


async def test_free_text_is_erased_by_the_retention_rule_and_the_ratings_stay(environment):
    async with contextlib.AsyncExitStack() as stack:
        upstreams = {service: await stack.enter_async_context(upstream(environment, service))
                     for service in ("orders", "registry")}
        nc = await nats.connect(environment.nats_url)
        stack.push_async_callback(nc.close)
        clock = MovableClock(T0)
        runtime = ServiceRuntime(definition(clock=Clock(clock), retention_every_seconds=0.1),
                                 environment.settings("feedback"))
        await runtime.start(serve_http=False)
        stack.push_async_callback(runtime.stop)

        async def delivered(expert_id: str, orderer_id: str) -> uuid.UUID:
            engagement_id = uuid.uuid4()
            stream_id = f"engagement-{engagement_id}"
            await upstreams["orders"].append(stream_id, engagement_opened(engagement_id, expert_id, orderer_id),
                                             engagement_id)
            await upstreams["orders"].append(stream_id, orders.DeliveryConfirmed(
                engagement_id=engagement_id, actual_hours=Decimal("2"), kilometres=Decimal("30")), engagement_id)
            await eventually(lambda: feedback(engagement_id))
            return engagement_id

        async def feedback(engagement_id: uuid.UUID) -> dict | None:
            try:
                return await request(nc, "kokemus.feedback.query.get_feedback",
                                     {"actor": COORDINATOR, "engagement_id": str(engagement_id)})
            except RemoteError as error:  # not requested yet
                assert error.code == "not_found"
                return None

        async def submit(engagement_id: uuid.UUID, actor: dict, form: str, ratings: dict, text: str) -> None:
            await request(nc, "kokemus.feedback.cmd.submit_feedback", {
                "actor": actor, "engagement_id": str(engagement_id), "form": form, "ratings": ratings,
                "free_text": text})

        old = await delivered("expert-1", "orderer-1")
        await submit(old, EXPERT, "self_assessment", SELF, "It brought my own illness back to mind.")
        await submit(old, ORDERER, "orderer_feedback", ORDERER_RATINGS, "The pupils talked about it for days.")
        clock.advance(days=365 * 2)
        newer = await delivered("expert-1", "orderer-1")
        await submit(newer, EXPERT, "self_assessment", SELF, "Easier this time.")

        # Not yet three years: nothing is erased.
        kept = (await feedback(old))["forms"]["self_assessment"]
        assert (kept["free_text"], kept["redacted_by"]) == ("It brought my own illness back to mind.", None)
        # Each respondent's own forms, every engagement's (their right of access).
        mine = (await request(nc, "kokemus.feedback.query.my_feedback", {"actor": EXPERT}))["forms"]
        assert sorted(view["free_text"] for view in mine) == ["Easier this time.",
                                                              "It brought my own illness back to mind."]
        theirs = (await request(nc, "kokemus.feedback.query.my_feedback", {"actor": ORDERER}))["forms"]
        assert sorted((view["status"], view["free_text"] or "") for view in theirs) == [
            ("answered", "The pupils talked about it for days."), ("open", "")]  # the newer one not filed yet

        clock.advance(days=365 + 2)  # three years and a day since the first delivery, one since the newer

        async def redacted():  # type: ignore[no-untyped-def]
            forms = (await feedback(old))["forms"]
            return forms if all(view["redacted_by"] == RULE for view in forms.values()) else None
        forms = await eventually(redacted, timeout=30)
        assert [view["free_text"] for view in forms.values()] == [None, None]
        # The own-wellbeing rating was sealed with the text: it goes from the history, the other ratings stay.
        assert forms["self_assessment"]["ratings"] == {q: v for q, v in SELF.items() if q != "own_wellbeing"}
        assert forms["orderer_feedback"]["ratings"] == ORDERER_RATINGS
        assert {view["status"] for view in forms.values()} == {"answered"}
        kept = (await feedback(newer))["forms"]["self_assessment"]
        assert (kept["free_text"], kept["redacted_by"]) == ("Easier this time.", None)
        theirs = (await request(nc, "kokemus.feedback.query.my_feedback", {"actor": ORDERER}))["forms"]
        assert sorted((view["status"], view["redacted_by"] or "") for view in theirs) == [
            ("answered", RULE), ("open", "")]

        conn = await asyncpg.connect(environment.dsns["feedback"])
        try:
            applied = await conn.fetch(
                "SELECT payload->>'form' AS form, payload->>'rule' AS rule FROM feedback.events "
                "WHERE event_type = 'FeedbackTextRedacted' ORDER BY 1")
            assert [(row["form"], row["rule"]) for row in applied] == [("orderer_feedback", RULE),
                                                                      ("self_assessment", RULE)]
            shredded = await conn.fetch("SELECT subject_id FROM feedback.subject_keys WHERE key IS NULL ORDER BY 1")
            assert [row["subject_id"] for row in shredded] == [f"answers-{old}-orderer_feedback",
                                                               f"answers-{old}-self_assessment"]
            # The report's table keeps every answered form and its ratings, own wellbeing included.
            rows = await conn.fetch("SELECT status, ratings FROM feedback.forms WHERE engagement_id = $1", old)
            assert [row["status"] for row in rows] == ["answered", "answered"]
            assert any('"own_wellbeing": 4' in row["ratings"] for row in rows)
        finally:
            await conn.close()
