"""The views contract for notifications: the engagements' parties, the sending queue, the undelivered list."""

from __future__ import annotations

import datetime as dt
import uuid

from services.notifications import events as ev
from services.notifications.domain.notification import Status
from services.notifications.events import Channel, MessageKind
from services.notifications.views import Credentials, OpenOffer, Parties
from tests.contract.feed import ids, in_postgres

T0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


def queued(notification_id: uuid.UUID, person_id: str, minutes: int) -> ev.NotificationQueued:
    return ev.NotificationQueued(notification_id=notification_id, person_id=person_id, kind=MessageKind.offer_made,
                                 path="/expert/offers", source_event_id=uuid.uuid4(),
                                 queued_at=T0 + dt.timedelta(minutes=minutes))


async def test_notifications(views_of):
    async with views_of("notifications") as feed:
        views = feed.views
        e1, e2 = ids(2)
        await feed.within(views.remember_parties, e1, Parties("maija", "school"))
        await feed.within(views.remember_parties, e1, Parties("maija", "clinic"))  # drafted again: the latest
        assert await views.parties(e1) == Parties("maija", "clinic")
        assert await feed.within(views.parties, e1) == Parties("maija", "clinic")
        assert await views.parties(e2) is None

        # Three messages queued a minute apart; the latest waits longest once the earlier ones are handled.
        n1, n2, n3 = ids(3)
        for n, person, minutes in ((n3, "maija", 0), (n1, "pekka", 1), (n2, "maija", 2)):
            await feed.follow(f"notification-{n}", queued(n, person, minutes))
        assert await views.due(T0 - dt.timedelta(seconds=1)) == []
        assert await views.due(T0 + dt.timedelta(minutes=5)) == [n3, n1, n2]  # by when due, not by id
        assert await views.due(T0 + dt.timedelta(minutes=5), limit=2) == [n3, n1]
        assert await feed.within(views.claim, n1, T0 + dt.timedelta(minutes=1))
        assert not await feed.within(views.claim, n2, T0 + dt.timedelta(minutes=1))  # not due yet

        # n3 sent; n1 failed for now, due again in an hour; n2 bounced.
        await feed.follow(f"notification-{n3}", ev.NotificationSent(notification_id=n3, channel=Channel.email,
                                                                    attempt=1, sent_at=T0))
        await feed.follow(f"notification-{n1}", ev.NotificationFailed(
            notification_id=n1, channel=Channel.sms, attempt=1, reason="SMS gateway HTTP 503",
            retry_at=T0 + dt.timedelta(hours=1)))
        await feed.follow(f"notification-{n2}", ev.NotificationBounced(
            notification_id=n2, person_id="maija", channel=Channel.email, attempt=1,
            reason="SMTP 550 recipient refused"))
        assert await views.due(T0 + dt.timedelta(minutes=30)) == []
        assert await views.due(T0 + dt.timedelta(hours=2)) == [n1]
        assert not await feed.within(views.claim, n3, T0 + dt.timedelta(hours=2))  # sent: never again
        assert await feed.within(views.claim, n1, T0 + dt.timedelta(hours=2))

        [bounced] = await views.undelivered("maija", 10)
        assert (bounced.notification_id, bounced.status, bounced.attempts, bounced.reason) == (
            n2, Status.bounced, 1, "SMTP 550 recipient refused")
        assert [row.notification_id for row in await views.undelivered(None, 10)] == [n2]
        assert await views.undelivered("pekka", 10) == []

        # Offers not yet answered: those expiring within the window, the soonest first, each until reminded.
        o1, o2, o3 = ids(3)
        for offer_id, expert, hours in ((o1, "maija", 30), (o2, "pekka", 20), (o3, "maija", 10)):
            await feed.within(views.remember_offer, OpenOffer(offer_id, expert, T0 + dt.timedelta(hours=hours),
                                                              uuid.uuid4(), uuid.uuid4()))
        window = T0 + dt.timedelta(hours=24)
        assert [o.offer_id for o in await views.offers_expiring(T0, window)] == [o3, o2]
        assert [o.offer_id for o in await views.offers_expiring(T0 + dt.timedelta(hours=15), window)] == [o2]
        await feed.within(views.offer_reminded, o3)
        await feed.within(views.close_offer, o2, "pekka", uuid.uuid4())
        assert await views.offers_expiring(T0, window) == []
        [later] = await views.offers_expiring(T0, T0 + dt.timedelta(hours=48))
        assert (later.offer_id, later.expert_id) == (o1, "maija")


        # What an order's change concerns: its engagements not cancelled, its offers not yet answered.
        order, other = ids(2)
        e3, e4, e5 = ids(3)
        for engagement_id, expert, order_id in ((e3, "maija", order), (e4, "liisa", order), (e5, "pekka", other)):
            await feed.within(views.remember_parties, engagement_id, Parties(expert, "school", order_id))
        await feed.within(views.remember_parties, e3, Parties("maija", "school"))  # contracts' copy: no order
        assert await views.parties(e3) == Parties("maija", "school", order)
        await feed.within(views.mark_cancelled, e4)
        assert await feed.within(views.engagements_of_order, order) == [(e3, "maija")]
        o4, o5 = ids(2)
        for offer_id, order_id in ((o4, order), (o5, other)):
            await feed.within(views.remember_offer, OpenOffer(offer_id, "aino", T0 + dt.timedelta(days=3),
                                                              uuid.uuid4(), order_id))
        assert [o.offer_id for o in await feed.within(views.open_offers_of_order, order)] == [o4]
        await feed.within(views.close_offer, o4, "aino", order)
        assert await feed.within(views.open_offers_of_order, order) == []
        # Answered before it was kept (one batch handled at once): it stays closed.
        [o6] = ids(1)
        await feed.within(views.close_offer, o6, "aino", order)
        await feed.within(views.remember_offer, OpenOffer(o6, "aino", T0 + dt.timedelta(hours=2), uuid.uuid4(), order))
        assert await feed.within(views.open_offers_of_order, order) == []
        assert await views.offers_expiring(T0, window) == []


        # Who placed each order.
        await feed.within(views.remember_order, order, "school")
        await feed.within(views.remember_order, order, "school")  # handled again
        assert await feed.within(views.orderer_of, order) == "school"
        assert await feed.within(views.orderer_of, other) is None

        # Orderers' credentials: those ending within the window, the soonest first, once per end date; each
        # row follows the latest version of the orderer's stream, whatever order the events were handled in.
        today = T0.date()
        for orderer, days in (("school", 10), ("clinic", 3), ("later", 40)):
            await feed.within(views.remember_credentials, Credentials(orderer, today + dt.timedelta(days=days),
                                                                      uuid.uuid4()), 1)
        await feed.within(views.remember_credentials, Credentials("endless", None, uuid.uuid4()), 1)
        window = today + dt.timedelta(days=14)
        assert [c.orderer_id for c in await views.credentials_expiring(today, window)] == ["clinic", "school"]
        assert [c.orderer_id for c in await views.credentials_expiring(today + dt.timedelta(days=4), window)] == [
            "school"]
        await feed.within(views.credentials_reminded, "clinic")
        await feed.within(views.credentials_reminded, "school")
        same = Credentials("school", today + dt.timedelta(days=10), uuid.uuid4())
        await feed.within(views.remember_credentials, same, 2)  # granted again, the same end: still reminded
        assert await views.credentials_expiring(today, window) == []
        moved = Credentials("school", today + dt.timedelta(days=12), uuid.uuid4())
        await feed.within(views.remember_credentials, moved, 3)  # a new end date: reminded of anew
        assert await views.credentials_expiring(today, window) == [moved]
        await feed.within(views.revoke_credentials, "school", 5)
        await feed.within(views.remember_credentials, moved, 4)  # an older grant, handled after the revocation
        assert [c.orderer_id for c in await views.credentials_expiring(today, today + dt.timedelta(days=60))] == [
            "later"]


async def test_a_message_one_replica_sends_is_skipped_by_another(servers):
    # PostgreSQL only: in memory there is one process, and nothing to hold.
    async with in_postgres(servers, "notifications") as feed:
        [n] = ids(1)
        await feed.follow(f"notification-{n}", queued(n, "maija", 0))
        async with feed.transaction() as sending:
            assert await feed.views.claim(n, T0, sending)
            async with feed.transaction() as other:
                assert not await feed.views.claim(n, T0, other)
        assert await feed.within(feed.views.claim, n, T0)  # let go (here: unsent), it is there to take again
