"""A command that loses a race for an aggregate's version is run again against what is now recorded; only
after three lost races is the caller told to try again."""

import pytest
from pydantic import BaseModel

from shared.events import Actor, Role
from shared.eventstore.memory import InMemoryEventStore
from shared.eventstore.port import ConcurrencyConflict
from shared.runtime.dispatch import COMMAND_ATTEMPTS, Dispatcher
from shared.unit_of_work import InMemoryUnitOfWork

COORDINATOR = Actor(id="anna", role=Role.coordinator)


class Nothing(BaseModel):
    pass


def losing(times: int):  # type: ignore[no-untyped-def]
    calls: list[int] = []

    async def handler(request, ctx, deps):  # type: ignore[no-untyped-def]
        calls.append(len(calls) + 1)
        if len(calls) <= times:
            raise ConcurrencyConflict("engagement-1", 1, 2)
        return {"attempt": len(calls)}
    return handler, calls


async def test_a_command_that_lost_a_race_runs_again_and_succeeds():
    handler, calls = losing(COMMAND_ATTEMPTS - 1)
    dispatcher = Dispatcher(InMemoryUnitOfWork(InMemoryEventStore()), deps=None)
    reply = await dispatcher.command("accept_change", handler, Nothing(), COORDINATOR)
    assert reply["result"]["attempt"] == COMMAND_ATTEMPTS and calls == list(range(1, COMMAND_ATTEMPTS + 1))


async def test_after_every_attempt_lost_the_caller_is_told_of_the_conflict():
    handler, calls = losing(COMMAND_ATTEMPTS)
    dispatcher = Dispatcher(InMemoryUnitOfWork(InMemoryEventStore()), deps=None)
    with pytest.raises(ConcurrencyConflict):
        await dispatcher.command("accept_change", handler, Nothing(), COORDINATOR)
    assert len(calls) == COMMAND_ATTEMPTS
