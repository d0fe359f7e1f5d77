"""The views contract for the registry: organizations, experts, listings, credentials, who signs in as whom
(the bank's profiles and search: test_registry_bank_views.py)."""

from __future__ import annotations

import datetime as dt

from services.registry import events as registry
from services.registry.events import OrganizationKind
from services.registry.views import (
    BankEntry,
    OrdererRow,
    OrganizationRow,
)
from shared.events import Role
from shared.identity import Capacity


def bank_entry(e: registry.ExpertListed) -> BankEntry:
    return BankEntry(e.expert_id, e.organization_ids, e.county_trained, e.topics, e.languages, e.regions)


async def test_registry(views_of):
    async with views_of("registry") as feed:
        views = feed.views
        await feed.follow("organization-mieli", registry.OrganizationRegistered(
            organization_id="mieli", name="Mieli ry", kind=OrganizationKind.ngo, contact_person_id="contact-1"))
        maija = registry.ExpertListed(expert_id="maija", organization_ids=["mieli"], county_trained=False,
                                      topics=["psychosis", "recovery"], languages=["fi", "sv"],
                                      regions=["Varsinais-Suomi"])
        pekka = registry.ExpertListed(expert_id="pekka", organization_ids=["county", "mieli"], county_trained=True,
                                      topics=["recovery"], languages=["fi"], regions=[])  # works anywhere
        liisa = registry.ExpertListed(expert_id="liisa", organization_ids=["mieli"], county_trained=False,
                                      topics=["child welfare"], languages=["fi", "en"], regions=["Uusimaa"])
        aino = registry.ExpertListed(expert_id="aino", organization_ids=["county"], county_trained=True,
                                     topics=["recovery", "substance use"], languages=["fi"], regions=["Uusimaa"])
        for listed in (maija, pekka, liisa, aino):  # aino's id sorts first, but she is listed last
            await feed.follow(f"expert-{listed.expert_id}", listed)
        assert await views.search_bank() == [bank_entry(e) for e in (maija, pekka, liisa, aino)]

        # Unlisted: gone. Listed again with other topics: the new listing, and last, as listed latest.
        await feed.follow("expert-liisa", registry.ExpertUnlisted(expert_id="liisa", reason="consent withdrawn"))
        await feed.follow("expert-maija", registry.ExpertUnlisted(expert_id="maija", reason="on leave"))
        maija = maija.model_copy(update={"topics": ["psychosis", "peer support"]})
        await feed.follow("expert-maija", maija)

        assert await views.search_bank() == [bank_entry(e) for e in (pekka, aino, maija)]
        assert await views.search_bank(topic="recovery") == [bank_entry(e) for e in (pekka, aino)]
        assert await views.search_bank(topic="peer support") == [bank_entry(maija)]
        assert await views.search_bank(topic="child welfare") == []
        assert await views.search_bank(language="sv") == [bank_entry(maija)]
        assert await views.search_bank(language="en") == []
        # A region: those who work there, and those who name no region.
        assert await views.search_bank(region="Uusimaa") == [bank_entry(e) for e in (pekka, aino)]
        assert await views.search_bank(region="Varsinais-Suomi") == [bank_entry(e) for e in (pekka, maija)]
        assert await views.search_bank(region="Lappi") == [bank_entry(pekka)]
        assert await views.search_bank(topic="recovery", language="fi", region="Varsinais-Suomi") == [bank_entry(pekka)]
        assert await views.search_bank(topic="psychosis", language="sv", region="Uusimaa") == []

        june = dt.date(2026, 6, 30)
        grants = {
            "school-1": registry.OrdererCredentialsGranted(orderer_id="school-1", orderer_name="Koulu",
                                                           organization_id="school-org", valid_until=june),
            "clinic-1": registry.OrdererCredentialsGranted(orderer_id="clinic-1", orderer_name="Klinikka"),
            "ward-1": registry.OrdererCredentialsGranted(orderer_id="ward-1", orderer_name="Osasto", valid_until=june),
        }
        for orderer_id, granted in grants.items():
            await feed.follow(f"orderer-{orderer_id}", granted)
        await feed.follow("orderer-clinic-1", registry.OrdererCredentialsRevoked(orderer_id="clinic-1", reason="left"))
        await feed.follow("orderer-ward-1", registry.OrdererCredentialsRevoked(orderer_id="ward-1", reason="moved"))
        await feed.follow("orderer-ward-1", registry.OrdererCredentialsGranted(
            orderer_id="ward-1", orderer_name="Osasto", valid_until=dt.date(2026, 12, 31)))
        await feed.follow("orderer-nobody", registry.OrdererCredentialsRevoked(orderer_id="nobody", reason="typo"))

        assert await views.credentials_valid("school-1", june, "school-org")  # the last valid day
        assert not await views.credentials_valid("school-1", june + dt.timedelta(days=1), "school-org")
        # Scoped to the school's staff: not for anyone acting for another organization, or for none.
        assert not await views.credentials_valid("school-1", june, "clinic-org")
        assert not await views.credentials_valid("school-1", june, None)
        assert not await views.credentials_valid("clinic-1", june, None)  # revoked
        # Granted again after revocation, unscoped: whatever organization the orderer acts for.
        assert await views.credentials_valid("ward-1", dt.date(2026, 12, 31), None)
        assert await views.credentials_valid("ward-1", dt.date(2026, 12, 31), "ward-org")
        assert not await views.credentials_valid("nobody", june, None)  # revoked without ever being granted
        assert not await views.credentials_valid("stranger", june, None)

        # Who signs in with an address: one person may be an expert, a contact person and an orderer.
        await feed.follow("expert-maija", registry.ExpertRegistered(
            expert_id="maija", organization_id="mieli", name="Maija", email="Maija@Example.org"))
        await feed.follow("expert-pekka", registry.ExpertRegistered(
            expert_id="pekka", organization_id="mieli", name="Pekka", email="pekka@example.org"))
        for org in ("mieli", "county"):
            await feed.follow(f"organization-{org}", registry.ContactPersonAppointed(
                organization_id=org, person_id="olli", name="Olli", email="maija@example.org"))
        await feed.follow("orderer-school-2", registry.OrdererCredentialsGranted(
            orderer_id="school-2", orderer_name="Koulu", organization_id="school-org", valid_until=june,
            email="maija@example.org"))
        expert = Capacity(role=Role.expert, id="maija")
        contacts = [Capacity(role=Role.organization_contact, id="olli", organization_id=org)
                    for org in ("county", "mieli")]
        orderer = Capacity(role=Role.orderer, id="school-2", organization_id="school-org")
        assert await views.capacities(" maija@example.ORG", june) == [expert, orderer, *contacts]
        assert await views.capacities("maija@example.org", june + dt.timedelta(days=1)) == [expert, *contacts]
        assert await views.capacities("nobody@example.org", june) == []

        await feed.follow("organization-county", registry.ContactPersonRemoved(
            organization_id="county", person_id="olli", reason="moved on"))
        await feed.follow("expert-maija", registry.ExpertErased(expert_id="maija"))
        await feed.follow("orderer-school-2", registry.OrdererCredentialsRevoked(orderer_id="school-2", reason="x"))
        assert await views.capacities("maija@example.org", june) == [contacts[1]]
        assert await views.capacities("pekka@example.org", june) == [Capacity(role=Role.expert, id="pekka")]
        # Credentials granted again without an address: nobody signs in as that orderer.
        await feed.follow("orderer-school-2", registry.OrdererCredentialsGranted(
            orderer_id="school-2", orderer_name="Koulu", valid_until=june))
        assert await views.capacities("maija@example.org", june) == [contacts[1]]


