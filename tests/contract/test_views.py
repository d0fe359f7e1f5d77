"""One contract for every service's views: the same scenario runs against the in-memory fake of the port
(``services/<service>/views.py``) and the PostgreSQL tables (``projections.py``), and every read method of
the port must give the same answers.

The events are the services' own event classes, recorded in an event store of the same kind (so they carry
real envelope metadata: recording time, stream and version, the recording service) and then followed by the
views: a service's own events inside the recording transaction, as its unit of work does; another service's
events, recorded in that service's store, inside a transaction of the consumer. Lists whose order the port
promises are compared in order; lists whose order it leaves open are compared as sets.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from kokemus.stack.provision import drop_database, provision
from services import definitions
from services.audit.domain import Engagement as AuditEngagement, SourceEvent
from services.audit.views import InMemoryAuditTables
from services.contracts import events as contracts
from services.contracts.domain import ContractStatus
from services.contracts.views import ContractRow, InMemoryContractsViews
from services.feedback import events as feedback
from services.feedback.domain import Status
from services.feedback.events import Form
from services.feedback.report import FormRecord
from services.feedback.views import InMemoryFeedbackViews, Parties
from services.orders import events as orders
from services.orders.domain import (
    Agreement,
    Booking,
    Credentials,
    EngagementStatus,
    ListedExpert,
    Membership,
    OfferStatus,
)
from services.orders.events import FeeMode, FeeTerms, TaskType
from services.orders.views import InMemoryOrdersViews
from services.registry import events as registry
from services.registry.events import OrganizationKind
from services.registry.views import (
    AccessRow,
    BankEntry,
    BankPage,
    BankQuery,
    OrdererRow,
    OrganizationRow,
    ProgrammeRow,
    SituationRow,
)
from services.registry.views.in_memory import InMemoryRegistryViews
from shared.envelope import Published, RecordedEvent
from shared.events import Actor, DomainEvent, NewEvent, Role
from shared.eventstore.memory import InMemoryEventStore
from shared.eventstore.port import EventStore
from shared.eventstore.postgres import PostgresEventStore
from shared.identity import Capacity
from tests.subjects import subject_of

ACTOR = Actor(id="coordinator-1", role=Role.coordinator, organization_id="county")

FAKES: dict[str, Callable[[], Any]] = {
    "registry": InMemoryRegistryViews, "orders": InMemoryOrdersViews, "contracts": InMemoryContractsViews,
    "feedback": InMemoryFeedbackViews, "audit": InMemoryAuditTables,
}
# The services whose events each service's views are kept from, besides its own.
FOLLOWS: dict[str, tuple[str, ...]] = {
    "registry": (), "orders": ("registry",), "contracts": (), "feedback": ("orders",),
    "audit": ("registry", "orders", "contracts", "feedback"),
}


def publisher(payload: DomainEvent) -> str:
    """The service whose events.py defines the event."""
    return type(payload).__module__.split(".")[1]


def ids(count: int) -> list[uuid.UUID]:
    """Random ids in ascending order: given to things in the order they happen, so that an answer ordered by
    time differs from one ordered by id."""
    return sorted(uuid.uuid4() for _ in range(count))


def as_set(found: Iterable[Any]) -> set[Any]:
    """A list whose order the port leaves open, as a set; it must not name anything twice."""
    found = list(found)
    assert len(found) == len(set(found)), f"named twice: {found}"
    return set(found)


@dataclass
class Feed:
    """One implementation of a service's views, and event stores of the same kind for the service and the
    services whose events it follows."""

    service: str
    views: Any
    stores: dict[str, EventStore]
    pool: asyncpg.Pool | None = None  # the service's own database; None in memory

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        """A transaction of the service: its connection, or None in memory."""
        if self.pool is None:
            yield None
            return
        async with self.pool.acquire() as connection, connection.transaction():
            yield connection

    async def record(self, stream_id: str, payload: DomainEvent, *, engagement_id: uuid.UUID | None = None,
                     connection: Any = None) -> RecordedEvent:
        """Record the event in its publisher's store, as the next version of ``stream_id``."""
        store = self.stores[publisher(payload)]
        version = len(await store.read_stream(stream_id))
        [event] = await store.append(stream_id, version, [NewEvent(payload, ACTOR, engagement_id=engagement_id,
                                                                          subject_id=subject_of(payload))],
                                     connection=connection)
        await asyncio.sleep(0.001)  # the next event is recorded strictly later, in memory too
        return event

    async def follow(self, stream_id: str, payload: DomainEvent, *,
                     engagement_id: uuid.UUID | None = None) -> RecordedEvent:
        """Record the event and let the views follow it."""
        own = publisher(payload) == self.service
        if not own:
            event = await self.record(stream_id, payload, engagement_id=engagement_id)
        async with self.transaction() as connection:
            if own:
                event = await self.record(stream_id, payload, engagement_id=engagement_id, connection=connection)
            await self.views.project(event, connection)
        return event

    async def within(self, method: Callable[..., Any], *args: Any) -> Any:
        """Call a method of the port that takes the caller's connection, inside a transaction."""
        async with self.transaction() as connection:
            return await method(*args, connection)

    async def published(self, event: RecordedEvent) -> Published:
        """The event as its service published it (personal fields sealed), through JSON as on the bus."""
        store = self.stores[event.service]
        if isinstance(store, InMemoryEventStore):
            stored = list(store.published)
        else:
            stored = [envelope async for envelope in store.published_in_stream_order()]
        [envelope] = [envelope for envelope in stored if envelope.event_id == event.event_id]
        return Published.model_validate_json(envelope.model_dump_json())


@contextlib.asynccontextmanager
async def in_memory(service: str) -> AsyncIterator[Feed]:
    stores = {name: InMemoryEventStore(name, definitions()[name].events) for name in (service, *FOLLOWS[service])}
    yield Feed(service, FAKES[service](), stores)


@contextlib.asynccontextmanager
async def in_postgres(servers: Any, service: str) -> AsyncIterator[Feed]:
    """A database with the service's schema and tables, and a schema with only the event table for each
    service it follows, each owned by that service's role."""
    names = (service, *FOLLOWS[service])
    database = f"kokemus_test_{uuid.uuid4().hex[:10]}"
    dsns = await provision(servers.admin_dsn, database,
                           {name: definitions()[name].sql if name == service else () for name in names})
    pools: dict[str, asyncpg.Pool] = {}
    try:
        for name in names:
            pools[name] = await asyncpg.create_pool(dsns[name], min_size=1, max_size=4)
        stores = {name: PostgresEventStore(pools[name], name, name, definitions()[name].events) for name in names}
        yield Feed(service, definitions()[service].views(pools[service], service), stores, pools[service])
    finally:
        for pool in pools.values():
            await pool.close()
        await drop_database(servers.admin_dsn, database)


