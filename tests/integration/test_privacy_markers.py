"""Nothing personal in clear on the bus or in another service's store.

One engagement flow, through the same NATS commands any client sends as signed-in callers, with a marker value
planted in every personal and special-category field of docs/data-inventory.yaml that the flow can fill (and an
own-wellbeing rating; see privacy_flow.py). Then every message of every JetStream stream and every row of every
table of every service, the audit's included, is read as text: no marker may appear, except in the owner's own
decrypted projections, which ALLOWED names with the reason each is allowed.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from urllib.parse import urlsplit

import asyncpg
import pytest

from services import SERVICE_NAMES, definitions
from services.web.pages.my_data import SOURCES
from shared.messaging.rpc import RemoteError
from shared.messaging.subjects import stream_name
from tests.conftest import eventually, every_service
from tests.integration.privacy_flow import (
    ALLOWED,
    COORDINATOR,
    EXPERT,
    EXPERTS_OWN,
    MARKERS,
    NOT_REACHED,
    ask,
    cancel_and_end,
    engage,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def system(environment):
    async with every_service(environment, development_sign_in=True) as nc:  # the expert signs in too
        yield nc


async def access_export(nc) -> str:
    """What the expert's "My data" page gathers, asked in her name from the same sources, as text."""
    answers = []
    for _, subject, body in SOURCES["expert"]:
        try:
            answers.append(await ask(nc, subject, {"actor": EXPERT, **body(SimpleNamespace(act=SimpleNamespace(
                id=EXPERT["id"])))}))
        except RemoteError as error:  # after her erasure her profile is gone
            answers.append(error.code)
    return json.dumps(answers, ensure_ascii=False)


def dsn_of(environment) -> str:
    return urlsplit(environment.servers.admin_dsn)._replace(path=f"/{environment.database}").geturl()


async def published(nc) -> list[tuple[str, str, str]]:
    """Every message of every service's stream: (service, its event type, subject, headers and body as text)."""
    js = nc.jetstream()
    found = []
    for service in SERVICE_NAMES:
        info = await js.stream_info(stream_name(service))
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(stream_name(service), seq)
            body = message.data.decode()
            found.append((service, json.loads(body)["event_type"], f"{message.subject} {message.headers} {body}"))
    return found


async def rows(conn) -> list[tuple[str, str, str]]:
    """Every row of every table of every service's schema, as JSON text: (schema, table, row)."""
    tables = await conn.fetch(
        """SELECT table_schema, table_name FROM information_schema.tables
           WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' ORDER BY 1, 2""", list(SERVICE_NAMES))
    found = []
    for table in tables:
        schema, name = table["table_schema"], table["table_name"]
        for row in await conn.fetch(f'SELECT row_to_json(t)::text AS row FROM "{schema}"."{name}" t'):
            found.append((schema, name, row["row"]))
    return found


async def everything_published_and_copied(nc, conn) -> bool:
    """Each store's events are all on the bus, and the audit holds a copy of every source event."""
    counts = {}
    for service in SERVICE_NAMES:
        counts[service] = await conn.fetchval(f"SELECT count(*) FROM {service}.events")
        info = await nc.jetstream().stream_info(stream_name(service))
        if info.state.messages != counts[service]:
            return False
    copied = await conn.fetchval("SELECT count(*) FROM audit.source_events")
    return copied == sum(counts[s] for s in ("registry", "orders", "contracts", "feedback"))


def leaks(texts: list[tuple[str, str]]) -> list[str]:
    return [f"{field} in {where}" for where, text in texts
            for field, value in MARKERS.items() if value is not None and value in text]


# Events that define a vocabulary: they name themes and questions (own_wellbeing among them), not anyone's.
VOCABULARIES = ("ThemeDefined", "QuestionnaireDefined")


def vocabulary(row: str) -> bool:
    """A row of the county's theme vocabulary or of a feedback questionnaire (its event, the audit's copy, the
    defining command's reply)."""
    compact = row.replace(" ", "")
    return (any(f'"event_type":"{name}"' in compact for name in VOCABULARIES)
            or '"subject":"define_theme"' in compact)


