"""Events the orders service publishes on ``kokemus.orders.events.<EventType>`` (its public contract).

An order asks for experts for one task; each accepted offer opens an engagement with its own id, and
every event of that engagement carries the id in its envelope (``engagement_id``).
"""

from services.orders.events.engagements import (
    CancellationTermsNoted,
    CountyAgreementLapsed,
    CountyAgreementRestored,
    DeliveryConfirmed,
    EngagementCancelled,
    EngagementClosed,
    EngagementConfirmed,
    EngagementOpened,
    FeeApprovalNoted,
    FeedbackCompletionNoted,
    FeedbackFormNoted,
    OwedFeePaidNoted,
)
from services.orders.events.offers import (
    CandidateSkipped,
    CandidatesRanked,
    NoCandidatesLeft,
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferMade,
    OfferReason,
    OfferWithdrawn,
    SkipReason,
)
from services.orders.events.orders import (
    ExpertsProposed,
    FeeMode,
    FeeTerms,
    OrderCancelled,
    OrderChanged,
    OrderDeclinedByOrganization,
    OrderPlaced,
    OrderRoute,
    OrderRoutedToOrganization,
    TaskType,
)

__all__ = [
    "CancellationTermsNoted",
    "CandidateSkipped",
    "CandidatesRanked",
    "CountyAgreementLapsed",
    "CountyAgreementRestored",
    "DeliveryConfirmed",
    "EngagementCancelled",
    "EngagementClosed",
    "EngagementConfirmed",
    "EngagementOpened",
    "ExpertsProposed",
    "FeeApprovalNoted",
    "FeeMode",
    "FeeTerms",
    "FeedbackCompletionNoted",
    "FeedbackFormNoted",
    "NoCandidatesLeft",
    "OfferAccepted",
    "OfferDeclined",
    "OfferExpired",
    "OfferMade",
    "OfferReason",
    "OfferWithdrawn",
    "OrderCancelled",
    "OrderChanged",
    "OrderDeclinedByOrganization",
    "OrderPlaced",
    "OrderRoute",
    "OrderRoutedToOrganization",
    "OwedFeePaidNoted",
    "SkipReason",
    "TaskType",
]
