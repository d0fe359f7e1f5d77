"""The steps the end-to-end engagement tests share: who acts, asking through NATS, a county with an expert listed,
and the hand of someone editing a service's table."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import asyncpg
import nats
import pytest

from kokemus.verification import verify_all
from shared.messaging.rpc import RemoteError
from tests.agreement_steps import agree
from tests.callers import AUDIT_KEYS, ActingAs, request
from tests.conftest import eventually

COORDINATOR = {"id": "anna", "role": "coordinator", "organization_id": "varha"}
CONTACT = {"id": "olli", "role": "organization_contact", "organization_id": "mieli"}
EXPERT = {"id": "maija", "role": "expert"}
OTHER_EXPERT = {"id": "pekka", "role": "expert"}
ORDERER = {"id": "school", "role": "orderer"}
AUDITOR = {"id": "aino", "role": "auditor"}
TODAY = dt.date.today()


async def ask(nc, subject: str, body: dict):
    return await request(nc, f"kokemus.{subject}", body)


async def refused(nc, subject: str, body: dict, code: str) -> RemoteError:
    with pytest.raises(RemoteError) as error:
        await ask(nc, subject, body)
    assert error.value.code == code, error.value
    return error.value


async def status_of(nc, engagement_id: str) -> str:
    return (await ask(nc, "orders.query.get_engagement", {"actor": ORDERER, "engagement_id": engagement_id}))["status"]


async def reaches(nc, engagement_id: str, status: str) -> None:
    async def check():
        return await status_of(nc, engagement_id) == status
    await eventually(check, timeout=30)


async def set_up_registry(nc) -> None:
    await ask(
        nc,
        "registry.cmd.register_organization",
        {"actor": COORDINATOR, "organization_id": "varha", "name": "Varha", "kind": "county"},
    )
    await ask(
        nc,
        "registry.cmd.register_organization",
        {
            "actor": COORDINATOR,
            "organization_id": "mieli",
            "name": "Mieli ry",
            "kind": "ngo",
            "contact_person_id": "olli",
        },
    )
    await ask(nc, "registry.cmd.appoint_contact_person", {"actor": COORDINATOR, "organization_id": "mieli",
                                                          "person_id": "olli", "name": "Olli",
                                                          "email": "olli@example.org"})
    await agree(lambda name, actor, body: ask(nc, f"registry.{name}", {"actor": actor, **body}), COORDINATOR,
                CONTACT, "mieli", "a-2026", TODAY - dt.timedelta(days=10), TODAY + dt.timedelta(days=300))
    for expert in ("maija", "pekka"):
        await ask(
            nc,
            "registry.cmd.register_expert",
            {
                "actor": CONTACT,
                "expert_id": expert,
                "organization_id": "mieli",
                "name": expert.title(),
                "email": f"{expert}@example.org",
            },
        )
        await ask(
            nc,
            "registry.cmd.record_training",
            {"actor": CONTACT, "expert_id": expert, "completed_on": str(TODAY), "trained_by": "mieli"},
        )
    await ask(nc, "registry.cmd.give_consent", {"actor": EXPERT, "expert_id": "maija"})
    await ask(nc, "registry.cmd.list_expert", {"actor": CONTACT, "expert_id": "maija", "topics": ["mental health"]})
    await ask(
        nc, "registry.cmd.grant_credentials", {"actor": COORDINATOR, "orderer_id": "school", "orderer_name": "Koulu"}
    )


async def verify_all_from(environment) -> dict:
    """What `kokemus audit verify` reports, asked by an auditor, the audit's public key at hand."""
    nc = await nats.connect(environment.nats_url)
    try:
        return await verify_all(ActingAs(nc, AUDITOR), AUDIT_KEYS)
    finally:
        await nc.close()


async def tamper(environment, schema: str, event_type: str) -> None:
    dsn = urlsplit(environment.servers.admin_dsn)._replace(path=f"/{environment.database}").geturl()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET session_replication_role = replica")
        changed = await conn.execute(
            f"""UPDATE {schema}.events SET payload = jsonb_set(payload, '{{total}}', '"999.00"')
                WHERE event_type = $1""", event_type)
        assert changed == "UPDATE 1"
    finally:
        await conn.close()
