"""The orders service's domain: orders with their offers, and the engagements accepted offers open. No I/O."""

from services.orders.domain.candidates import MAX_CANDIDATES
from services.orders.domain.engagement import (
    FEEDBACK_ANSWER_PERIOD,
    FORMS,
    MAX_HOURS,
    MAX_KILOMETRES,
    Engagement,
    EngagementStatus,
    engagement_status,
)
from services.orders.domain.facts import Agreement, Booking, Candidate, Credentials, ListedExpert, Membership
from services.orders.domain.offer import OFFER_TIME, Offer, OfferStatus
from services.orders.domain.order import MAX_EXPERTS, Order
from services.orders.domain.terms import check_fee_terms

__all__ = [
    "FEEDBACK_ANSWER_PERIOD", "FORMS",
    "MAX_CANDIDATES", "MAX_EXPERTS", "MAX_HOURS", "MAX_KILOMETRES", "OFFER_TIME", "Agreement", "Booking", "Candidate",
    "Credentials", "Engagement", "EngagementStatus", "ListedExpert", "Membership", "Offer", "OfferStatus", "Order",
    "check_fee_terms", "engagement_status",
]
