"""Volunteering, the fee declined (``decline_fee`` is with the contract's other commands): those approving a
volunteer's expense lines are warned when a line would pass the yearly caps of tax-free compensation (the excess
is paid, as taxable income), and the payment batch splits each allowance by the caps."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from services.contracts.domain import Contract
from services.contracts.domain.volunteering import Key, cap_warnings, shares_of
from services.contracts.handlers.income import contracts_of
from services.contracts.handlers.views import money
from shared.unit_of_work import Session, UnitOfWork

if TYPE_CHECKING:
    from services.contracts.service import Deps


async def volunteer_cap_warnings(deps: Deps, contract: Contract) -> dict[str, str]:
    """The pending lines of a volunteer's contract that approving would take past a yearly cap, with the part
    that would be taxable, by line number."""
    if not contract.volunteering or contract.terms is None:
        return {}
    others = await contracts_of(deps, deps.uow, contract.terms.expert_id)
    warnings = cap_warnings(contract, others)
    return {str(line): str(money(over)) for line, over in warnings.items()}


async def volunteer_shares(deps: Deps, source: Session | UnitOfWork, contracts: Iterable[Contract]
                           ) -> dict[Key, Decimal]:
    """The tax-free shares of the allowances of every volunteer among ``contracts``' experts, all of each one's
    contracts counted."""
    experts = sorted({c.terms.expert_id for c in contracts if c.volunteering and c.terms is not None})
    return shares_of([c for expert_id in experts for c in await contracts_of(deps, source, expert_id)])
