"""Steps the browser tests take again and again, each a page and its form: filling a form, and setting up an
organization with its contact person, an orderer and a trained expert."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.web.conftest import Visitor


async def fill(visitor: Visitor, values: dict[str, str | dt.date]) -> None:
    """Fill each field; a date goes into its three fields, day, month and year."""
    for selector, value in values.items():
        if isinstance(value, dt.date):
            for suffix, part in (("", value.day), ("-month", value.month), ("-year", value.year)):
                await visitor.page.fill(selector + suffix, str(part))
        else:
            await visitor.page.fill(selector, value)


async def register_ngo(coordinator: Visitor, organization_id: str, name: str) -> None:
    await coordinator.visit("/coordinator/organizations/new")
    await fill(coordinator, {"#f-organization-id": organization_id, "#f-name": name})
    await coordinator.page.check("#f-kind")
    await coordinator.submit()


async def appoint_contact(coordinator: Visitor, organization_id: str, person_id: str, name: str, email: str) -> None:
    await coordinator.visit(f"/coordinator/organizations/{organization_id}/contact")
    await fill(coordinator, {"#f-person-id": person_id, "#f-name": name, "#f-email": email})
    await coordinator.submit()


async def sign_agreement(visitor: Visitor, organization_id: str, agreement_id: str) -> None:
    """A party reads the agreement's latest version and signs it."""
    await visitor.visit(f"/agreements/{organization_id}/{agreement_id}")
    await visitor.submit(f"form[action='/agreements/{organization_id}/{agreement_id}/sign']")


async def grant_orderer(coordinator: Visitor, orderer_id: str, name: str, email: str) -> None:
    await coordinator.visit("/coordinator/orderers/new")
    await fill(coordinator, {"#f-orderer-id": orderer_id, "#f-orderer-name": name, "#f-email": email})
    await coordinator.submit()


async def register_trained_expert(contact: Visitor, expert_id: str, name: str, email: str, trained_on: dt.date,
                                  phone: str | None = None) -> None:
    """The contact person registers an expert of their organization and records her basic training."""
    await contact.visit("/organization/experts/new")
    await fill(contact, {"#f-expert-id": expert_id, "#f-name": name, "#f-email": email,
                         **({"#f-phone": phone} if phone else {})})
    await contact.submit()
    assert contact.page.url.endswith(f"/organization/experts/{expert_id}")
    await contact.visit(f"/organization/experts/{expert_id}/training")
    await fill(contact, {"#f-completed-on": trained_on})
    await contact.submit()


async def main_text(visitor: Visitor) -> str:
    return await visitor.page.inner_text("main")


async def ngo_with_aino_and_an_orderer(visitors: Any, web: str, today: dt.date) -> tuple[Visitor, Visitor]:
    """The coordinator registers Mieli ry with its contact person Olli and grants Turun koulu credentials; Olli
    registers Aino and records her basic training (she is never listed in the bank). Returns Olli and the orderer,
    each signed in."""
    coordinator = await visitors("coordinator", web)
    await coordinator.sign_in(staff_role="coordinator")
    await register_ngo(coordinator, "mieli", "Mieli ry")
    await appoint_contact(coordinator, "mieli", "olli", "Olli Ohjaaja", "olli@mieli.fi")
    await grant_orderer(coordinator, "turun-koulu", "Turun koulu", "rehtori@turku.fi")
    contact = await visitors("contact person", web)
    await contact.sign_in(email="olli@mieli.fi")
    await register_trained_expert(contact, "aino", "Aino Aalto", "aino@example.org", today - dt.timedelta(days=30))
    orderer = await visitors("orderer", web)
    await orderer.sign_in(email="rehtori@turku.fi")
    return contact, orderer
