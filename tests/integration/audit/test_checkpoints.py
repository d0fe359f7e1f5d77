"""Tamper evidence with a secret: someone who can write every database rewrites an event in a service's store
and in the audit's copies in step, recomputing every hash. Every chain still holds and the store still matches
the copies, but `audit verify` names the rewrite against the checkpoint the audit signed before (its key is in
no database), also from a checkpoint exported beforehand. An event injected into the bus is named injected."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import nats
import pytest

from kokemus.verification import Checkpoint, latest_checkpoint, verify_all
from services import SERVICE_NAMES, definitions
from shared.envelope import Published
from shared.eventstore import chain, codec
from shared.runtime.service import ServiceRuntime
from tests.callers import AUDIT_KEYS, ActingAs, request
from tests.conftest import eventually

pytestmark = pytest.mark.integration

COORDINATOR = {"id": "anna", "role": "coordinator"}
AUDITOR = {"id": "aino", "role": "auditor"}
STREAM = "organization-mieli"


@pytest.fixture
async def system(environment) -> AsyncIterator[nats.NATS]:
    runtimes = [ServiceRuntime(definitions()[name], environment.settings(name)) for name in SERVICE_NAMES]
    await asyncio.gather(*(runtime.start(serve_http=False) for runtime in runtimes))
    nc = await nats.connect(environment.nats_url)
    try:
        await request(nc, "kokemus.registry.cmd.register_organization",
                      {"actor": COORDINATOR, "organization_id": "mieli", "name": "Mieli ry", "kind": "ngo"})
        await request(nc, "kokemus.registry.cmd.draft_organization_agreement",
                      {"actor": COORDINATOR, "organization_id": "mieli", "agreement_id": "a1",
                       "valid_from": "2026-01-01"})

        async def copied() -> bool:
            heads = await request(nc, "kokemus.audit.query.copy_heads", {"actor": AUDITOR, "service": "registry"})
            return heads["heads"].get(STREAM, {}).get("version") == 2

        await eventually(copied)
        yield nc
    finally:
        await nc.close()
        for runtime in reversed(runtimes):
            await runtime.stop()


def superuser_dsn(environment) -> str:
    return urlsplit(environment.servers.admin_dsn)._replace(path=f"/{environment.database}").geturl()


async def rewrite_in_step(environment, new_name: str) -> None:
    """Change the organization's name in its first event, and recompute the stream's chain, in the registry's
    table and in the audit's copies alike: what a database administrator could do with both databases."""
    conn = await asyncpg.connect(superuser_dsn(environment))
    try:
        await conn.execute("SET session_replication_role = replica")  # past the append-only trigger
        rows = await conn.fetch("SELECT envelope FROM audit.source_events WHERE stream_id = $1 ORDER BY version",
                                STREAM)
        prev_hash = chain.GENESIS
        for row in rows:
            envelope = Published.model_validate_json(row["envelope"])
            payload = {**envelope.payload, "name": new_name} if envelope.version == 1 else envelope.payload
            envelope = envelope.model_copy(update={"payload": payload, "prev_hash": prev_hash})
            prev_hash = chain.link(prev_hash, codec.hashed_content(envelope))
            envelope = envelope.model_copy(update={"hash": prev_hash})
            await conn.execute("UPDATE registry.events SET payload = $2::jsonb, prev_hash = $3, hash = $4 "
                               "WHERE event_id = $1", envelope.event_id, json.dumps(payload),
                               envelope.prev_hash, envelope.hash)
            await conn.execute("UPDATE audit.source_events SET envelope = $2::jsonb, prev_hash = $3, hash = $4 "
                               "WHERE event_id = $1", envelope.event_id, envelope.model_dump_json(),
                               envelope.prev_hash, envelope.hash)
    finally:
        await conn.close()