@pytest.fixture(params=["memory", "postgres"])
def views_of(request: pytest.FixtureRequest) -> Callable[[str], contextlib.AbstractAsyncContextManager[Feed]]:
    """Opens a service's views, in memory or in PostgreSQL: only the PostgreSQL half asks for real servers."""
    if request.param == "memory":
        return in_memory
    return functools.partial(in_postgres, request.getfixturevalue("servers"))


# -- registry ----------------------------------------------------------------------------------------------

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

        assert await views.credentials_valid("school-1", june)  # the last valid day
        assert not await views.credentials_valid("school-1", june + dt.timedelta(days=1))
        assert not await views.credentials_valid("clinic-1", june)  # revoked
        assert await views.credentials_valid("ward-1", dt.date(2026, 12, 31))  # granted again after revocation
        assert not await views.credentials_valid("nobody", june)  # revoked without ever being granted
        assert not await views.credentials_valid("stranger", june)

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


# -- orders --------------------------------------------------------------------------------------------------

FEE = FeeTerms(mode=FeeMode.recommended)
AT = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def offer(order_id: uuid.UUID, expert_id: str, expires_at: dt.datetime) -> orders.OfferMade:
    return orders.OfferMade(order_id=order_id, offer_id=uuid.uuid4(), expert_id=expert_id, expires_at=expires_at)


def opened(engagement_id: uuid.UUID, expert_id: str, orderer_id: str, day: dt.date) -> orders.EngagementOpened:
    return orders.EngagementOpened(
        engagement_id=engagement_id, order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id=expert_id,
        orderer_id=orderer_id, task_type=TaskType.lecture, topic="recovery", date=day,
        duration_hours=Decimal("2"), remote=False, fee=FEE)


def summary(e: orders.EngagementOpened, status: EngagementStatus) -> dict[str, Any]:
    return {"engagement_id": e.engagement_id, "order_id": e.order_id, "offer_id": e.offer_id,
            "expert_id": e.expert_id, "orderer_id": e.orderer_id, "task_type": e.task_type.value, "date": e.date,
            "status": status.value}


async def test_orders_registry_facts(views_of):
    async with views_of("orders") as feed:
        views = feed.views
        for organization_id, kind in (("county", OrganizationKind.county), ("mieli", OrganizationKind.ngo),
                                      ("kuntoutus", OrganizationKind.ngo)):
            await feed.follow(f"organization-{organization_id}", registry.OrganizationRegistered(
                organization_id=organization_id, name=organization_id.title(), kind=kind))
        for agreement_id, valid_from, valid_until in (("mieli-2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
                                                      ("mieli-2026", dt.date(2026, 1, 1), None)):
            await feed.follow("organization-mieli", registry.OrganizationAgreementSigned(
                organization_id="mieli", agreement_id=agreement_id, valid_from=valid_from, valid_until=valid_until))
        await feed.follow("organization-mieli", registry.OrganizationAgreementEnded(
            organization_id="mieli", agreement_id="mieli-2025", ended_on=dt.date(2025, 9, 30)))

        listings = {
            "maija": (["mieli", "kuntoutus"], False), "pekka": (["county"], True), "liisa": (["mieli"], False),
            "aino": (["unknown-ngo"], False),  # an organization orders has not heard of
        }
        for expert_id, (organization_ids, county_trained) in listings.items():
            await feed.follow(f"expert-{expert_id}", registry.ExpertListed(
                expert_id=expert_id, organization_ids=organization_ids, county_trained=county_trained,
                topics=["recovery"]))
        await feed.follow("expert-pekka", registry.ExpertUnlisted(expert_id="pekka", reason="on leave"))
        await feed.follow("expert-liisa", registry.ExpertErased(expert_id="liisa"))
        await feed.follow("expert-aino", registry.ExpertListed(  # listed again, now county trained
            expert_id="aino", organization_ids=["unknown-ngo", "county"], county_trained=True, topics=["recovery"]))

        maija = await views.listed_expert("maija")
        assert (maija.expert_id, maija.county_trained) == ("maija", False)
        # Which agreements an organization has; the port does not order them.
        assert [(m.organization_id, m.is_ngo, set(m.agreements)) for m in maija.memberships] == [
            ("mieli", True, {Agreement(dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 9, 30)),
                             Agreement(dt.date(2026, 1, 1))}),
            ("kuntoutus", True, set()),
        ]
        assert await views.listed_expert("aino") == ListedExpert("aino", True, (
            Membership("unknown-ngo", is_ngo=False), Membership("county", is_ngo=False)))
        assert await views.listed_expert("pekka") is None  # unlisted
        assert await views.listed_expert("liisa") is None  # erased
        assert await views.listed_expert("stranger") is None

        until = dt.date(2026, 12, 31)
        await feed.follow("orderer-school-1", registry.OrdererCredentialsGranted(
            orderer_id="school-1", orderer_name="Koulu", organization_id="school-org", valid_until=until))
        await feed.follow("orderer-clinic-1", registry.OrdererCredentialsGranted(
            orderer_id="clinic-1", orderer_name="Klinikka", organization_id="county"))
        await feed.follow("orderer-clinic-1", registry.OrdererCredentialsRevoked(orderer_id="clinic-1", reason="left"))
        await feed.follow("orderer-ward-1", registry.OrdererCredentialsGranted(
            orderer_id="ward-1", orderer_name="Osasto"))
        await feed.follow("orderer-ward-1", registry.OrdererCredentialsRevoked(orderer_id="ward-1", reason="moved"))
        await feed.follow("orderer-ward-1", registry.OrdererCredentialsGranted(
            orderer_id="ward-1", orderer_name="Osasto", organization_id="county", valid_until=until))

        assert await views.credentials("school-1") == Credentials("school-1", "school-org", until)
        assert await views.credentials("clinic-1") == Credentials("clinic-1", "county", None, revoked=True)
        assert await views.credentials("ward-1") == Credentials("ward-1", "county", until)
        assert await views.credentials("stranger") is None


