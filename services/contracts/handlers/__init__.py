"""The contracts service's handlers: its commands and queries, its reactions to the orders service's events, and
to the registry's erasures. Each checks the actor, loads, decides, saves.

Each handler takes its message, its context (who asks; the transaction of a command or consumed event) and
the service's :class:`~services.contracts.service.Deps`. The tables at the end map names to handlers.
"""

from __future__ import annotations

from services.contracts import messages as m
from services.contracts.handlers.contracts import (
    amend_contract,
    approve_expense_line,
    claim_expenses,
    contract_document,
    contract_pdf,
    decline_fee,
    get_contract,
    list_contracts,
    record_payment,
    return_expense_line,
    sign_contract,
)
from services.contracts.handlers.erasure import on_expert_erased, on_orderer_erased
from services.contracts.handlers.income import clear_income_limit, income_check, income_summary, set_income_limit
from services.contracts.handlers.legal_hold import legal_holds
from services.contracts.handlers.payments import payment_batch, record_payment_batch
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
    amend_on_change,
    approve_fee,
    cancel_contract,
    draft_contract,
)
from services.contracts.handlers.receipts import attach_receipt, receipt
from services.orders import events as orders
from services.registry import events as registry
from shared.handling import Commands, Consumed, Queries

COMMANDS: Commands = {
    "publish_rate_table": (m.PublishRateTable, publish_rate_table),
    "sign_contract": (m.SignContract, sign_contract),
    "record_payment": (m.RecordPayment, record_payment),
    "publish_expense_rates": (m.PublishExpenseRates, publish_expense_rates),
    "claim_expenses": (m.ClaimExpenses, claim_expenses),
    "approve_expense_line": (m.ApproveExpenseLine, approve_expense_line),
    "return_expense_line": (m.ReturnExpenseLine, return_expense_line),
    "record_payment_batch": (m.RecordPaymentBatch, record_payment_batch),
    "amend_contract": (m.AmendContract, amend_contract),
    "set_income_limit": (m.SetIncomeLimit, set_income_limit),
    "clear_income_limit": (m.ClearIncomeLimit, clear_income_limit),
    "attach_receipt": (m.AttachReceipt, attach_receipt),
    "decline_fee": (m.DeclineFee, decline_fee),
}

QUERIES: Queries = {
    "rate_tables": (m.ListRateTables, rate_tables),
    "rate_in_force": (m.RateInForce, rate_in_force),
    "get_contract": (m.GetContract, get_contract),
    "list_contracts": (m.ListContracts, list_contracts),
    "expense_rates": (m.ListExpenseRates, expense_rates),
    "contract_document": (m.ContractDocument, contract_document),
    "payment_batch": (m.PaymentBatch, payment_batch),
    "contract_pdf": (m.ContractPdf, contract_pdf),
    "income_summary": (m.IncomeSummary, income_summary),
    "legal_holds": (m.LegalHolds, legal_holds),
    "receipt": (m.Receipt, receipt),
    "income_check": (m.IncomeCheck, income_check),
}

CONSUMES: Consumed = {
    "orders": {
        orders.EngagementOpened: draft_contract,
        orders.DeliveryConfirmed: approve_fee,
        orders.EngagementCancelled: cancel_contract,
        orders.EngagementChangeAccepted: amend_on_change,
    },
    "registry": {
        registry.ExpertErased: on_expert_erased,
        registry.OrdererErased: on_orderer_erased,
    },
}

__all__ = [
    "COMMANDS",
    "CONSUMES",
    "QUERIES",
    "amend_contract",
    "approve_expense_line",
    "approve_fee",
    "attach_receipt",
    "cancel_contract",
    "claim_expenses",
    "clear_income_limit",
    "contract_document",
    "contract_pdf",
    "decline_fee",
    "draft_contract",
    "expense_rates",
    "get_contract",
    "income_check", "income_summary",
    "list_contracts",
    "payment_batch",
    "publish_expense_rates",
    "publish_rate_table",
    "rate_in_force",
    "rate_tables",
    "receipt",
    "record_payment",
    "record_payment_batch",
    "return_expense_line",
    "seed_default_rate_table",
    "seed_expense_rates",
    "set_income_limit",
    "sign_contract",
]