async def test_registry_listings(views_of):
    async with views_of("registry") as feed:
        views = feed.views
        for organization_id, name, kind in (("mieli", "Mieli ry", OrganizationKind.ngo),
                                            ("county", "Varha", OrganizationKind.county)):
            await feed.follow(f"organization-{organization_id}", registry.OrganizationRegistered(
                organization_id=organization_id, name=name, kind=kind))
        assert await views.organizations() == [OrganizationRow("county", "Varha", "county"),
                                               OrganizationRow("mieli", "Mieli ry", "ngo")]

        for expert_id in ("pekka", "maija"):
            await feed.follow(f"expert-{expert_id}", registry.ExpertRegistered(
                expert_id=expert_id, organization_id="mieli", name=expert_id.title(), email=f"{expert_id}@example.org"))
        await feed.follow("expert-pekka",
                          registry.ExpertJoinedOrganization(expert_id="pekka", organization_id="county"))
        assert await views.members("mieli") == ["maija", "pekka"]
        assert await views.members("county") == ["pekka"]
        assert await views.members("nobody") == []

        june = dt.date(2026, 6, 30)
        await feed.follow("orderer-school-1", registry.OrdererCredentialsGranted(
            orderer_id="school-1", orderer_name="Koulu", organization_id="school-org", valid_until=june))
        await feed.follow("orderer-clinic-1", registry.OrdererCredentialsGranted(orderer_id="clinic-1",
                                                                                 orderer_name="Klinikka"))
        await feed.follow("orderer-clinic-1", registry.OrdererCredentialsRevoked(orderer_id="clinic-1", reason="left"))
        assert await views.orderers() == [OrdererRow("clinic-1", "Klinikka", None, None, True),
                                          OrdererRow("school-1", "Koulu", "school-org", june, False)]
        await feed.follow("orderer-clinic-1", registry.OrdererCredentialsGranted(orderer_id="clinic-1",
                                                                                 orderer_name="Klinikka 2"))
        assert (await views.orderers())[0] == OrdererRow("clinic-1", "Klinikka 2", None, None, False)