async def test_orders_offers_and_engagements(views_of):
    async with views_of("orders") as feed:
        views = feed.views
        due_first, due_later, accepted, moved_earlier, moved_later, closed_offers = (uuid.uuid4() for _ in range(6))
        hour = dt.timedelta(hours=1)

        await feed.follow(f"order-{due_first}", offer(due_first, "maija", AT))
        await feed.follow(f"order-{due_first}", offer(due_first, "pekka", AT + 48 * hour))
        await feed.follow(f"order-{due_later}", offer(due_later, "maija", AT + 24 * hour))
        taken = await feed.follow(f"order-{accepted}", offer(accepted, "maija", AT - hour))
        await feed.follow(f"order-{accepted}", orders.OfferAccepted(
            order_id=accepted, offer_id=taken.payload.offer_id, expert_id="maija", engagement_id=uuid.uuid4()))
        # The task moves to 9 March: its open offer now ends when that day begins (in Finland).
        await feed.follow(f"order-{moved_earlier}", offer(moved_earlier, "liisa", AT + 240 * hour))
        await feed.follow(f"order-{moved_earlier}", orders.OrderChanged(
            order_id=moved_earlier, date=dt.date(2026, 3, 9)))
        # A later day or another change leaves an offer's end where it was.
        await feed.follow(f"order-{moved_later}", offer(moved_later, "liisa", AT + 24 * hour))
        await feed.follow(f"order-{moved_later}", orders.OrderChanged(order_id=moved_later, date=dt.date(2026, 4, 1)))
        await feed.follow(f"order-{moved_later}", orders.OrderChanged(order_id=moved_later, topic="peer support"))
        for ended in (orders.OfferDeclined, orders.OfferExpired, orders.OfferWithdrawn):
            made = await feed.follow(f"order-{closed_offers}", offer(closed_offers, "aino", AT - hour))
            reason = {"reason": "no"} if ended is not orders.OfferExpired else {}
            await feed.follow(f"order-{closed_offers}", ended(
                order_id=closed_offers, offer_id=made.payload.offer_id, expert_id="aino", **reason))

        assert as_set(await views.orders_with_offers_due(AT - dt.timedelta(microseconds=1))) == {moved_earlier}
        assert as_set(await views.orders_with_offers_due(AT)) == {due_first, moved_earlier}
        assert as_set(await views.orders_with_offers_due(AT + 24 * hour)) == {
            due_first, due_later, moved_earlier, moved_later}
        assert as_set(await views.orders_with_offers_due(AT + 1000 * hour)) == {
            due_first, due_later, moved_earlier, moved_later}

        # Engagements, opened in id order, so that newest first is not id order.
        e1, e2, e3, e4, e5 = ids(5)
        day = dt.date(2026, 3, 20)
        opening = [opened(e1, "maija", "school-1", day), opened(e2, "pekka", "school-1", day),
                   opened(e3, "maija", "clinic-1", day), opened(e4, "liisa", "school-1", day),
                   opened(e5, "pekka", "clinic-1", day + dt.timedelta(days=1))]
        for e in opening:
            await feed.follow(f"engagement-{e.engagement_id}", e, engagement_id=e.engagement_id)

        async def step(engagement_id: uuid.UUID, *events: DomainEvent) -> None:
            for event in events:
                await feed.follow(f"engagement-{engagement_id}", event, engagement_id=engagement_id)

        def confirmed(e: uuid.UUID) -> orders.EngagementConfirmed:
            return orders.EngagementConfirmed(engagement_id=e, contract_id=uuid.uuid4())

        def delivered(e: uuid.UUID) -> orders.DeliveryConfirmed:
            return orders.DeliveryConfirmed(engagement_id=e, actual_hours=Decimal("2"), kilometres=Decimal("14"))

        await step(e1, confirmed(e1), delivered(e1),
                   orders.FeeApprovalNoted(engagement_id=e1, contract_id=uuid.uuid4()),
                   orders.FeedbackCompletionNoted(engagement_id=e1), orders.EngagementClosed(engagement_id=e1))
        await step(e2, confirmed(e2))
        await step(e3, confirmed(e3), orders.EngagementCancelled(
            engagement_id=e3, cancelled_by="orderer", reason="the class was cancelled", after_signing=True))
        # Feedback completed before the fee was approved: the furthest step shows, whatever came last.
        await step(e5, confirmed(e5), delivered(e5), orders.FeedbackCompletionNoted(engagement_id=e5),
                   orders.FeeApprovalNoted(engagement_id=e5, contract_id=uuid.uuid4()))
        never_opened = uuid.uuid4()
        await step(never_opened, orders.EngagementClosed(engagement_id=never_opened))

        S = EngagementStatus
        rows = dict(zip((e1, e2, e3, e4, e5), (summary(e, s) for e, s in zip(opening, (
            S.closed, S.confirmed, S.cancelled, S.opened, S.feedback_complete), strict=True)), strict=True))

        def summaries(*engagement_ids: uuid.UUID) -> list[dict[str, Any]]:
            return [rows[e] for e in engagement_ids]

        assert await views.engagements() == summaries(e5, e4, e3, e2, e1)
        assert await views.engagements(orderer_id="school-1") == summaries(e4, e2, e1)
        assert await views.engagements(expert_id="maija") == summaries(e3, e1)
        assert await views.engagements(status=S.confirmed) == summaries(e2)
        assert await views.engagements(status=S.closed) == summaries(e1)
        assert await views.engagements(status=S.cancelled) == summaries(e3)
        assert await views.engagements(status=S.opened) == summaries(e4)
        assert await views.engagements(status=S.feedback_complete) == summaries(e5)
        assert await views.engagements(status=S.delivered) == []
        assert await views.engagements(orderer_id="clinic-1", expert_id="pekka") == summaries(e5)
        assert await views.engagements(orderer_id="school-1", status=S.confirmed) == summaries(e2)
        assert await views.engagements(orderer_id="school-1", expert_id="maija", status=S.cancelled) == []
        assert await views.engagements(orderer_id="stranger") == []

        # An expert's bookings of a day, for refusing a double booking: every engagement that day but a cancelled one.
        assert await views.bookings("maija", day) == (Booking(day, None, Decimal("2")),)
        assert await views.bookings("pekka", day + dt.timedelta(days=1)) == (
            Booking(day + dt.timedelta(days=1), None, Decimal("2")),)
        assert await views.bookings("liisa", day + dt.timedelta(days=1)) == ()

        # Engagements whose feedback forms' answer period may have ended: delivered before the day, fee approved,
        # feedback not complete, not closed (e5's feedback is complete, e1 is closed).
        await step(e2, orders.DeliveryConfirmed(engagement_id=e2, actual_hours=Decimal("2"), kilometres=Decimal("0"),
                                                delivered_on=day),
                   orders.FeeApprovalNoted(engagement_id=e2, contract_id=uuid.uuid4()))
        assert await views.engagements_awaiting_feedback(delivered_before=day) == []
        assert await views.engagements_awaiting_feedback(delivered_before=day + dt.timedelta(days=1)) == [e2]


def placed(order_id: uuid.UUID, orderer_id: str) -> orders.OrderPlaced:
    return orders.OrderPlaced(
        order_id=order_id, orderer_id=orderer_id, orderer_organization_id=None, county_service=False,
        task_type=TaskType.lecture, topic="recovery", date=dt.date(2026, 3, 20), duration_hours=Decimal("2"),
        place=None, remote=True, experts_wanted=2, fee=FEE)