def broken(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {store["store"]: store["breaks"] for store in report["stores"] if not store["intact"]}


async def test_a_rewrite_of_a_store_and_the_audits_copies_in_step_is_named_against_the_signed_checkpoint(
        system, environment, tmp_path):
    auditor = ActingAs(system, AUDITOR)
    signed = await request(system, "kokemus.audit.cmd.sign_checkpoint", {"actor": AUDITOR})
    assert signed["checkpoint_id"]
    assert (await verify_all(auditor, AUDIT_KEYS))["intact"]
    exported = await latest_checkpoint(auditor)
    assert exported.heads["registry"][STREAM]["version"] == 2

    await rewrite_in_step(environment, "Mieli ry (forged)")

    report = await verify_all(auditor, AUDIT_KEYS)
    assert not report["intact"]
    against = f"registry against the checkpoint signed {exported.signed_at}"
    # The chains hold and the copies agree: only the signed checkpoint tells.
    assert {store: [(b["stream_id"], b["version"], b["reason"]) for b in breaks]
            for store, breaks in broken(report).items()} == {
        against: [(STREAM, 2, "differs here (the chain was rewritten)")]}

    # A checkpoint exported before the rewrite tells it too, even once the audit has signed newer ones.
    path = tmp_path / "checkpoint.json"
    path.write_text(json.dumps(exported.export()))
    await request(system, "kokemus.audit.cmd.sign_checkpoint", {"actor": AUDITOR})
    from_file = await verify_all(auditor, AUDIT_KEYS, Checkpoint.from_file(path))
    assert list(broken(from_file)) == [against]


async def test_heads_the_audit_keeps_for_a_checkpoint_cannot_be_changed_unnoticed(system, environment):
    auditor = ActingAs(system, AUDITOR)
    signed = await request(system, "kokemus.audit.cmd.sign_checkpoint", {"actor": AUDITOR})
    conn = await asyncpg.connect(superuser_dsn(environment))
    try:
        changed = await conn.execute("UPDATE audit.checkpoint_heads SET hash = $2 WHERE checkpoint_id = $1 "
                                     "AND stream_id = $3", uuid.UUID(signed["checkpoint_id"]), "00" * 32, STREAM)
        assert changed == "UPDATE 1"
    finally:
        await conn.close()
    report = await verify_all(auditor, AUDIT_KEYS)
    [refused] = report["errors"]
    assert refused["step"] == "the signed checkpoint" and "registry heads given are not the ones" in refused["message"]


async def test_a_checkpoint_checked_with_another_key_is_refused(system):
    from joserfc.jwk import KeySet

    from shared.identity import generate_signing_key, publish

    await request(system, "kokemus.audit.cmd.sign_checkpoint", {"actor": AUDITOR})
    other = KeySet.import_key_set(publish(generate_signing_key()))
    report = await verify_all(ActingAs(system, AUDITOR), other)
    assert not report["intact"]
    assert "signature does not verify" in report["errors"][0]["message"]


async def test_an_event_injected_into_the_bus_is_named_injected(system):
    # Made like a real one (the registry's first event as a template), but never recorded by the registry.
    js = system.jetstream()
    template = json.loads((await js.get_msg("KOKEMUS_REGISTRY", 1)).data)
    forged = {**template, "event_id": str(uuid.uuid4()), "stream_id": "orderer-forged", "version": 1,
              "event_type": "OrdererCredentialsGranted", "position": 999_999, "prev_hash": "00" * 32,
              "hash": "11" * 32, "payload": {"orderer_id": "forged", "orderer_name": "Forged"}}
    await js.publish("kokemus.registry.events.OrdererCredentialsGranted", json.dumps(forged).encode(),
                     headers={"Nats-Msg-Id": forged["event_id"]})

    async def copied() -> bool:
        heads = await request(system, "kokemus.audit.query.copy_heads", {"actor": AUDITOR, "service": "registry"})
        return "orderer-forged" in heads["heads"]

    await eventually(copied)
    report = await verify_all(ActingAs(system, AUDITOR), AUDIT_KEYS)
    [claimed] = broken(report)["registry against the audit's copies"]
    assert claimed["stream_id"] == "orderer-forged" and "injected" in claimed["reason"]
