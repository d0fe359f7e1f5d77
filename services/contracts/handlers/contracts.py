"""Commands and queries on one contract: signing, payment, expense claims and their review, reading it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from services.contracts import messages as m
from services.contracts.document import TEXTS, Document
from services.contracts.domain import Contract
from services.contracts.domain.amendment import Amendment
from services.contracts.expenses import ClaimedLine
from shared.errors import Forbidden, NotFound, invalid
from shared.events import Role
from shared.handling import CommandContext, QueryContext
from shared.pdf import pdf_base64
from shared.unit_of_work import Session, UnitOfWork

if TYPE_CHECKING:
    from services.contracts.service import Deps

from services.contracts.handlers.income import limit_warning
from services.contracts.handlers.views import contract_reply, contract_view, money
from services.contracts.handlers.volunteering import volunteer_cap_warnings


async def load_contract(source: Session | UnitOfWork, engagement_id: uuid.UUID) -> Contract:
    contract = await source.load(Contract, str(engagement_id), must_exist=False)
    if not contract.exists:
        # The contract is drafted when this service hears that the engagement opened, a moment after it did.
        raise NotFound(f"the contract of engagement {engagement_id} is not there yet: it is being drafted "
                       "from the engagement; try again in a moment")
    return contract


async def sign_contract(cmd: m.SignContract, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Sign the assignment contract as its expert or its orderer; the second signature makes it binding."""
    ctx.require_role(Role.expert, Role.orderer)
    contract = await load_contract(ctx.session, cmd.engagement_id)
    contract.sign(cmd.party, ctx.actor, cmd.document_hash)
    await ctx.session.save(contract, ctx.meta(engagement_id=cmd.engagement_id))
    return contract_reply(contract)