def allowed(leak: str) -> bool:
    field, place = leak.split(" in ")
    schema, table = place.split(".")
    return field in ALLOWED.get((schema, table), set())


async def scan(nc, environment) -> tuple[list[tuple[str, str, str]], set[str]]:
    """Once everything is published and copied: every stream's messages (service, event type, text), and each
    marker found in a table, as "Event.field in schema.table", after asserting none is anywhere it may not be."""
    conn = await asyncpg.connect(dsn_of(environment))
    try:
        await eventually(lambda: everything_published_and_copied(nc, conn), timeout=30)
        on_the_bus = await published(nc)
        in_tables = await rows(conn)
    finally:
        await conn.close()
    # The vocabularies name themes and questions (not whose they are): their events, and copies, may.
    assert leaks([(f"the {service} stream", text) for service, event_type, text in on_the_bus
                  if event_type not in VOCABULARIES]) == []
    held = {leak for schema, table, text in in_tables if not vocabulary(text)
            for leak in leaks([(f"{schema}.{table}", text)])}
    assert {leak for leak in held if not allowed(leak)} == set()
    return on_the_bus, held


def test_a_marker_goes_into_every_sealed_field_of_every_event():
    sealed = {f"{cls.event_type()}.{name}" for definition in definitions().values() for cls in definition.events
              for name in cls.personal_fields()}
    assert set(MARKERS) | set(NOT_REACHED) == sealed and not set(MARKERS) & set(NOT_REACHED)


async def test_no_planted_marker_is_in_clear_on_the_bus_or_in_any_store_but_the_owners(system, environment):
    nc = system
    await engage(nc)
    _, held = await scan(nc, environment)
    # While the expert is listed and the orderer signs in, the owners' projections hold what they decrypted.
    assert held == {f"{field} in {schema}.{table}" for (schema, table), fields in ALLOWED.items() for field in fields}

    await cancel_and_end(nc)
    on_the_bus, held = await scan(nc, environment)
    # The flow reached every event that carries a marker, so the scan is not vacuous.
    assert {field.split(".")[0] for field in MARKERS} <= {event_type for _, event_type, _ in on_the_bus}
    # Unlisted: the bank row is gone.
    assert "ExpertListed.topics in registry.bank" not in held

    # Her right of access hands over every value about her, from every service (the history too).
    export = await access_export(nc)
    assert [field for field in EXPERTS_OWN if MARKERS[field] not in export] == []

    # Erased: the registry drops the expert's profile rows, feedback their own-wellbeing rating; what is left is
    # the orderer's name (orderers cannot be erased yet).
    await ask(nc, "registry.cmd.erase_expert", {"actor": COORDINATOR, "expert_id": "maija"})

    async def erased_everywhere():
        _, held = await scan(nc, environment)
        return held if held == {"OrdererCredentialsGranted.orderer_name in registry.orderers"} else None
    await eventually(erased_everywhere, timeout=30)
    export = await access_export(nc)
    assert [field for field in EXPERTS_OWN if MARKERS[field] in export] == []

    # The identity service forgot her sign-ins too: the key her address was sealed with there is shredded.
    async def signed_ins_forgotten():
        conn = await asyncpg.connect(dsn_of(environment))
        try:
            left = await conn.fetchval("SELECT count(*) FROM identity.sign_ins WHERE record_id = 'maija'")
            erased = await conn.fetchval(
                "SELECT count(*) FROM identity.events WHERE event_type = 'SignInsErased' "
                "AND payload->>'record_id' = 'maija'")
            shredded = await conn.fetchval(
                "SELECT count(*) FROM identity.subject_keys WHERE subject_id LIKE 'signin:%' AND key IS NULL")
        finally:
            await conn.close()
        return left == 0 and erased == 1 and shredded == 1
    await eventually(signed_ins_forgotten, timeout=30)
