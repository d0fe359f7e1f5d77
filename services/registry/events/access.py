"""Who looked at whom: the registry's events about searches of the bank and profiles viewed."""

from __future__ import annotations

import enum

from shared.events import DomainEvent

# -- who looked at whom ----------------------------------------------------------------------------------

class AccessPurpose(enum.StrEnum):
    finding_an_expert = "finding_an_expert"  # an orderer (or a coordinator routing an order) looks for an expert
    organization_register = "organization_register"  # the organization keeps its register and supports its experts
    profile_review = "profile_review"  # a reviewer checks a profile before the bank shows it
    coordination = "coordination"  # the coordinator's follow-up and oversight


class BankSearched(DomainEvent):
    """Someone searched the bank and was shown these experts. The criteria are left out on purpose: together with
    the ids they would tell whose lived experience is what."""

    viewer_id: str
    viewer_role: str
    viewer_organization_id: str | None = None
    purpose: AccessPurpose
    expert_ids: list[str]


class ProfileViewed(DomainEvent):
    """Someone other than the expert read the personal fields of the expert's profile."""

    viewer_id: str
    viewer_role: str
    viewer_organization_id: str | None = None
    purpose: AccessPurpose
    expert_id: str
