"""Receipt files of expense lines through NATS: attached by the expert (checked by content and size), read back
by those who claim and approve, refused to others, recorded in events by id, type, size and SHA-256 only, and
deleted from the store when the expert is erased."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import uuid
from decimal import Decimal as D
from pathlib import Path

import nats
import pytest

from services.contracts.receipts import MAX_RECEIPT_BYTES, FolderReceipts
from services.contracts.service import definition
from services.orders import events as orders
from services.registry import events as registry
from shared.messaging.rpc import RemoteError
from shared.runtime.service import ServiceRuntime
from tests.callers import request
from tests.conftest import eventually, upstream
from tests.integration.contracts.test_contracts_service import (
    COORDINATOR,
    EXPERT,
    ORDERER,
    drafted,
    get_contract,
    opened,
    sign,
)

pytestmark = [pytest.mark.integration, pytest.mark.services("orders", "registry", "contracts")]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@pytest.fixture
async def services(environment):
    nc = await nats.connect(environment.nats_url)
    async with contextlib.AsyncExitStack() as stack:
        upstreams = {name: await stack.enter_async_context(upstream(environment, name))
                     for name in ("orders", "registry")}
        runtime = ServiceRuntime(definition(), environment.settings("contracts"))
        await runtime.start(serve_http=False)
        try:
            yield nc, upstreams
        finally:
            await runtime.stop()
            await nc.close()


async def claimed(nc, upstreams) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """A signed contract whose expert claimed a ticket and parking today, after the task."""
    engagement_id = uuid.uuid4()
    await upstreams["orders"].record(engagement_id, opened(engagement_id, orders.FeeTerms(
        mode=orders.FeeMode.orderer, fixed_fee=D("100.00")), "2"))
    await eventually(lambda: drafted(nc, engagement_id))
    await sign(nc, engagement_id, EXPERT, "expert")
    await sign(nc, engagement_id, ORDERER, "orderer")
    await request(nc, "kokemus.contracts.cmd.claim_expenses", {
        "actor": EXPERT, "engagement_id": str(engagement_id),
        "lines": [{"kind": "public_transport", "amount": "7.20"}, {"kind": "parking", "amount": "4.50"}]})
    return engagement_id


def attach(engagement_id: uuid.UUID, line_no: int, data: bytes, actor: dict[str, str] = EXPERT) -> dict:
    return {"actor": actor, "engagement_id": str(engagement_id), "line_no": line_no,
            "data": base64.b64encode(data).decode()}


async def test_a_receipt_is_attached_read_back_by_the_parties_and_erased_with_the_expert(services):
    nc, upstreams = services
    engagement_id = await claimed(nc, upstreams)
    reply = await request(nc, "kokemus.contracts.cmd.attach_receipt", attach(engagement_id, 1, PDF))
    assert (reply["content_type"], reply["size"], reply["sha256"]) == (
        "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest())
    png = await request(nc, "kokemus.contracts.cmd.attach_receipt", attach(engagement_id, 2, PNG))
    assert png["content_type"] == "image/png"

    lines = (await get_contract(nc, engagement_id, ORDERER))["expenses"]["lines"]
    assert [[r["receipt_id"] for r in line["receipts"]] for line in lines] == [[reply["receipt_id"]],
                                                                               [png["receipt_id"]]]
    for reader in (EXPERT, ORDERER, COORDINATOR):  # who claims and who approves
        got = await request(nc, "kokemus.contracts.query.receipt", {
            "actor": reader, "engagement_id": str(engagement_id), "receipt_id": reply["receipt_id"]})
        assert base64.b64decode(got["data"]) == PDF and got["content_type"] == "application/pdf"
    for stranger in ({"id": "pekka", "role": "expert"}, {"id": "school-2", "role": "orderer"}):
        with pytest.raises(RemoteError) as refused:
            await request(nc, "kokemus.contracts.query.receipt", {
                "actor": stranger, "engagement_id": str(engagement_id), "receipt_id": reply["receipt_id"]})
        assert refused.value.code == "forbidden"

    # The event says what the file is, never what it holds.
    published = json.loads((await nc.jetstream().get_last_msg(
        "KOKEMUS_CONTRACTS", "kokemus.contracts.events.ReceiptAttached")).data)
    assert set(published["payload"]) >= {"receipt_id", "content_type", "size", "sha256"}
    assert "data" not in published["payload"] and "PNG" not in json.dumps(published)

    store = FolderReceipts(Path(__import__("os").environ["KOKEMUS_RECEIPTS_DIR"]))
    assert await store.get(reply["receipt_id"]) == PDF
    await upstreams["registry"].append("expert-maija", registry.ExpertErased(expert_id="maija"))

    async def deleted():  # type: ignore[no-untyped-def]
        gone = [await store.get(r["receipt_id"]) for r in (reply, png)]
        return gone == [None, None] or None
    assert await eventually(deleted)
    with pytest.raises(RemoteError) as erased:
        await request(nc, "kokemus.contracts.query.receipt", {
            "actor": COORDINATOR, "engagement_id": str(engagement_id), "receipt_id": reply["receipt_id"]})
    assert erased.value.code == "not_found"


@pytest.mark.parametrize(("data", "reason"), [
    (b"MZ\x90\x00 a program named receipt.pdf", "not a PDF or an image"),
    (b"%PDF-" + b"0" * MAX_RECEIPT_BYTES, "over the size limit"),
])
async def test_a_receipt_that_is_not_a_pdf_or_an_image_or_too_big_is_refused_naming_data(services, data, reason):
    nc, upstreams = services
    engagement_id = await claimed(nc, upstreams)
    with pytest.raises(RemoteError) as bad:
        await request(nc, "kokemus.contracts.cmd.attach_receipt", attach(engagement_id, 1, data))
    assert bad.value.code == "validation" and [f["field"] for f in bad.value.fields] == ["data"]
    assert reason in bad.value.message
    assert (await get_contract(nc, engagement_id, EXPERT))["expenses"]["lines"][0]["receipts"] == []


async def test_only_the_contracts_expert_attaches_and_only_to_a_line_of_it(services):
    nc, upstreams = services
    engagement_id = await claimed(nc, upstreams)
    with pytest.raises(RemoteError) as other:
        await request(nc, "kokemus.contracts.cmd.attach_receipt",
                      attach(engagement_id, 1, PDF, {"id": "pekka", "role": "expert"}))
    assert other.value.code == "forbidden"
    with pytest.raises(RemoteError) as no_line:
        await request(nc, "kokemus.contracts.cmd.attach_receipt", attach(engagement_id, 9, PDF))
    assert no_line.value.code == "validation" and [f["field"] for f in no_line.value.fields] == ["line_no"]
