"""The contracts service's handlers: its commands and queries, and its reactions to the orders service's
events. Each checks the actor, loads, decides, saves.

Each handler takes its message, its context (who asks; the transaction of a command or consumed event) and
the service's :class:`~services.contracts.service.Deps`. The tables at the end map names to handlers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from services.contracts import messages as m
from services.contracts.domain import ZERO, Contract, OrdererFee, Party, RateTables, Task
from services.contracts.events import ExpenseRatesPublished, RateTablePublished
from services.contracts.expenses import ClaimedLine, ExpenseRates, LineStatus
from services.orders import events as orders
from shared.aggregate import Metadata
from shared.envelope import Envelope
from shared.errors import Forbidden, NotFound, invalid
from shared.events import SYSTEM, Role
from shared.eventstore.port import ConcurrencyConflict
from shared.handling import CommandContext, Commands, Consumed, EventContext, Queries, QueryContext
from shared.unit_of_work import Session, UnitOfWork

if TYPE_CHECKING:
    from services.contracts.service import Deps


def _money(amount: Decimal | None) -> str | None:
    """Money travels as a string of euros and cents: a JSON number would not keep 0.10 exact."""
    return None if amount is None else str(amount)


# -- rate tables -----------------------------------------------------------------------------------------

def _table_view(table: RateTablePublished) -> dict[str, Any]:
    return {"rate_table_id": table.rate_table_id, "effective_from": table.effective_from.isoformat(),
            "hourly_fee": _money(table.hourly_fee), "minimum_fee": _money(table.minimum_fee),
            "mileage_per_km": _money(table.mileage_per_km)}


async def _seed(deps: Deps, aggregate: RateTables | ExpenseRates, seeded: Callable[[], bool]) -> bool:
    """Record what ``seeded`` records when the stream is empty; True when this call did.

    Every replica tries this at start. The loser of a race gets a conflict from the version check, and that
    only means the seed is there: so it is swallowed, and exactly one seed results.
    """
    if not seeded():
        return False
    try:
        async with deps.uow.begin() as session:
            await session.save(aggregate, Metadata(actor=SYSTEM))
    except ConcurrencyConflict:
        return False
    return True


async def seed_default_rate_table(deps: Deps) -> bool:
    """Publish the placeholder table when none exists; True when this call did."""
    tables = await deps.uow.load(RateTables, RateTables.ID, must_exist=False)
    return await _seed(deps, tables, tables.seed_default)


async def publish_rate_table(cmd: m.PublishRateTable, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Publish a new recommended fee and expense table, in force from a date after the latest table's (coordinator)."""
    ctx.require_role(Role.coordinator)
    tables = await ctx.session.load(RateTables, RateTables.ID, must_exist=False)
    table = tables.publish(cmd.rate_table_id, cmd.effective_from, cmd.hourly_fee, cmd.minimum_fee, cmd.mileage_per_km)
    await ctx.session.save(tables, ctx.meta())
    return _table_view(table)


async def seed_expense_rates(deps: Deps) -> bool:
    """Publish the tax-free maximums of 2024 to 2026 when no expense rates exist; True when this call did (the
    loser of a race between replicas finds them there)."""
    rates = await deps.uow.load(ExpenseRates, ExpenseRates.ID, must_exist=False)
    return await _seed(deps, rates, rates.seed)


def _expense_rates_view(rates: ExpenseRatesPublished) -> dict[str, Any]:
    return {"rates_id": rates.rates_id, "effective_from": rates.effective_from.isoformat(),
            "car_per_km": _money(rates.car_per_km), "per_diem_partial": _money(rates.per_diem_partial),
            "per_diem_full": _money(rates.per_diem_full), "meal_allowance": _money(rates.meal_allowance)}


