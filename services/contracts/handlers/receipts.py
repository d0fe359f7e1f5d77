"""Receipt files of expense lines: the expert attaches one (checked: a PDF or an image by its first bytes, within
the size limit), the contract's expert, its orderer or a coordinator reads it back, and the expert's erasure
deletes their files from the store."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from services.contracts import messages as m
from services.contracts.domain import Contract
from services.contracts.events import ReceiptAttached
from services.contracts.handlers.contracts import load_contract, may_see
from services.contracts.receipts import CONTENT_TYPES, MAX_RECEIPT_BYTES, MAX_RECEIPTS_PER_LINE, sniff
from shared.errors import Forbidden, NotFound, invalid
from shared.events import Role
from shared.handling import CommandContext, QueryContext

if TYPE_CHECKING:
    from services.contracts.service import Deps


def _decoded(data: str) -> bytes:
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("data", "is not base64", "the file's bytes as base64") from None
    if len(decoded) > MAX_RECEIPT_BYTES:
        raise invalid("data", f"the file is {len(decoded)} bytes, over the size limit",
                      f"at most {MAX_RECEIPT_BYTES} bytes ({MAX_RECEIPT_BYTES // 1024} KiB)")
    return decoded


async def attach_receipt(cmd: m.AttachReceipt, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Attach a receipt file to a line of the expert's own expense claim (the contract's expert). The reply names
    the receipt by its id, type, size and SHA-256; the bytes are kept only in the receipt store."""
    ctx.require_role(Role.expert)
    data = _decoded(cmd.data)
    content_type = sniff(data)
    if content_type is None:
        raise invalid("data", "is not a PDF or an image (by its content, whatever its name)",
                      ", ".join(CONTENT_TYPES))
    contract = await load_contract(ctx.session, cmd.engagement_id)
    receipt_id = ctx.new_id("receipt")  # a retry of the command puts the same file under the same id
    attached = contract.attach_receipt(ctx.actor, cmd.line_no, receipt_id, content_type, data,
                                       MAX_RECEIPTS_PER_LINE)
    # The file first, then the event: should saving fail, a file no event names is left, never an event
    # naming a file that is not there.
    await deps.receipts.put(str(receipt_id), data, content_type)
    await ctx.session.save(contract, ctx.meta(engagement_id=cmd.engagement_id))
    return {"engagement_id": str(cmd.engagement_id), "line_no": cmd.line_no, **receipt_view(attached)}


def receipt_view(attached: ReceiptAttached) -> dict[str, Any]:
    return {"receipt_id": str(attached.receipt_id), "content_type": attached.content_type, "size": attached.size,
            "sha256": attached.sha256}


async def receipt(query: m.Receipt, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """A receipt file, as base64 with its type and SHA-256 (the contract's expert, its orderer, a
    coordinator: those who claim and those who approve)."""
    ctx.require_role(Role.coordinator, Role.expert, Role.orderer)
    contract = await load_contract(deps.uow, query.engagement_id)
    if not may_see(ctx.actor.role, ctx.actor.id, contract):
        raise Forbidden("only the contract's expert, its orderer or a coordinator may read its receipts")
    attached = contract.receipt(str(query.receipt_id))
    data = await deps.receipts.get(str(query.receipt_id)) if attached is not None else None
    if attached is None or data is None:
        raise NotFound(f"no receipt {query.receipt_id} in this contract (or it was erased with its expert)")
    return {"engagement_id": str(query.engagement_id), "line_no": attached.line_no, **receipt_view(attached),
            "data": base64.b64encode(data).decode()}


async def delete_receipts(deps: Deps, contracts: list[Contract]) -> None:
    """Delete the receipt files of ``contracts`` from the store (the expert was erased)."""
    for contract in contracts:
        for attached in contract.receipts.values():
            for one in attached:
                await deps.receipts.delete(str(one.receipt_id))
