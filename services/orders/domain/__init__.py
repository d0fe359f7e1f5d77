"""The orders service's domain: orders with their offers, and the engagements accepted offers open. No I/O."""

from services.orders.domain.engagement import (
    MAX_HOURS,
    MAX_KILOMETRES,
    Engagement,
    EngagementStatus,
    engagement_status,
)
from services.orders.domain.facts import Agreement, Credentials, ListedExpert, Membership
from services.orders.domain.order import MAX_EXPERTS, OFFER_TIME, Offer, OfferStatus, Order, check_fee_terms

__all__ = [
    "MAX_EXPERTS", "MAX_HOURS", "MAX_KILOMETRES", "OFFER_TIME", "Agreement", "Credentials", "Engagement",
    "EngagementStatus", "ListedExpert", "Membership", "Offer", "OfferStatus", "Order", "check_fee_terms",
    "engagement_status",
]