async def publish_expense_rates(cmd: m.PublishExpenseRates, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Publish expense rates in force from a date after the latest ones' (coordinator)."""
    ctx.require_role(Role.coordinator)
    rates = await ctx.session.load(ExpenseRates, ExpenseRates.ID, must_exist=False)
    rates.seed()  # the tax-free maximums come first, so that the history of past years is there
    published = rates.publish(cmd.rates_id, cmd.effective_from, cmd.car_per_km, cmd.per_diem_partial,
                              cmd.per_diem_full, cmd.meal_allowance)
    await ctx.session.save(rates, ctx.meta())
    return _expense_rates_view(published)


async def expense_rates(query: m.ListExpenseRates, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Every expense rates publication, oldest first (any role)."""
    rates = await deps.uow.load(ExpenseRates, ExpenseRates.ID, must_exist=False)
    return [_expense_rates_view(published) for published in rates.publications]


async def _rate_tables(deps: Deps) -> RateTables:
    return await deps.uow.load(RateTables, RateTables.ID, must_exist=False)


async def rate_tables(query: m.ListRateTables, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Every recommended fee and expense table, oldest first (any role)."""
    return [_table_view(table) for table in (await _rate_tables(deps)).tables]


async def rate_in_force(query: m.RateInForce, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The recommended table in force on a date, today by default (any role)."""
    day = query.on or deps.clock.today()
    table = (await _rate_tables(deps)).in_force(day)
    if table is None:
        raise NotFound(f"no rate table is in force on {day}")
    return _table_view(table)


# -- contracts -------------------------------------------------------------------------------------------

def _contract_view(contract: Contract) -> dict[str, Any]:
    terms = contract.terms
    assert terms is not None
    approval, cancellation, payment = contract.approval, contract.cancellation, contract.payment
    return {
        "engagement_id": str(contract.engagement_id),
        "contract_id": str(terms.contract_id),
        "status": contract.status.value,
        "expert_id": terms.expert_id,
        "orderer_id": terms.orderer_id,
        "terms": {
            "fee_basis": terms.fee_basis,
            "rate_table_id": terms.rate_table_id,
            "hourly_fee": _money(terms.hourly_fee),
            "fixed_fee": _money(terms.fixed_fee),
            "minimum_fee": _money(terms.minimum_fee),
            "mileage_per_km": _money(terms.mileage_per_km),
            "expenses_reimbursed": True,  # always, whatever a contract drafted before the rule recorded
            "cancellation_fee_share": str(terms.cancellation_fee_share),
            "duration_hours": _money(terms.duration_hours),
            "task_date": terms.task_date.isoformat() if terms.task_date else None,
            "task_type": terms.task_type,
            "topic": terms.topic,
            "remote": terms.remote,
            "expense_rates_id": terms.expense_rates_id,
            "per_diem_partial": _money(terms.per_diem_partial),
            "per_diem_full": _money(terms.per_diem_full),
            "meal_allowance": _money(terms.meal_allowance),
        },
        "signed_by": {party.value: contract.signers.get(party) for party in Party},
        "signed_documents": {party.value: {"version": signed.document_version, "language": signed.document_language,
                                           "sha256": signed.document_hash}
                             for party, signed in contract.signed_documents.items()},
        "fully_signed": contract.fully_signed,
        "fee": None
        if approval is None
        else {
            "fee": _money(approval.fee),
            "mileage": _money(approval.mileage),
            "other_expenses": _money(approval.other_expenses),
            "total": _money(approval.total),
        },
        "cancellation": None if cancellation is None else {"fee_owed": _money(cancellation.fee_owed),
                                                           "cancelled_by": cancellation.cancelled_by},
        "payment": None
        if payment is None
        else {"total": _money(payment.total), "paid_on": payment.paid_on.isoformat()},
        "expenses": _expenses_view(contract),
    }


def _expenses_view(contract: Contract) -> dict[str, Any]:
    lines = []
    totals = dict.fromkeys(LineStatus, ZERO)
    for number, line in contract.lines.items():
        status = contract.line_status[number]
        totals[status] += line.amount
        lines.append({"line_no": number, "kind": line.kind, "amount": _money(line.amount),
                      "kilometres": _money(line.kilometres), "route": contract.route_of_line.get(number),
                      "hours_away": _money(line.hours_away), "description": line.description,
                      "status": status.value, "returned_because": contract.returned_because.get(number),
                      "paid": number in contract.paid_lines})
    return {"lines": lines, **{f"{status.value}_total": _money(total) for status, total in totals.items()}}


async def _load_contract(source: Session | UnitOfWork, engagement_id: uuid.UUID) -> Contract:
    contract = await source.load(Contract, str(engagement_id), must_exist=False)
    if not contract.exists:
        # The contract is drafted when this service hears that the engagement opened, a moment after it did.
        raise NotFound(f"the contract of engagement {engagement_id} is not there yet: it is being drafted "
                       "from the engagement; try again in a moment")
    return contract


async def sign_contract(cmd: m.SignContract, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Sign the assignment contract as its expert or its orderer; the second signature makes it binding."""
    ctx.require_role(Role.expert, Role.orderer)
    contract = await _load_contract(ctx.session, cmd.engagement_id)
    contract.sign(cmd.party, ctx.actor, cmd.document_hash)
    await ctx.session.save(contract, ctx.meta(engagement_id=cmd.engagement_id))
    return _contract_view(contract)


async def record_payment(cmd: m.RecordPayment, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Record that the approved fee (or a cancellation's fee owed) was paid to the expert (coordinator)."""
    ctx.require_role(Role.coordinator)
    today = deps.clock.today()
    paid_on = cmd.paid_on or today
    if paid_on > today:
        raise invalid("paid_on", "is in the future", f"a date on or before {today}")
    contract = await _load_contract(ctx.session, cmd.engagement_id)
    contract.record_payment(paid_on)
    await ctx.session.save(contract, ctx.meta(engagement_id=cmd.engagement_id))
    return _contract_view(contract)


async def claim_expenses(cmd: m.ClaimExpenses, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """The expert claims the task's expenses, line by line, priced at the contract's rates (its expert)."""
    ctx.require_role(Role.expert)
    contract = await _load_contract(ctx.session, cmd.engagement_id)
    lines = [ClaimedLine(kind=line.kind, kilometres=line.kilometres, route=line.route, amount=line.amount,
                         hours_away=line.hours_away, description=line.description) for line in cmd.lines]
    contract.file_claim(ctx.actor, lines, deps.clock.today())
    await ctx.session.save(contract, ctx.meta(engagement_id=cmd.engagement_id, subject_id=contract.terms.expert_id
                                              if contract.terms else None))
    return _contract_view(contract)


async def _reviewable(ctx: CommandContext, engagement_id: uuid.UUID) -> Contract:
    ctx.require_role(Role.orderer, Role.coordinator)
    contract = await _load_contract(ctx.session, engagement_id)
    if ctx.actor.role is Role.orderer and not _may_see(ctx.actor.role, ctx.actor.id, contract):
        raise Forbidden("only the contract's orderer or a coordinator may review its expenses")
    return contract


async def approve_expense_line(cmd: m.ApproveExpenseLine, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Approve one line of an expense claim (the contract's orderer, or a coordinator)."""
    contract = await _reviewable(ctx, cmd.engagement_id)
    contract.approve_line(cmd.line_no)
    await ctx.session.save(contract, ctx.meta(engagement_id=cmd.engagement_id))
    return _contract_view(contract)


async def return_expense_line(cmd: m.ReturnExpenseLine, ctx: CommandContext, deps: Deps) -> dict[str, Any]:
    """Return one line of an expense claim to the expert with the reason (the contract's orderer, or a
    coordinator)."""
    contract = await _reviewable(ctx, cmd.engagement_id)
    contract.return_line(cmd.line_no, cmd.reason)
    await ctx.session.save(contract, ctx.meta(engagement_id=cmd.engagement_id))
    return _contract_view(contract)


def _may_see(actor_role: Role, actor_id: str, contract: Contract) -> bool:
    terms = contract.terms
    assert terms is not None
    return (actor_role is Role.coordinator
            or (actor_role is Role.expert and actor_id == terms.expert_id)
            or (actor_role is Role.orderer and actor_id == terms.orderer_id))


async def get_contract(query: m.GetContract, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """An engagement's assignment contract: its terms, signatures, fee and payment (its expert, its orderer,
    a coordinator)."""
    ctx.require_role(Role.coordinator, Role.expert, Role.orderer)
    contract = await _load_contract(deps.uow, query.engagement_id)
    if not _may_see(ctx.actor.role, ctx.actor.id, contract):
        raise Forbidden("only the contract's expert, its orderer or a coordinator may see it")
    return _contract_view(contract)


async def contract_document(query: m.ContractDocument, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The assignment contract as the document to read and sign, in Finnish or Swedish: its version, HTML and
    SHA-256, which a signature names (its expert, its orderer, a coordinator)."""
    ctx.require_role(Role.coordinator, Role.expert, Role.orderer)
    contract = await _load_contract(deps.uow, query.engagement_id)
    if not _may_see(ctx.actor.role, ctx.actor.id, contract):
        raise Forbidden("only the contract's expert, its orderer or a coordinator may see it")
    document = contract.documents()[query.language]
    return {"engagement_id": str(query.engagement_id), "version": document.version, "language": document.language,
            "sha256": document.sha256, "html": document.html}


async def list_contracts(query: m.ListContracts, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Contracts by status, newest first: all of them for a coordinator (follow-up), one's own for an expert or
    an orderer."""
    ctx.require_role(Role.coordinator, Role.expert, Role.orderer)
    own = {Role.expert: {"expert_id": ctx.actor.id}, Role.orderer: {"orderer_id": ctx.actor.id}}.get(ctx.actor.role, {})
    rows = await deps.views.contracts(status=query.status, **own)
    return [{**row.__dict__, "engagement_id": str(row.engagement_id), "contract_id": str(row.contract_id),
             "total": _money(row.total), "fee_owed": _money(row.fee_owed), "expenses_due": _money(row.expenses_due),
             "paid_on": row.paid_on.isoformat() if row.paid_on else None} for row in rows]


# -- reactions to the orders service's events --------------------------------------------------------------

async def draft_contract(event: Envelope[orders.EngagementOpened], ctx: EventContext, deps: Deps) -> None:
    """An engagement opened: draft its contract with the rates in force today, which it then keeps."""
    opened = event.payload
    contract = await ctx.session.load(Contract, str(opened.engagement_id), must_exist=False)
    if contract.exists:
        return  # the same engagement announced twice: its contract stands as drafted
    tables = await ctx.session.load(RateTables, RateTables.ID, must_exist=False)
    expense_rates = await ctx.session.load(ExpenseRates, ExpenseRates.ID, must_exist=False)
    # Consumers start before the start-up seed has run: seed here too. Should the seed commit meanwhile,
    # this conflicts and the message is retried, to find that table.
    for seeded, aggregate in ((tables.seed_default(), tables), (expense_rates.seed(), expense_rates)):
        if seeded:
            await ctx.session.save(aggregate, Metadata(actor=SYSTEM))
    today = deps.clock.today()
    fee = opened.fee
    orderer_fee = OrdererFee(fee.hourly_fee, fee.fixed_fee) if fee.mode is orders.FeeMode.orderer else OrdererFee()
    task = Task(opened.date, opened.task_type.value, opened.topic, opened.remote, opened.place)
    # Expenses at the rates in force on the task's date; a task before the first rates, at the first.
    rates_on_the_day = expense_rates.in_force(opened.date) or expense_rates.publications[0]
    contract.draft(opened.expert_id, opened.orderer_id, orderer_fee, fee.expenses_reimbursed,
                   opened.duration_hours, tables.in_force(today), today, task, rates_on_the_day)
    await ctx.session.save(contract, ctx.meta(engagement_id=opened.engagement_id))


async def approve_fee(event: Envelope[orders.DeliveryConfirmed], ctx: EventContext, deps: Deps) -> None:
    """The orderer confirmed the delivery: compute the fee and expenses from the contract's terms."""
    delivered = event.payload
    contract = await _load_contract(ctx.session, delivered.engagement_id)
    contract.approve_fee(delivered.actual_hours, delivered.kilometres, delivered.other_expenses)
    await ctx.session.save(contract, ctx.meta(engagement_id=delivered.engagement_id))


async def cancel_contract(event: Envelope[orders.EngagementCancelled], ctx: EventContext, deps: Deps) -> None:
    """The engagement was cancelled: so is its contract, owing its share of the fee if it was signed by both
    when the orders service cancelled it."""
    cancelled = event.payload
    contract = await _load_contract(ctx.session, cancelled.engagement_id)
    after_signing = cancelled.after_signing or await _fully_signed_before(ctx.session, contract, event.recorded_at)
    contract.cancel(after_signing, cancelled.cancelled_by)
    await ctx.session.save(contract, ctx.meta(engagement_id=cancelled.engagement_id))


async def _fully_signed_before(session: Session, contract: Contract, moment: dt.datetime) -> bool:
    """The orders service cancels "before signing" while the last signature may still be on its way to it:
    what counts is whether both had signed here before the cancellation was made."""
    if not contract.fully_signed:
        return False
    stream = await session.store.read_stream(Contract.stream_id(contract.id), connection=session.connection)
    return any(e.event_type == "ContractFullySigned" and e.recorded_at <= moment for e in stream)


COMMANDS: Commands = {
    "publish_rate_table": (m.PublishRateTable, publish_rate_table),
    "sign_contract": (m.SignContract, sign_contract),
    "record_payment": (m.RecordPayment, record_payment),
    "publish_expense_rates": (m.PublishExpenseRates, publish_expense_rates),
    "claim_expenses": (m.ClaimExpenses, claim_expenses),
    "approve_expense_line": (m.ApproveExpenseLine, approve_expense_line),
    "return_expense_line": (m.ReturnExpenseLine, return_expense_line),
}

QUERIES: Queries = {
    "rate_tables": (m.ListRateTables, rate_tables),
    "rate_in_force": (m.RateInForce, rate_in_force),
    "get_contract": (m.GetContract, get_contract),
    "list_contracts": (m.ListContracts, list_contracts),
    "expense_rates": (m.ListExpenseRates, expense_rates),
    "contract_document": (m.ContractDocument, contract_document),
}

CONSUMES: Consumed = {
    "orders": {
        orders.EngagementOpened: draft_contract,
        orders.DeliveryConfirmed: approve_fee,
        orders.EngagementCancelled: cancel_contract,
    },
}