async def test_orders_an_experts_offers_and_an_orderers_orders(views_of):
    async with views_of("orders") as feed:
        views = feed.views
        first, second, others = ids(3)  # placed in id order: newest first is not id order
        for order_id, orderer_id in ((first, "school-1"), (others, "clinic-1"), (second, "school-1")):
            await feed.follow(f"order-{order_id}", placed(order_id, orderer_id))
        assert await views.orders_of("school-1") == [second, first]
        assert await views.orders_of("clinic-1") == [others]
        assert await views.orders_of("stranger") == []

        hour = dt.timedelta(hours=1)
        soon = await feed.follow(f"order-{first}", offer(first, "maija", AT))
        later = await feed.follow(f"order-{second}", offer(second, "maija", AT + hour))
        await feed.follow(f"order-{second}", offer(second, "pekka", AT + 2 * hour))
        await feed.follow(f"order-{first}", orders.OfferDeclined(
            order_id=first, offer_id=soon.payload.offer_id, expert_id="maija", reason="busy"))

        def row(made: RecordedEvent, status: str) -> dict[str, Any]:
            e = made.payload
            return {"offer_id": e.offer_id, "order_id": e.order_id, "expert_id": e.expert_id,
                    "expires_at": e.expires_at, "status": status}

        assert await views.offers_to("maija") == [row(later, "open"), row(soon, "declined")]
        assert await views.offers_to("maija", OfferStatus.open) == [row(later, "open")]
        assert await views.offers_to("maija", OfferStatus.accepted) == []
        assert [o["expert_id"] for o in await views.offers_to("pekka")] == ["pekka"]


# -- contracts -----------------------------------------------------------------------------------------------

def drafted(engagement_id: uuid.UUID, expert_id: str, orderer_id: str, fee_basis: str) -> contracts.ContractDrafted:
    return contracts.ContractDrafted(
        contract_id=uuid.uuid4(), engagement_id=engagement_id, expert_id=expert_id, orderer_id=orderer_id,
        fee_basis=fee_basis, rate_table_id="rates-2026" if fee_basis == "recommended" else None,
        hourly_fee=Decimal("50.00"), fixed_fee=None, minimum_fee=Decimal("40.00"), mileage_per_km=Decimal("0.25"),
        expenses_reimbursed=True, cancellation_fee_share=Decimal("0.5"), duration_hours=Decimal("2"))


async def test_contracts(views_of):
    async with views_of("contracts") as feed:
        views = feed.views
        e1, e2, e3, e4 = ids(4)  # drafted in id order, so that newest first is not id order
        drafts = {e1: drafted(e1, "maija", "school-1", "orderer"), e2: drafted(e2, "pekka", "school-1", "recommended"),
                  e3: drafted(e3, "maija", "clinic-1", "recommended"), e4: drafted(e4, "pekka", "clinic-1", "orderer")}

        async def step(engagement_id: uuid.UUID, event_type: type[DomainEvent], **fields: Any) -> None:
            event = event_type(contract_id=drafts[engagement_id].contract_id, engagement_id=engagement_id, **fields)
            await feed.follow(f"contract-{engagement_id}", event, engagement_id=engagement_id)

        for engagement_id, draft in drafts.items():
            await feed.follow(f"contract-{engagement_id}", draft, engagement_id=engagement_id)
        await step(e1, contracts.ContractSigned, party="expert", signer_id="maija")
        await step(e1, contracts.ContractSigned, party="orderer", signer_id="school-1")
        await step(e1, contracts.ContractFullySigned)
        await step(e1, contracts.FeeApproved, fee=Decimal("100.00"), mileage=Decimal("3.50"),
                   other_expenses=Decimal("12.90"), total=Decimal("116.40"))
        await step(e1, contracts.FeePaid, total=Decimal("116.40"), paid_on=dt.date(2026, 4, 15))
        await step(e2, contracts.ContractSigned, party="orderer", signer_id="school-1")
        await step(e3, contracts.ContractSigned, party="orderer", signer_id="clinic-1")
        await step(e3, contracts.ContractSigned, party="expert", signer_id="maija")
        await step(e3, contracts.ContractFullySigned)
        await step(e3, contracts.ContractCancelled, fee_owed=Decimal("50.00"))

        def row(engagement_id: uuid.UUID, status: ContractStatus, **money: Any) -> ContractRow:
            d = drafts[engagement_id]
            return ContractRow(d.engagement_id, d.contract_id, d.expert_id, d.orderer_id, d.fee_basis, status.value,
                               **money)

        paid = row(e1, ContractStatus.paid, total=Decimal("116.40"), paid_on=dt.date(2026, 4, 15))
        partly = row(e2, ContractStatus.partly_signed)
        cancelled = row(e3, ContractStatus.cancelled, fee_owed=Decimal("50.00"))
        draft = row(e4, ContractStatus.drafted)

        assert await views.contracts() == [draft, cancelled, partly, paid]
        assert await views.contracts(status=ContractStatus.paid) == [paid]
        assert await views.contracts(status=ContractStatus.partly_signed) == [partly]
        assert await views.contracts(status=ContractStatus.cancelled) == [cancelled]
        assert await views.contracts(status=ContractStatus.drafted) == [draft]
        assert await views.contracts(status=ContractStatus.fully_signed) == []
        assert await views.contracts(expert_id="maija") == [cancelled, paid]
        assert await views.contracts(orderer_id="clinic-1") == [draft, cancelled]
        assert await views.contracts(expert_id="pekka", orderer_id="school-1") == [partly]
        assert await views.contracts(status=ContractStatus.drafted, expert_id="maija") == []
        assert await views.contracts(orderer_id="stranger") == []

        # Approved, not yet paid: the total shows with the status.
        await step(e4, contracts.ContractSigned, party="expert", signer_id="pekka")
        await step(e4, contracts.ContractSigned, party="orderer", signer_id="clinic-1")
        await step(e4, contracts.ContractFullySigned)
        assert await views.contracts(status=ContractStatus.fully_signed) == [row(e4, ContractStatus.fully_signed)]
        await step(e4, contracts.FeeApproved, fee=Decimal("80.00"), mileage=Decimal("0.00"),
                   other_expenses=Decimal("0.00"), total=Decimal("80.00"))
        assert await views.contracts(orderer_id="clinic-1") == [
            row(e4, ContractStatus.fee_approved, total=Decimal("80.00")), cancelled]

        # An expense line approved after the payment makes the paid contract due again; before it, no change.
        # Each approved expense line adds to what is due, until a payment pays it all.
        await step(e4, contracts.ExpenseLineApproved, line_no=1, amount=Decimal("7.40"))
        await step(e4, contracts.ExpenseLineApproved, line_no=2, amount=Decimal("4.50"))
        assert await views.contracts(status=ContractStatus.fee_approved) == [
            row(e4, ContractStatus.fee_approved, total=Decimal("80.00"), expenses_due=Decimal("11.90"))]
        await step(e1, contracts.ExpenseLineApproved, line_no=1, amount=Decimal("7.40"))
        assert await views.contracts(expert_id="maija", status=ContractStatus.fee_approved) == [
            row(e1, ContractStatus.fee_approved, total=Decimal("116.40"), paid_on=dt.date(2026, 4, 15),
                expenses_due=Decimal("7.40"))]
        await step(e1, contracts.FeePaid, total=Decimal("7.40"), paid_on=dt.date(2026, 4, 20), includes_fee=False,
                   expense_lines=[1])
        assert await views.contracts(expert_id="maija", status=ContractStatus.paid) == [
            row(e1, ContractStatus.paid, total=Decimal("116.40"), paid_on=dt.date(2026, 4, 20))]


