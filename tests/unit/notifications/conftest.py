"""The notifications service's handlers on the in-memory store, with senders that record what they were given
and a clock the test moves."""

import pytest

from tests.unit.notifications.fakes import MovableClock, RecordingSender, Upstream, make_deps


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
