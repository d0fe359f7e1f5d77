"""The feedback service's handlers on their in-memory store and views, at 1 March 2024, 9 UTC, with the orders
and registry events their consumers take delivered by hand."""

import datetime as dt

import pytest

from tests.unit.feedback.fakes import MovableClock, Upstream, make_deps

T0 = dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    return MovableClock(T0)


@pytest.fixture
def deps(clock):
    return make_deps(clock)


@pytest.fixture
def upstream(deps):
    return Upstream(deps)
