"""The authorization matrix (matrix.py): every command and query of every service, asked by every role, on a
running system with real data (a delivered engagement), over NATS with signed identities. Every role outside a
request's allowed set gets ``forbidden`` and nothing is recorded; a request with no entry fails the test, so a
new command cannot slip in without saying who may send it.
"""

from __future__ import annotations

import pytest

from shared.messaging.rpc import RemoteError
from tests.callers import request
from tests.integration.authorization.matrix import (
    ALLOWED,
    BY_ROLE,
    EVERYONE,
    bodies,
    every_request,
)

pytestmark = pytest.mark.integration


def test_the_matrix_names_every_request_of_every_service():
    missing = {(service, name) for service, _, name in every_request()} - set(ALLOWED)
    assert not missing, f"say who may send these in ALLOWED: {sorted(missing)}"


async def test_every_role_outside_a_requests_allowed_set_is_forbidden_and_records_nothing(system):
    nc, ids = system["nc"], system
    counts_before = {r.name: await r.store.count() for r in system["runtimes"]}
    body_of = bodies(ids)
    checked = 0
    for service, kind, name in every_request():
        for role in EVERYONE - ALLOWED[(service, name)]:
            with pytest.raises(RemoteError) as refused:
                await request(nc, f"kokemus.{service}.{kind}.{name}",
                              {"actor": BY_ROLE[role], **body_of[(service, name)]})
            assert refused.value.code == "forbidden", (service, name, role, refused.value)
            checked += 1
    assert checked > 250
    assert {r.name: await r.store.count() for r in system["runtimes"]} == counts_before
