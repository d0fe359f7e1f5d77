"""A document a person reads and signs (an assignment contract, an organization agreement): its HTML in one
language, its version, and the SHA-256 of exactly that text, which a signature names. Euros are written here the
way a Finn or a Finland-Swede writes them, fixed in code and not by locale data, so that a document (and its
hash) never changes with a library's update. No I/O here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

LANGUAGES = ("fi", "sv")  # the languages a signed document is rendered in


@dataclass(frozen=True)
class Document:
    version: int
    language: str
    html: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.html.encode()).hexdigest()


def euros(amount: Decimal | None) -> str:
    """1 234,50 €; a dash for no amount."""
    if amount is None:
        return "–"
    whole, _, cents = f"{amount:.2f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", "\u00a0")
    return f"{grouped},{cents}\u00a0€"

