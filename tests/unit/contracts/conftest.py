"""The contracts service's handlers on the in-memory store, with a clock whose day a test turns."""

import datetime as dt

import pytest

from services.contracts import events
from services.contracts.service import compose
from services.contracts.views import InMemoryContractsViews
from services.orders import events as orders
from shared.clock import Clock
from shared.events import events_in
from shared.eventstore.memory import InMemoryEventStore
from shared.unit_of_work import InMemoryUnitOfWork
from tests.unit.calls import fixed_clock


class Calendar:
    """A clock whose day the test turns."""

    def __init__(self, today: dt.date) -> None:
        self.today = today

    def now(self) -> dt.datetime:
        return fixed_clock(self.today).now()


@pytest.fixture
def clock():
    return Calendar(dt.date(2026, 3, 2))


@pytest.fixture
def deps(clock):
    views = InMemoryContractsViews()
    store = InMemoryEventStore("contracts", events_in(events))
    return compose(InMemoryUnitOfWork(store, views.project), views, clock=Clock(clock.now))


@pytest.fixture
def orders_store():
    return InMemoryEventStore("orders", events_in(orders))