# -- feedback ------------------------------------------------------------------------------------------------

SELF = {"preparation": 4, "own_wellbeing": 3, "experience_heard": 5, "would_do_again": 5}
SELF_CLEAR = {question: rating for question, rating in SELF.items() if question != "own_wellbeing"}
ORDERER = {"usefulness": 5, "expert_preparation": 4, "cooperation": 3, "would_order_again": 5}


def in_report_order(records: Iterable[FormRecord]) -> list[FormRecord]:
    """Forms requested in a period: the port leaves their order open."""
    return sorted(records, key=lambda r: (r.requested_at, r.engagement_id, r.form.value))


async def test_feedback(views_of):
    async with views_of("feedback") as feed:
        views = feed.views
        e1, e2, e3, e4, e5, e6 = ids(6)
        parties = {e1: Parties("maija", "school-1"), e2: Parties("pekka", "school-1"),
                   e3: Parties("maija", "clinic-1"), e4: Parties("maija", "clinic-1"), e5: Parties("liisa", "school-1")}

        # The engagements, as the feedback service's consumer of the orders service's events remembers them.
        for engagement_id, who in parties.items():
            event = await feed.record(f"engagement-{engagement_id}", opened(
                engagement_id, who.expert_id, who.orderer_id, dt.date(2026, 3, 20)), engagement_id=engagement_id)
            await feed.within(views.remember_engagement, engagement_id,
                              Parties(event.payload.expert_id, event.payload.orderer_id))
        await feed.record(f"engagement-{e4}", orders.EngagementCancelled(
            engagement_id=e4, cancelled_by="expert", reason="ill", after_signing=False), engagement_id=e4)
        await feed.within(views.mark_cancelled, e4)
        await feed.within(views.mark_cancelled, e6)  # never remembered: nothing to mark
        # Remembered again (the opening handled a second time): the same parties, still cancelled.
        await feed.within(views.remember_engagement, e4, parties[e4])
        await feed.within(views.remember_engagement, e1, parties[e1])

        for engagement_id, who in parties.items():
            expected = Parties(who.expert_id, who.orderer_id, cancelled=engagement_id == e4)
            assert await views.parties(engagement_id) == expected
            assert await feed.within(views.parties, engagement_id) == expected  # inside a consumer's transaction
        assert await views.parties(e6) is None
        assert as_set(await views.engagements_of("maija")) == {e1, e3, e4}
        assert as_set(await feed.within(views.engagements_of, "pekka")) == {e2}
        assert await views.engagements_of("stranger") == []

        # The forms, from the service's own events, timed by its clock.
        t0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=30)
        day = dt.timedelta(days=1)

        async def form(engagement_id: uuid.UUID, which: Form, event_type: type[DomainEvent],
                       **fields: Any) -> RecordedEvent:
            """An event of one form of the engagement, on the engagement's feedback stream."""
            if "respondent_id" in event_type.model_fields:
                who = parties.get(engagement_id, Parties("aino", "ward-1"))
                fields["respondent_id"] = who.expert_id if which is Form.self_assessment else who.orderer_id
            return await feed.follow(f"feedback-{engagement_id}", event_type(
                engagement_id=engagement_id, form=which, **fields), engagement_id=engagement_id)

        async def requested(engagement_id: uuid.UUID, at: dt.datetime | None, *forms: Form) -> None:
            for f in forms or tuple(Form):
                await form(engagement_id, f, feedback.FeedbackRequested, requested_at=at)

        # e1: both asked at t0; the expert answered, the orderer was reminded at t0 + 3 days.
        await requested(e1, t0)
        await form(e1, Form.self_assessment, feedback.FeedbackSubmitted, ratings=SELF_CLEAR,
                   sealed_ratings={"own_wellbeing": SELF["own_wellbeing"]})
        await form(e1, Form.orderer_feedback, feedback.FeedbackReminderSent, reminder_number=1, sent_at=t0 + 3 * day)
        # e2: asked a day earlier; the expert was reminded three times (no reminders left), the orderer answered.
        await requested(e2, t0 - day)
        for number in (1, 2, 3):
            await form(e2, Form.self_assessment, feedback.FeedbackReminderSent, reminder_number=number,
                       sent_at=t0 + (3 * number - 1) * day)
        await form(e2, Form.orderer_feedback, feedback.FeedbackSubmitted, ratings=ORDERER)
        # e3: asked two days before t0 and never answered: the longest waiting.
        await requested(e3, t0 - 2 * day)
        # e4: cancelled, so its one open form was closed unanswered.
        await requested(e4, t0 - 3 * day, Form.self_assessment)
        await form(e4, Form.self_assessment, feedback.FeedbackClosedUnanswered)
        # e5: asked after t0 and reminded by the same run of the reminder job as e1.
        await requested(e5, t0 + day)
        for f in Form:
            await form(e5, f, feedback.FeedbackReminderSent, reminder_number=1, sent_at=t0 + 3 * day)
        # e6: recorded without the service's time: its recording time counts.
        untimed = await form(e6, Form.self_assessment, feedback.FeedbackRequested)
        now = untimed.recorded_at

        # The longest waiting first; a tie (one reminder run) in id order.
        assert await views.due_for_reminder(t0 + 4 * day) == [e3, e1, e5]
        assert await views.due_for_reminder(t0 + 4 * day, limit=2) == [e3, e1]
        assert await views.due_for_reminder(t0 + 3 * day) == [e3, e1, e5]  # prompted at that instant: due
        assert await views.due_for_reminder(t0 + 3 * day - dt.timedelta(microseconds=1)) == [e3]
        assert await views.due_for_reminder(t0 - 3 * day) == []
        assert await views.due_for_reminder(now) == [e3, e1, e5, e6]

        def record(engagement_id: uuid.UUID, f: Form, at: dt.datetime, status: Status = Status.open,
                   ratings: dict[str, int] | None = None) -> FormRecord:
            return FormRecord(engagement_id, f, at, status, ratings)

        own, theirs = Form.self_assessment, Form.orderer_feedback
        e1_forms = [record(e1, own, t0, Status.answered, SELF), record(e1, theirs, t0)]
        e2_forms = [record(e2, own, t0 - day), record(e2, theirs, t0 - day, Status.answered, ORDERER)]
        e3_forms = [record(e3, own, t0 - 2 * day), record(e3, theirs, t0 - 2 * day)]
        e4_forms = [record(e4, own, t0 - 3 * day, Status.closed)]
        e5_forms = [record(e5, own, t0 + day), record(e5, theirs, t0 + day)]
        e6_forms = [record(e6, own, now)]
        # From the first instant, up to but not including the last.
        assert in_report_order(await views.forms_requested(t0 - 2 * day, t0 + day)) == in_report_order(
            e1_forms + e2_forms + e3_forms)
        assert in_report_order(await views.forms_requested(t0 - 10 * day, now + day)) == in_report_order(
            e1_forms + e2_forms + e3_forms + e4_forms + e5_forms + e6_forms)
        assert in_report_order(await views.forms_requested(now, now + day)) == e6_forms
        assert await views.forms_requested(t0 + 2 * day, now) == []

        # Maija erased: her own-wellbeing rating leaves the report's rows; the other answers stay.
        await feed.within(views.forget_sealed_answers, "maija")
        assert in_report_order(await views.forms_requested(t0 - 2 * day, t0 + day)) == in_report_order(
            [record(e1, own, t0, Status.answered, SELF_CLEAR), record(e1, theirs, t0), *e2_forms, *e3_forms])


