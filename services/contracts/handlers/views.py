"""What the contracts service answers about a contract and its money, as plain data."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from services.contracts.domain import ZERO, Contract, Party
from services.contracts.domain.amendment import changed_terms
from services.contracts.expenses import LineStatus
from services.contracts.payments import RULES, Character

if TYPE_CHECKING:
    pass



def money(amount: Decimal | None) -> str | None:
    """Money travels as a string of euros and cents: a JSON number would not keep 0.10 exact."""
    return None if amount is None else str(amount)


def contract_reply(contract: Contract) -> dict[str, Any]:
    """The contract as a command answers it: without its personal fields (the topic, the place, an expense
    claim's route, a returned line's reason), because a command's reply is kept, in clear, to answer its retry;
    get_contract shows them."""
    view = contract_view(contract)
    view["terms"].update(topic=None, place=None)
    for line in view["expenses"]["lines"]:
        line["route"] = line["returned_because"] = None
    return view


def contract_view(contract: Contract) -> dict[str, Any]:
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
            "hourly_fee": money(terms.hourly_fee),
            "fixed_fee": money(terms.fixed_fee),
            "minimum_fee": money(terms.minimum_fee),
            "mileage_per_km": money(terms.mileage_per_km),
            "expenses_reimbursed": True,  # always, whatever a contract drafted before the rule recorded
            "cancellation_fee_share": str(terms.cancellation_fee_share),
            "duration_hours": money(terms.duration_hours),
            "task_date": terms.task_date.isoformat() if terms.task_date else None,
            "task_type": terms.task_type,
            "topic": terms.topic,
            "remote": terms.remote,
            "expense_rates_id": terms.expense_rates_id,
            "per_diem_partial": money(terms.per_diem_partial),
            "per_diem_full": money(terms.per_diem_full),
            "meal_allowance": money(terms.meal_allowance),
            "start_time": terms.start_time.isoformat(timespec="minutes") if terms.start_time else None,
            "place": terms.place,
            # The fee's tax character and the rule it came from (volunteering when the expert declined the fee).
            "volunteering": contract.volunteering,
            "tax_character": contract.declined.tax_character if contract.declined else "fee_income",
            "tax_rule": contract.declined.rule if contract.declined else RULES[Character.fee_income],
        },
        "signed_by": {party.value: contract.signers.get(party) for party in Party},
        "signed_documents": {party.value: {"version": signed.document_version, "language": signed.document_language,
                                           "sha256": signed.document_hash}
                             for party, signed in contract.signed_documents.items()},
        "fully_signed": contract.fully_signed,
        "document_version": contract.document_version,
        "version_signed": contract.version_signed,
        "versions": [{"version": number, "signed_by": {signed.party: signed.signer_id
                                                       for at, signed in contract.signatures if at == number},
                      "changed": [] if number == 1 else sorted(changed_terms(contract.amendments[number - 2]))}
                     for number in range(1, contract.document_version + 1)],
        "fee": None
        if approval is None
        else {
            "fee": money(approval.fee),
            "mileage": money(approval.mileage),
            "other_expenses": money(approval.other_expenses),
            "total": money(approval.total),
        },
        "cancellation": None if cancellation is None else {"fee_owed": money(cancellation.fee_owed),
                                                           "cancelled_by": cancellation.cancelled_by},
        "payment": None
        if payment is None
        else {"total": money(payment.total), "paid_on": payment.paid_on.isoformat()},
        "expenses": expenses_view(contract),
    }


def expenses_view(contract: Contract) -> dict[str, Any]:
    lines = []
    totals = dict.fromkeys(LineStatus, ZERO)
    for number, line in contract.lines.items():
        status = contract.line_status[number]
        totals[status] += line.amount
        lines.append({"line_no": number, "kind": line.kind, "amount": money(line.amount),
                      "kilometres": money(line.kilometres), "route": contract.route_of_line.get(number),
                      "hours_away": money(line.hours_away), "description": line.description,
                      "status": status.value, "returned_because": contract.returned_because.get(number),
                      "paid": number in contract.paid_lines,
                      "receipts": [{"receipt_id": str(r.receipt_id), "content_type": r.content_type, "size": r.size,
                                    "sha256": r.sha256} for r in contract.receipts.get(number, [])]})
    return {"lines": lines, **{f"{status.value}_total": money(total) for status, total in totals.items()}}
