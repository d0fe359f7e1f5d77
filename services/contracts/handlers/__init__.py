"""The contracts service's handlers: its commands and queries, and its reactions to the orders service's
events. Each checks the actor, loads, decides, saves.

Each handler takes its message, its context (who asks; the transaction of a command or consumed event) and
the service's :class:`~services.contracts.service.Deps`. The tables at the end map names to handlers.
"""

from __future__ import annotations

from services.contracts import messages as m
from services.contracts.handlers.contracts import (
    approve_expense_line,
    claim_expenses,
    contract_document,
    get_contract,
    list_contracts,
    record_payment,
    return_expense_line,
    sign_contract,
)
from services.contracts.handlers.rates import (
    expense_rates,
    publish_expense_rates,
    publish_rate_table,
    rate_in_force,
    rate_tables,
    seed_default_rate_table,
    seed_expense_rates,
)
from services.contracts.handlers.reactions import (
    approve_fee,
    cancel_contract,
    draft_contract,
)
from services.orders import events as orders
from shared.handling import Commands, Consumed, Queries

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

__all__ = [
    "COMMANDS", "CONSUMES", "QUERIES", "approve_expense_line", "approve_fee", "cancel_contract", "claim_expenses",
    "contract_document", "draft_contract", "expense_rates", "get_contract", "list_contracts",
    "publish_expense_rates", "publish_rate_table", "rate_in_force", "rate_tables", "record_payment",
    "return_expense_line", "seed_default_rate_table", "seed_expense_rates", "sign_contract",
]