# -- audit ---------------------------------------------------------------------------------------------------

async def test_audit(views_of):
    async with views_of("audit") as feed:
        views = feed.views
        order_a, order_b, order_c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        e1, e2 = ids(2)
        kept: dict[str, SourceEvent] = {}

        async def published(name: str, stream_id: str, payload: DomainEvent,
                            engagement_id: uuid.UUID | None = None) -> SourceEvent:
            """A source service records the event; the audit receives it as published."""
            event = await feed.record(stream_id, payload, engagement_id=engagement_id)
            kept[name] = SourceEvent.of(await feed.published(event))
            return kept[name]

        async def keep(source: SourceEvent) -> bool:
            async with feed.transaction() as connection:  # as the audit's consumer does
                await views.lock(source.lock_keys(), connection)
                return await views.keep(source, connection)

        order = orders.OrderPlaced(
            order_id=order_a, orderer_id="school-1", orderer_organization_id="school-org", county_service=False,
            task_type=TaskType.lecture, topic="recovery", date=dt.date(2026, 3, 20), duration_hours=Decimal("2"),
            place="Turku", remote=False, experts_wanted=1, fee=FEE)
        await published("organization", "organization-mieli", registry.OrganizationRegistered(
            organization_id="mieli", name="Mieli ry", kind=OrganizationKind.ngo))
        await published("maija trained", "expert-maija", registry.TrainingCompleted(
            expert_id="maija", training="basic", completed_on=dt.date(2025, 11, 1), trained_by="mieli"))
        await published("maija listed", "expert-maija", registry.ExpertListed(
            expert_id="maija", organization_ids=["mieli"], county_trained=False, topics=["recovery"]))
        await published("pekka listed", "expert-pekka", registry.ExpertListed(
            expert_id="pekka", organization_ids=["county"], county_trained=True, topics=["recovery"]))
        await published("order a", f"order-{order_a}", order)
        made = orders.OfferMade(order_id=order_a, offer_id=uuid.uuid4(), expert_id="maija", expires_at=AT)
        await published("offer a", f"order-{order_a}", made)
        await published("accepted a", f"order-{order_a}", orders.OfferAccepted(  # names e1 in its payload only
            order_id=order_a, offer_id=made.offer_id, expert_id="maija", engagement_id=e1))
        opened_e1 = opened(e1, "maija", "school-1", dt.date(2026, 3, 20)).model_copy(update={"order_id": order_a})
        await published("opened e1", f"engagement-{e1}", opened_e1, e1)
        await published("contract e1", f"contract-{e1}", drafted(e1, "maija", "school-1", "orderer"), e1)
        await published("delivered e1", f"engagement-{e1}", orders.DeliveryConfirmed(
            engagement_id=e1, actual_hours=Decimal("2"), kilometres=Decimal("14")), e1)
        await published("feedback e1", f"feedback-{e1}", feedback.FeedbackRequested(
            engagement_id=e1, form=Form.self_assessment, respondent_id="maija"), e1)
        await published("order b", f"order-{order_b}", order.model_copy(update={"order_id": order_b}))
        await published("offer b", f"order-{order_b}", orders.OfferMade(
            order_id=order_b, offer_id=uuid.uuid4(), expert_id="pekka", expires_at=AT))
        await published("offer c", f"order-{order_c}", orders.OfferMade(  # maija again, in another order
            order_id=order_c, offer_id=uuid.uuid4(), expert_id="maija", expires_at=AT))
        opened_e2 = opened(e2, "pekka", "school-1", dt.date(2026, 3, 21)).model_copy(update={"order_id": order_b})
        await published("opened e2", f"engagement-{e2}", opened_e2, e2)

        for source in kept.values():
            assert await keep(source)
        assert not await keep(kept["offer a"])  # delivered again: kept once

        engagement_1 = AuditEngagement.opened_by(kept["opened e1"])
        engagement_2 = AuditEngagement.opened_by(kept["opened e2"])
        assert engagement_1 == AuditEngagement(e1, str(order_a), "maija")
        await feed.within(views.add_engagement, engagement_1, kept["opened e1"].event_id)
        await feed.within(views.add_engagement, engagement_1, kept["opened e1"].event_id)  # once
        await feed.within(views.add_engagement, engagement_2, kept["opened e2"].event_id)

        async def engagements_near(name: str) -> set[AuditEngagement]:
            return as_set(await feed.within(views.engagements_near, kept[name]))

        # Known engagements sharing the event's engagement, order or expert.
        assert await engagements_near("contract e1") == {engagement_1}  # its engagement (and expert)
        assert await engagements_near("order a") == {engagement_1}  # its order
        assert await engagements_near("accepted a") == {engagement_1}  # the engagement its payload names
        assert await engagements_near("maija trained") == {engagement_1}  # its expert
        assert await engagements_near("offer c") == {engagement_1}  # the expert, though another order
        assert await engagements_near("pekka listed") == {engagement_2}
        assert await engagements_near("offer b") == {engagement_2}
        assert await engagements_near("organization") == set()

        def by_id(sources: Iterable[SourceEvent]) -> dict[uuid.UUID, SourceEvent]:
            found = list(sources)
            assert len(found) == len({s.event_id for s in found}), "an event named twice"
            return {s.event_id: s for s in found}

        def named(*names: str) -> dict[uuid.UUID, SourceEvent]:
            return by_id(kept[name] for name in names)

        # Kept events sharing the engagement's id, order or expert, each as it was published.
        assert by_id(await feed.within(views.events_near, engagement_1)) == named(
            "maija trained", "maija listed", "order a", "offer a", "accepted a", "opened e1", "contract e1",
            "delivered e1", "feedback e1", "offer c")
        assert by_id(await feed.within(views.events_near, engagement_2)) == named(
            "pekka listed", "order b", "offer b", "opened e2")
        assert by_id(await feed.within(views.events_near, AuditEngagement(uuid.uuid4(), None, None))) == {}

        async def claim(engagement_id: uuid.UUID, *names: str) -> set[str]:
            """Link the named events into the engagement's trail: the names of those not linked before."""
            claimed = await feed.within(views.claim_links, engagement_id, [kept[name].event_id for name in names])
            name_of = {source.event_id: name for name, source in kept.items()}
            return {name_of[event_id] for event_id in claimed}

        assert await claim(e1, "order a", "offer a") == {"order a", "offer a"}
        assert await claim(e1, "offer a", "opened e1") == {"opened e1"}
        assert await claim(e1, "order a") == set()
        assert await claim(e2, "offer a", "opened e2") == {"offer a", "opened e2"}  # another trail

        per_service = {"contracts": 1, "feedback": 1, "orders": 9, "registry": 4}
        assert await views.counts() == {"source_events": per_service, "trail_entries": 5, "engagements": 2}
        assert await views.counts(e1) == {"source_events": per_service, "trail_entries": 3, "engagements": 1}
        assert await views.counts(uuid.uuid4()) == {"source_events": per_service, "trail_entries": 0, "engagements": 0}

        # Each service's copies, ordered by stream and version.
        for service in ("registry", "orders", "contracts", "feedback"):
            copies = [envelope async for envelope in views.copies(service)]
            expected = sorted((s.envelope for s in kept.values() if s.envelope.service == service),
                              key=lambda e: (e.stream_id, e.version))
            assert [(e.stream_id, e.version) for e in copies] == [(e.stream_id, e.version) for e in expected]
            assert copies == expected
        assert [envelope async for envelope in views.copies("audit")] == []