async def record_payment(cmd: m.RecordPayment, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Record that the approved fee (or a cancellation's fee owed) was paid to the expert (coordinator)."""
    ctx.require_role(Role.coordinator)
    today = deps.clock.today()
    paid_on = cmd.paid_on or today
    if paid_on > today:
        raise invalid("paid_on", "is in the future", f"a date on or before {today}")
    contract = await load_contract(ctx.session, cmd.engagement_id)
    contract.record_payment(paid_on)
    await ctx.session.save(contract, ctx.meta(engagement_id=cmd.engagement_id))
    return contract_reply(contract)


async def claim_expenses(cmd: m.ClaimExpenses, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert claims the task's expenses, line by line, priced at the contract's rates (its expert)."""
    ctx.require_role(Role.expert)
    contract = await load_contract(ctx.session, cmd.engagement_id)
    lines = [ClaimedLine(kind=line.kind, kilometres=line.kilometres, route=line.route, amount=line.amount,
                         hours_away=line.hours_away, description=line.description) for line in cmd.lines]
    contract.file_claim(ctx.actor, lines, deps.clock.today())
    await ctx.session.save(contract, ctx.meta(engagement_id=cmd.engagement_id, subject_id=contract.terms.expert_id
                                              if contract.terms else None))
    return contract_reply(contract)


async def decline_fee(cmd: m.DeclineFee, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Decline the fee of one's own contract before it is approved: the engagement is volunteering (its
    expert)."""
    ctx.require_role(Role.expert)
    contract = await load_contract(ctx.session, cmd.engagement_id)
    contract.decline_fee(ctx.actor)
    await ctx.session.save(contract, ctx.meta(engagement_id=cmd.engagement_id))
    return contract_reply(contract)


async def _reviewable(ctx: CommandContext, engagement_id: uuid.UUID) -> Contract:
    ctx.require_role(Role.orderer, Role.coordinator)
    contract = await load_contract(ctx.session, engagement_id)
    if ctx.actor.role is Role.orderer and not may_see(ctx.actor.role, ctx.actor.id, contract):
        raise Forbidden("only the contract's orderer or a coordinator may review its expenses")
    return contract


async def approve_expense_line(cmd: m.ApproveExpenseLine, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Approve one line of an expense claim (the contract's orderer, or a coordinator)."""
    contract = await _reviewable(ctx, cmd.engagement_id)
    contract.approve_line(cmd.line_no)
    await ctx.session.save(contract, ctx.meta(engagement_id=cmd.engagement_id))
    return contract_reply(contract)


async def return_expense_line(cmd: m.ReturnExpenseLine, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Return one line of an expense claim to the expert with the reason (the contract's orderer, or a
    coordinator)."""
    contract = await _reviewable(ctx, cmd.engagement_id)
    contract.return_line(cmd.line_no, cmd.reason)
    await ctx.session.save(contract, ctx.meta(engagement_id=cmd.engagement_id))
    return contract_reply(contract)


def may_see(actor_role: Role, actor_id: str, contract: Contract) -> bool:
    terms = contract.terms
    assert terms is not None
    return (actor_role is Role.coordinator
            or (actor_role is Role.expert and actor_id == terms.expert_id)
            or (actor_role is Role.orderer and actor_id == terms.orderer_id))


async def get_contract(query: m.GetContract, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """An engagement's assignment contract: its terms, signatures, fee and payment (its expert, its orderer,
    a coordinator)."""
    ctx.require_role(Role.coordinator, Role.expert, Role.orderer)
    contract = await load_contract(deps.uow, query.engagement_id)
    if not may_see(ctx.actor.role, ctx.actor.id, contract):
        raise Forbidden("only the contract's expert, its orderer or a coordinator may see it")
    view = contract_view(contract)
    if ctx.actor.role in (Role.orderer, Role.coordinator):  # those who approve the lines
        view["volunteer_cap_warnings"] = await volunteer_cap_warnings(deps, contract)
    if ctx.actor.role in (Role.expert, Role.coordinator):  # not the orderer: the limit is the expert's own affair
        view["income_limit_warning"] = await limit_warning(deps, contract)
    return view


async def _document(query: m.ContractDocument, ctx: QueryContext, deps: Deps) -> tuple[Contract, Document]:
    ctx.require_role(Role.coordinator, Role.expert, Role.orderer)
    contract = await load_contract(deps.uow, query.engagement_id)
    if not may_see(ctx.actor.role, ctx.actor.id, contract):
        raise Forbidden("only the contract's expert, its orderer or a coordinator may see it")
    return contract, contract.documents(query.version)[query.language]


async def contract_pdf(query: m.ContractPdf, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The contract document as PDF (base64), in Finnish or Swedish, any version: the same document as
    contract_document, its SHA-256 printed on it (its expert, its orderer, a coordinator)."""
    _, document = await _document(query, ctx, deps)
    title = f"{TEXTS[document.language]['title']} {document.version}"
    pdf = await pdf_base64(document, title, "the contract")
    return {"engagement_id": str(query.engagement_id), "version": document.version, "language": document.language,
            "sha256": document.sha256, "filename": f"contract-{query.engagement_id}-v{document.version}-"
                                                    f"{document.language}.pdf",
            "pdf": pdf}


async def contract_document(query: m.ContractDocument, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The assignment contract as the document to read and sign, in Finnish or Swedish: its version, HTML and
    SHA-256, which a signature names (its expert, its orderer, a coordinator)."""
    contract, document = await _document(query, ctx, deps)
    return {"engagement_id": str(query.engagement_id), "version": document.version, "language": document.language,
            "sha256": document.sha256, "html": document.html, "current_version": contract.document_version,
            "to_sign": document.version == contract.document_version and not contract.version_signed
            and contract.cancellation is None}


async def amend_contract(cmd: m.AmendContract, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Change the contract's terms before the task is delivered (date, time, duration, place or remote, fee): a
    new version of its document, which both parties sign again (a coordinator)."""
    ctx.require_role(Role.coordinator)
    contract = await load_contract(ctx.session, cmd.engagement_id)
    contract.amend(Amendment(cmd.task_date, cmd.start_time, cmd.duration_hours, cmd.remote, cmd.place, cmd.hourly_fee,
                             cmd.fixed_fee), deps.clock.today())
    await ctx.session.save(contract, ctx.meta(engagement_id=cmd.engagement_id))
    return contract_reply(contract)


async def list_contracts(query: m.ListContracts, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Contracts by status, newest first: all of them for a coordinator (follow-up), one's own for an expert or
    an orderer."""
    ctx.require_role(Role.coordinator, Role.expert, Role.orderer)
    own = {Role.expert: {"expert_id": ctx.actor.id}, Role.orderer: {"orderer_id": ctx.actor.id}}.get(ctx.actor.role, {})
    rows = await deps.views.contracts(status=query.status, **own)
    return [{**row.__dict__, "engagement_id": str(row.engagement_id), "contract_id": str(row.contract_id),
             "total": money(row.total), "fee_owed": money(row.fee_owed), "expenses_due": money(row.expenses_due),
             "paid_on": row.paid_on.isoformat() if row.paid_on else None} for row in rows]
