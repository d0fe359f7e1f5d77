"""The steps that put an organization agreement in force, as its users do: a coordinator drafts it, then the
coordinator (for the county) and a contact person of the organization (for it) each read the document and sign
the SHA-256 of what they read. ``send(kind_and_name, actor, body)`` asks the registry (kind: cmd or query) however
the test reaches it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

Send = Callable[[str, Any, dict[str, Any]], Awaitable[Any]]


async def agree(send: Send, coordinator: Any, contact: Any, organization_id: str, agreement_id: str,
                valid_from: dt.date, valid_until: dt.date | None = None) -> dict[str, Any]:
    """Draft the agreement and sign it by both parties (the coordinator reads it in Finnish, the contact person in
    Swedish); the last reply, the agreement in force."""
    await send("cmd.draft_organization_agreement", coordinator, {
        "organization_id": organization_id, "agreement_id": agreement_id, "valid_from": str(valid_from),
        "valid_until": str(valid_until) if valid_until else None})
    return await sign_by_both(send, coordinator, contact, organization_id, agreement_id)


async def sign_by_both(send: Send, coordinator: Any, contact: Any, organization_id: str,
                       agreement_id: str) -> dict[str, Any]:
    signed: dict[str, Any] = {}
    for actor, language in ((coordinator, "fi"), (contact, "sv")):
        document = await send("query.organization_agreement", actor, {
            "organization_id": organization_id, "agreement_id": agreement_id, "language": language})
        signed = await send("cmd.sign_organization_agreement", actor, {
            "organization_id": organization_id, "agreement_id": agreement_id, "document_hash": document["sha256"]})
    return signed