# -- registry: the bank's profiles, reviews, consents, programmes, who looked at whom, the situation -----------

async def test_registry_profiles_and_the_bank(views_of):
    async with views_of("registry") as feed:
        views = feed.views

        async def by_expert(expert_id: str, payload: DomainEvent) -> RecordedEvent:
            """Recorded with the expert as the actor (what they do themself counts as their recent activity)."""
            store = feed.stores["registry"]
            stream_id = f"expert-{expert_id}"
            async with feed.transaction() as connection:
                version = len(await store.read_stream(stream_id, connection=connection))
                [event] = await store.append(stream_id, version, [
                    NewEvent(payload, Actor(id=expert_id, role=Role.expert), subject_id=expert_id)],
                    connection=connection)
                await views.project(event, connection)
            await asyncio.sleep(0.001)
            return event

        def themes(*pairs: tuple[str, str]) -> str:
            return json.dumps([{"theme": t, "relation": r} for t, r in pairs])

        for organization_id in ("mieli", "other"):
            await feed.follow(f"organization-{organization_id}", registry.OrganizationRegistered(
                organization_id=organization_id, name=organization_id.title(), kind=OrganizationKind.ngo))
        for expert_id, organization_id in (("maija", "mieli"), ("pekka", "mieli"), ("liisa", "other"),
                                           ("aino", "mieli")):
            await feed.follow(f"expert-{expert_id}", registry.ExpertRegistered(
                expert_id=expert_id, organization_id=organization_id, name=expert_id, email=f"{expert_id}@x.fi"))
            await feed.follow(f"expert-{expert_id}", registry.TrainingCompleted(
                expert_id=expert_id, training="basic training", completed_on=dt.date(2026, 1, 5),
                trained_by=organization_id))
        await feed.follow("expert-pekka", registry.TrainingCompleted(
            expert_id="pekka", training="Advocacy", completed_on=dt.date(2026, 2, 5), trained_by="other",
            programme_id="advocacy", kind=registry.TrainingKind.further))
        profiles = {
            "maija": dict(themes=themes(("eating-disorders", "own"), ("depression", "relative")),
                          municipality="Turku", regions=["Varsinais-Suomi"], languages=["fi", "sv"],
                          task_kinds=[registry.TaskKind.talk]),
            "pekka": dict(themes=themes(("eating-disorders", "relative")), municipality="Helsinki",
                          regions=["Uusimaa"], languages=["fi"], task_kinds=[registry.TaskKind.media]),
            "liisa": dict(themes=themes(("substance-use", "own")), regions=[], languages=["fi", "en"]),
        }
        for expert_id in profiles:
            await by_expert(expert_id, registry.ProfileSubmittedForReview(expert_id=expert_id, listing=True))
        assert [item.expert_id for item in await views.profiles_to_review(None)] == ["maija", "pekka", "liisa"]
        assert [item.expert_id for item in await views.profiles_to_review("mieli")] == ["maija", "pekka"]
        for expert_id, fields in profiles.items():
            await feed.follow(f"expert-{expert_id}", registry.ProfileApproved(expert_id=expert_id, **fields))
            organization_ids = ["other"] if expert_id == "liisa" else ["mieli"]
            await feed.follow(f"expert-{expert_id}", registry.ExpertListed(
                expert_id=expert_id, organization_ids=organization_ids, county_trained=False, topics=[],
                languages=fields["languages"], regions=fields["regions"]))
        assert await views.profiles_to_review(None) == []
        await by_expert("pekka", registry.AvailabilityChanged(expert_id="pekka", weekdays=[1, 2, 3, 4, 5], blackouts=[
            registry.BlackoutPeriod(starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2026, 12, 6))]))
        await by_expert("maija", registry.AvailabilityChanged(expert_id="maija", weekdays=[6, 7]))

        async def found(**criteria: Any) -> list[str]:
            return [entry.expert_id for entry in (await views.find_in_bank(BankQuery(**criteria))).entries]

        assert await found() == ["maija", "pekka", "liisa"]  # the recently active first; liisa never was
        assert await found(themes=("eating-disorders", "depression")) == ["maija", "pekka"]
        assert await found(themes=("depression", "substance-use")) == ["maija", "liisa"]
        assert await found(themes=("eating-disorders",), relation="relative") == ["pekka"]
        assert await found(themes=("depression",), relation="own") == []
        assert await found(region="Uusimaa") == ["pekka", "liisa"]
        assert await found(municipality="Turku") == ["maija"]
        assert await found(language="en") == ["liisa"]
        assert await found(organization_id="other") == ["liisa"]
        assert await found(task_kind="media") == ["pekka"]
        assert await found(further_training="advocacy") == ["pekka"]
        assert await found(available_on=dt.date(2026, 12, 2)) == ["liisa"]
        assert await found(available_on=dt.date(2026, 12, 7)) == ["pekka", "liisa"]
        assert await found(themes=("eating-disorders",), region="Varsinais-Suomi", language="sv") == ["maija"]
        page = await views.find_in_bank(BankQuery(offset=1, limit=1))
        assert page.total == 3 and [entry.expert_id for entry in page.entries] == ["pekka"]
        [maija] = (await views.find_in_bank(BankQuery(municipality="Turku"))).entries
        assert (maija.themes_own, maija.themes_relative, maija.regions, maija.languages, maija.task_kinds,
                maija.weekdays, maija.themes_matched, maija.recent_assignments) == (
            ["eating-disorders"], ["depression"], ["Varsinais-Suomi"], ["fi", "sv"], ["talk"], [6, 7], 0, 0)
        assert maija.last_active is not None
        empty = await views.find_in_bank(BankQuery(themes=("nothing",), offset=40))
        assert empty == BankPage(0, [])

        # Unlisted: out of the bank, still an expert of the organization.
        await feed.follow("expert-pekka", registry.ExpertUnlisted(expert_id="pekka", reason="on leave"))
        assert await found() == ["maija", "liisa"]
        await feed.follow("expert-liisa", registry.ExpertLeftOrganization(expert_id="liisa", organization_id="other"))
        assert await views.members("other") == []

        # Consents: due when past their end, or ending within the days and not yet reminded of for that end.
        for expert_id, until in (("maija", dt.date(2026, 12, 10)), ("pekka", dt.date(2027, 6, 1)),
                                 ("liisa", dt.date(2026, 11, 20)), ("aino", None)):
            await by_expert(expert_id, registry.ConsentGiven(expert_id=expert_id, given_on=dt.date(2025, 1, 1),
                                                             valid_until=until))
        today = dt.date(2026, 11, 25)
        assert await views.consents_due(today, 30) == ["liisa", "maija"]
        await feed.follow("expert-maija", registry.ConsentExpiryReminded(expert_id="maija", scope="bank_listing",
                                                                        valid_until=dt.date(2026, 12, 10)))
        await feed.follow("expert-liisa", registry.ConsentExpired(expert_id="liisa", scope="bank_listing",
                                                                 valid_until=dt.date(2026, 11, 20)))
        assert await views.consents_due(today, 30) == []
        assert await views.consents_due(dt.date(2026, 12, 11), 30) == ["maija"]
        await by_expert("maija", registry.ConsentGiven(expert_id="maija", given_on=today,
                                                       valid_until=dt.date(2026, 12, 20)))  # renewed: remind again
        assert await views.consents_due(today, 30) == ["maija"]
        await feed.follow("expert-maija", registry.ConsentWithdrawn(expert_id="maija"))
        assert await views.consents_due(dt.date(2027, 1, 1), 30) == []

        # Programmes and cohorts.
        modules = [registry.TrainingModule(module_id=f"m{n}", name=f"Module {n}") for n in (1, 2, 3)]
        await feed.follow("programme-pilot", registry.TrainingProgrammeDefined(
            programme_id="pilot", name="Pilot", kind=registry.TrainingKind.basic, organization_id="mieli",
            modules=modules))
        await feed.follow("programme-advocacy", registry.TrainingProgrammeDefined(
            programme_id="advocacy", name="Advocacy", kind=registry.TrainingKind.further, organization_id="other",
            modules=modules[:1]))
        assert await views.programmes() == [
            ProgrammeRow("advocacy", "Advocacy", "further", "other", [{"module_id": "m1", "name": "Module 1"}]),
            ProgrammeRow("pilot", "Pilot", "basic", "mieli", [{"module_id": f"m{n}", "name": f"Module {n}"}
                                                              for n in (1, 2, 3)])]
        for cohort_id, starts in (("c-2022", dt.date(2022, 9, 1)), ("c-2024", dt.date(2024, 9, 1)),
                                  ("b-2024", dt.date(2024, 9, 1))):
            await feed.follow(f"cohort-{cohort_id}", registry.CohortOpened(
                cohort_id=cohort_id, programme_id="pilot", organization_id="mieli", starts_on=starts,
                ends_on=starts + dt.timedelta(days=200)))
        for expert_id in ("maija", "pekka"):
            await feed.follow("cohort-c-2022", registry.ParticipantEnrolled(cohort_id="c-2022", expert_id=expert_id))
        assert [(row.cohort_id, row.participants) for row in await views.cohorts("mieli")] == [
            ("b-2024", 0), ("c-2024", 0), ("c-2022", 2)]
        assert await views.cohorts("other") == []

        # Who looked at whom: one row per expert shown, the latest first.
        school = dict(viewer_id="school", viewer_role="orderer", viewer_organization_id="city",
                      purpose=registry.AccessPurpose.finding_an_expert)
        searched = await feed.follow("access-1", registry.BankSearched(**school, expert_ids=["maija", "pekka"]))
        viewed = await feed.follow("access-2", registry.ProfileViewed(**school, expert_id="maija"))
        await feed.follow("access-3", registry.ProfileViewed(
            viewer_id="olli", viewer_role="organization_contact", viewer_organization_id="mieli",
            purpose=registry.AccessPurpose.profile_review, expert_id="pekka"))
        await feed.follow("access-4", registry.BankSearched(**school, expert_ids=[]))
        log = await views.access_log(expert_id="maija")
        assert [(row.kind, row.viewer_id, row.purpose) for row in log] == [
            ("view", "school", "finding_an_expert"), ("search", "school", "finding_an_expert")]
        assert log[0] == AccessRow(viewed.recorded_at, "view", "school", "orderer", "city", "finding_an_expert",
                                   "maija")
        assert [(row.kind, row.expert_id) for row in await views.access_log(viewer_id="school")] == [
            ("view", "maija"), ("search", "maija"), ("search", "pekka")]
        assert len(await views.access_log(limit=2)) == 2
        assert [row.expert_id for row in await views.access_log(since=viewed.recorded_at)] == ["pekka", "maija"]
        assert searched.recorded_at < viewed.recorded_at

        # The situational picture: per organization.
        since = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        picture = {row.organization_id: row for row in await views.situation(None, since)}
        assert picture["mieli"] == SituationRow("mieli", "Mieli", 3, 3, 1, 3, {"depression": 1, "eating-disorders": 1},
                                                {"Varsinais-Suomi": 1}, 3, 3)
        assert picture["other"] == SituationRow("other", "Other", 0, 0, 0, 0, {}, {}, 0, 2)
        assert await views.situation("other", since) == [picture["other"]]
        future = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
        assert (await views.situation("mieli", future))[0].active == 0

        await feed.follow("expert-maija", registry.ExpertErased(expert_id="maija"))
        assert await found() == ["liisa"]
