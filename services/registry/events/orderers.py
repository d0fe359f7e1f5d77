"""The registry's events about orderers' credentials."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from services.registry.events.experts import ErasureGround
from shared.events import DomainEvent, Personal
from shared.upcasting import sealed_since


class OrdererCredentialsGranted(DomainEvent):
    """A coordinator gave an orderer credentials. Version 2 seals the orderer's name with the orderer's key."""

    schema_version: ClassVar[int] = 2

    orderer_id: str
    orderer_name: Personal
    organization_id: str | None = None
    valid_until: dt.date | None = None
    email: Personal = None  # the orderer signs in with it


sealed_since(OrdererCredentialsGranted, from_version=1)


class OrdererCredentialsRevoked(DomainEvent):
    """The orderer's credentials were taken away. Version 2 seals the reason with the orderer's key."""

    schema_version: ClassVar[int] = 2

    orderer_id: str
    reason: Personal = None


sealed_since(OrdererCredentialsRevoked, from_version=1)


class OrdererErased(DomainEvent):
    """The orderer's personal data was erased (their key shredded: their name, address and reasons read as erased
    everywhere); their credentials ended first. Who asked and when is the envelope."""

    orderer_id: str
    ground: ErasureGround
