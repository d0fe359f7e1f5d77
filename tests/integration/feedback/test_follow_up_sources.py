"""The follow-up report's fees, expenses and regions on a real NATS and PostgreSQL: the contracts service's
FeeApproved and FeePaid and the registry's ExpertListed come in over their streams, and the report (and its
CSV) shows the fees and expenses paid in total and by region, with small regions suppressed. Figures checked
by hand in the comments."""

import contextlib
import csv
import datetime as dt
import io
import uuid
from decimal import Decimal

import nats
import pytest

from services.contracts import events as contracts
from services.feedback.service import definition
from services.orders import events as orders
from services.registry import events as registry
from shared.clock import Clock
from tests.callers import request
from tests.conftest import eventually, upstream
from tests.unit.feedback.fakes import MovableClock, engagement_opened

pytestmark = [pytest.mark.integration, pytest.mark.services("orders", "registry", "contracts", "feedback")]

COORDINATOR = {"id": "coordinator-1", "role": "coordinator"}
T0 = dt.datetime(2024, 3, 4, 10, tzinfo=dt.UTC)
S = "suppressed"


async def test_fees_expenses_and_regions_in_the_report(environment):
    from shared.runtime.service import ServiceRuntime

    async with contextlib.AsyncExitStack() as stack:
        up = {service: await stack.enter_async_context(upstream(environment, service))
              for service in ("orders", "registry", "contracts")}
        nc = await nats.connect(environment.nats_url)
        stack.push_async_callback(nc.close)
        runtime = ServiceRuntime(definition(clock=Clock(MovableClock(T0))), environment.settings("feedback"))
        await runtime.start(serve_http=False)
        stack.push_async_callback(runtime.stop)

        # Maija is listed in Oulu and Raahe, Pekka in Oulu only; both belong to Mieli.
        for expert_id, regions in (("maija", ["oulu", "raahe"]), ("pekka", ["oulu"])):
            await up["registry"].append(f"expert-{expert_id}", registry.ExpertRegistered(
                expert_id=expert_id, organization_id="mieli", name=expert_id, email=f"{expert_id}@example.org"))
            await up["registry"].append(f"expert-{expert_id}", registry.ExpertListed(
                expert_id=expert_id, organization_ids=["mieli"], county_trained=False, regions=regions))
        # Six lectures, three each, delivered with 2 hours worked; each fee approved at 100 € with 10 € of
        # mileage. Five are paid (110 € each: the fee and the mileage); the first's parking, 20 €, later.
        engagements = [(uuid.uuid4(), "maija" if n < 3 else "pekka") for n in range(6)]
        for n, (engagement_id, expert_id) in enumerate(engagements):
            await up["orders"].record(engagement_id, engagement_opened(engagement_id, expert_id, "school-1"))
            await up["orders"].record(engagement_id, orders.DeliveryConfirmed(
                engagement_id=engagement_id, actual_hours=Decimal("2"), kilometres=Decimal("40")))
            contract_id = uuid.uuid4()
            await up["contracts"].append(f"contract-{contract_id}", contracts.FeeApproved(
                contract_id=contract_id, engagement_id=engagement_id, fee=Decimal("100"), mileage=Decimal("10"),
                other_expenses=Decimal("0"), total=Decimal("110")), engagement_id)
            if n < 5:
                await up["contracts"].append(f"contract-{contract_id}", contracts.FeePaid(
                    contract_id=contract_id, engagement_id=engagement_id, total=Decimal("110"),
                    paid_on=dt.date(2024, 3, 29), includes_fee=True, expense_lines=[]), engagement_id)
            if n == 0:
                await up["contracts"].append(f"contract-{contract_id}", contracts.FeePaid(
                    contract_id=contract_id, engagement_id=engagement_id, total=Decimal("20"),
                    paid_on=dt.date(2024, 4, 5), includes_fee=False, expense_lines=[1]), engagement_id)

        async def report(**extra):  # type: ignore[no-untyped-def]
            return await request(nc, "kokemus.feedback.query.follow_up_report",
                                 {"actor": COORDINATOR, "from": "2024-03-01", "until": "2024-03-31", **extra})

        async def all_in():  # type: ignore[no-untyped-def]
            found = await report()
            oulu = found["by"]["region"].get("oulu", {})
            return found if (found["engagements"], found["expenses_paid"], oulu.get("engagements")) == (
                6, 70.0, 6) else None
        found = await eventually(all_in)
        # Fees: five paid of 100 €; expenses: five journeys of 10 € and the parking's 20 €.
        assert (found["hours"], found["fees_paid"], found["expenses_paid"]) == (12.0, 500.0, 70.0)
        # Oulu has all six lectures; Raahe Maija's three, too few to show; nobody is listed nowhere.
        assert found["by"]["region"]["oulu"] == found["by"]["organization"]["mieli"]
        assert (found["by"]["region"]["oulu"]["fees_paid"], found["by"]["region"]["oulu"]["expenses_paid"]) == (
            500.0, 70.0)
        raahe = found["by"]["region"]["raahe"]
        assert (raahe["engagements"], raahe["hours"], raahe["fees_paid"], raahe["expenses_paid"]) == (S, S, S, S)
        assert list(found["by"]["region"]) == ["oulu", "raahe"]

        rows = list(csv.DictReader(io.StringIO((await report(format="csv"))["csv"])))
        value = {(row["breakdown"], row["group"], row["measure"]): row["value"] for row in rows}
        assert value[("total", "2024-03-01..2024-03-31", "fees_paid")] == "500.0"
        assert value[("region", "oulu", "expenses_paid")] == "70.0"
        assert value[("region", "raahe", "fees_paid")] == S
