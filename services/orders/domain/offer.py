"""An offer of an order's task to one expert, as the order keeps it. No I/O here."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass

from services.orders.events import OfferReason

OFFER_TIME = dt.timedelta(days=7)


class OfferStatus(enum.StrEnum):
    open = "open"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    withdrawn = "withdrawn"


@dataclass
class Offer:
    offer_id: uuid.UUID
    expert_id: str
    expires_at: dt.datetime
    status: OfferStatus = OfferStatus.open
    engagement_id: uuid.UUID | None = None
    reason: OfferReason = OfferReason.chosen
    rank: int | None = None
