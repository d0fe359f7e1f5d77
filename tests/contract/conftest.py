"""One contract for every service's views: the same scenario runs against the in-memory fake of the port
(``services/<service>/views.py``) and the PostgreSQL tables (``projections.py``), and every read method of
the port must give the same answers.

The events are the services' own event classes, recorded in an event store of the same kind (so they carry
real envelope metadata: recording time, stream and version, the recording service) and then followed by the
views: a service's own events inside the recording transaction, as its unit of work does; another service's
events, recorded in that service's store, inside a transaction of the consumer. Lists whose order the port
promises are compared in order; lists whose order it leaves open are compared as sets.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable

import pytest

from tests.contract.feed import Feed, in_memory, in_postgres


@pytest.fixture(params=["memory", "postgres"])
def views_of(request: pytest.FixtureRequest) -> Callable[[str], contextlib.AbstractAsyncContextManager[Feed]]:
    """Opens a service's views, in memory or in PostgreSQL: only the PostgreSQL half asks for real servers."""
    if request.param == "memory":
        return in_memory
    return functools.partial(in_postgres, request.getfixturevalue("servers"))
