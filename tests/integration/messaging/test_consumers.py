"""The messaging kernel against a real NATS and PostgreSQL: consumers, dead letters, replicas."""

from __future__ import annotations

import asyncio

import pytest

from shared.envelope import Published
from shared.messaging.rpc import RemoteError
from shared.runtime.service import ServiceRuntime
from tests.callers import request
from tests.conftest import eventually
from tests.integration.messaging.toy import (
    COORDINATOR,
    Poison,
    beta_definition,
    seen_rows,
    settings_for,
    stream_messages,
)

pytestmark = pytest.mark.integration


async def test_a_redelivered_message_changes_nothing_the_second_time(servers, databases, alpha, client):
    beta = ServiceRuntime(beta_definition(Poison()), settings_for(servers, databases, "beta"))
    await beta.start(serve_http=False)
    try:
        await request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": "x", "n": 1})
        await eventually(lambda: seen_rows(databases["beta"]))
        [message] = await stream_messages(client, "KOKEMUS_ALPHA")
        # The same message again, as JetStream redelivers it after a lost ack (no Nats-Msg-Id: not deduplicated).
        await client.jetstream().publish(message.subject, message.data)
        [consumer] = beta.consumers

        async def both_delivered():
            info = await client.jetstream().consumer_info("KOKEMUS_ALPHA", "beta-from-alpha")
            return info.delivered.stream_seq >= 2 and info.num_ack_pending == 0
        await eventually(both_delivered)
        assert await consumer.process(Published.model_validate_json(message.data)) is False
        assert len(await seen_rows(databases["beta"])) == 1
    finally:
        await beta.stop()


async def test_a_poison_message_is_dead_lettered_listed_and_replayed_while_the_rest_flow(
    servers, databases, alpha, client
):
    poison = Poison()
    beta = ServiceRuntime(beta_definition(poison), settings_for(servers, databases, "beta"))
    await beta.start(serve_http=False)
    try:
        for n in (12, 13, 14):
            await request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": f"p{n}", "n": n})

        async def dead_letters():
            return await request(client, "kokemus.beta.query.dead_letters", {"actor": COORDINATOR})

        [letter] = await eventually(dead_letters)
        assert letter["attempts"] == 3 and "thirteen is unlucky" in letter["error"]
        assert letter["subject"] == "kokemus.alpha.events.AlphaNoted"
        assert [row["n"] for row in await seen_rows(databases["beta"])] == [12, 14]

        with pytest.raises(RemoteError) as refused:
            await request(client, "kokemus.beta.cmd.replay_dead_letter",
                          {"actor": {"id": "o1", "role": "orderer"}, "dead_letter_id": letter["id"]})
        assert refused.value.code == "forbidden"

        poison.cured = True
        await request(
            client, "kokemus.beta.cmd.replay_dead_letter", {"actor": COORDINATOR, "dead_letter_id": letter["id"]}
        )
        assert [row["n"] for row in await seen_rows(databases["beta"])] == [12, 13, 14]
        [replayed] = await dead_letters()
        assert replayed["replayed_at"] is not None
    finally:
        await beta.stop()


async def test_two_replicas_share_the_work_and_handle_each_event_once(servers, databases, alpha, client):
    poison = Poison()
    first = ServiceRuntime(beta_definition(poison, "beta-1"), settings_for(servers, databases, "beta"))
    second = ServiceRuntime(beta_definition(poison, "beta-2"), settings_for(servers, databases, "beta"))
    await first.start(serve_http=False)
    await second.start(serve_http=False)
    try:
        await asyncio.gather(*(
            request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": f"r{n}", "n": n})
            for n in range(60) if n != 13
        ))

        async def all_seen():
            rows = await seen_rows(databases["beta"])
            return rows if len(rows) == 59 else None

        rows = await eventually(all_seen, timeout=30)
        assert len({row["event_id"] for row in rows}) == 59
        assert {row["handled_by"] for row in rows} == {"beta-1", "beta-2"}
    finally:
        await first.stop()
        await second.stop()
