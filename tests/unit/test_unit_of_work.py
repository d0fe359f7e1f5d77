"""The unit of work tells the store that a transaction recorded events only once it has committed: the relay
it wakes then finds them (a wake before the commit found nothing and left them to the next poll)."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from shared.unit_of_work import PostgresUnitOfWork


class Connection:
    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.depth = 0

    def is_in_transaction(self) -> bool:
        return self.depth > 0

    @contextlib.asynccontextmanager
    async def transaction(self):  # type: ignore[no-untyped-def]
        self.depth += 1
        try:
            yield
        except BaseException:
            self.log.append("rolled back")
            raise
        finally:
            self.depth -= 1
        self.log.append("committed" if self.depth == 0 else "savepoint released")


class Pool:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @contextlib.asynccontextmanager
    async def acquire(self):  # type: ignore[no-untyped-def]
        yield self.connection


class Store:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def committed(self) -> None:
        self.log.append("store told")


def unit_of_work() -> tuple[PostgresUnitOfWork, Connection, list[str]]:
    log: list[str] = []
    connection = Connection(log)
    store: Any = Store(log)
    pool: Any = Pool(connection)
    return PostgresUnitOfWork(store, pool), connection, log


async def test_the_store_is_told_after_the_commit_of_a_transaction_that_recorded_events():
    uow, _, log = unit_of_work()
    async with uow.begin() as session:
        session.recorded.append("an event")  # type: ignore[arg-type]
    assert log == ["committed", "store told"]


async def test_the_store_is_not_told_of_a_transaction_that_recorded_nothing_or_was_rolled_back():
    uow, _, log = unit_of_work()
    async with uow.begin():
        pass
    with pytest.raises(RuntimeError):
        async with uow.begin() as session:
            session.recorded.append("an event")  # type: ignore[arg-type]
            raise RuntimeError("the handler failed")
    assert log == ["committed", "rolled back"]


async def test_a_savepoint_inside_a_callers_transaction_leaves_the_telling_to_whoever_commits():
    uow, connection, log = unit_of_work()
    async with connection.transaction(), uow.begin(connection) as session:
        session.recorded.append("an event")  # type: ignore[arg-type]
    assert log == ["savepoint released", "committed"]
