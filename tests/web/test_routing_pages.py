"""The pages of an order's routes over a fake of the services, in Finnish: the contact person's incoming orders
(proposing experts, declining with a reason shown at the field the service names), the coordinator's form for
taking an order for an orderer, their queue of orders to route and engagements needing attention."""

from __future__ import annotations

from shared.messaging.rpc import RemoteError
from tests.web.fakes import FakeServices, capacity, form_token, sign_in, web_client

ORDER_ID = "7f1c6a53-2f7e-4f5f-9b1e-0c2a8b7d1e02"
FI = {"Accept-Language": "fi"}
ORDER = {
    "order_id": ORDER_ID, "orderer_id": "rehtori", "task_type": "lecture", "topic": "Toipuminen", "date": "2026-03-20",
    "start_time": None, "duration_hours": "2", "place": "Turku", "remote": False, "experts_wanted": 1,
    "cancelled": False, "offers": [], "candidates": {"ranked": [], "answered": [], "waiting": [], "next": [],
                                                     "skipped": [], "none_left": False},
    "route": "organization", "organization_id": "mieli", "taken_by": None, "taken_via": None,
    "awaiting": "organization", "declined_by": [],
}
EXPERTS = [{"expert_id": "aino", "name": "Aino A", "listed": False, "active": True},
           {"expert_id": "ville", "name": "Ville V", "listed": True, "active": False}]


def contact_services(**answers) -> FakeServices:
    return FakeServices(acts=[capacity("organization_contact", "olli", "mieli")], answers={
        "orders.query.list_incoming_orders": [ORDER], "orders.query.get_order": ORDER,
        "registry.query.list_experts": EXPERTS, **answers})


def test_the_contact_person_sees_incoming_orders_and_proposes_experts_in_order_of_preference():
    services = contact_services(**{"orders.cmd.propose_experts": {"order_id": ORDER_ID, "offers": []}})
    with web_client(services) as client:
        sign_in(client, email="olli@mieli.fi")
        listed = client.get("/organization/orders", headers=FI)
        assert "Saapuneet tilaukset" in listed.text and f'href="/organization/orders/{ORDER_ID}"' in listed.text
        assert "Odottaa järjestön ehdotusta asiantuntijoista" in listed.text
        page = client.get(f"/organization/orders/{ORDER_ID}", headers=FI)
        assert "Ehdota asiantuntijoita" in page.text and "Kieltäydy tilauksesta" in page.text
        assert "Aino A" in page.text and "Ville V" not in page.text  # only active members are shown
        done = client.post(f"/organization/orders/{ORDER_ID}/propose", follow_redirects=False, data={
            "csrf_token": form_token(page.text), "candidates": "aino, maija"})
        assert done.status_code == 303 and done.headers["location"] == f"/organization/orders/{ORDER_ID}"
    [body] = [b for s, b, _ in services.asked if s.endswith("propose_experts")]
    assert body == {"order_id": ORDER_ID, "candidates": ["aino", "maija"]}


def test_a_decline_without_a_reason_is_shown_at_the_reason_field():
    def refuse(body):
        raise RemoteError("validation", "reason: field required",
                          [{"field": "reason", "reason": "Field required", "allowed": "a value is required"}])

    services = contact_services(**{"orders.cmd.decline_order": refuse})
    with web_client(services) as client:
        sign_in(client, email="olli@mieli.fi")
        page = client.get(f"/organization/orders/{ORDER_ID}", headers=FI)
        refused = client.post(f"/organization/orders/{ORDER_ID}/decline", headers=FI, data={
            "csrf_token": form_token(page.text), "reason": ""})
    assert refused.status_code == 400
    assert 'id="f-reason-error"' in refused.text and 'aria-invalid="true"' in refused.text
    assert refused.text.count('aria-invalid="true"') == 1  # the propose form above is left alone


def test_the_coordinator_takes_an_order_for_an_orderer_by_phone():
    services = FakeServices(acts=[capacity("coordinator", "anna")], answers={
        "registry.query.list_orderers": [{"orderer_id": "rehtori", "orderer_name": "Turun koulu", "valid": True},
                                         {"orderer_id": "old", "orderer_name": "Vanha", "valid": False}],
        "registry.query.list_organizations": [{"organization_id": "mieli", "name": "Mieli ry", "kind": "ngo"}],
        "orders.cmd.take_order": {"order_id": ORDER_ID, "offers": []}})
    with web_client(services) as client:
        sign_in(client, email="anna@varha.fi")
        page = client.get("/coordinator/orders/new", headers=FI)
        assert "Ota tilaus vastaan tilaajan puolesta" in page.text and "Turun koulu" in page.text
        assert "Vanha" not in page.text  # credentials no longer valid
        taken = client.post("/coordinator/orders/new", follow_redirects=False, data={
            "csrf_token": form_token(page.text), "orderer_id": "rehtori", "taken_via": "phone",
            "task_type": "lecture", "topic": "Toipuminen", "date-day": "20", "date-month": "3", "date-year": "2026",
            "duration_hours": "2", "place": "Turku", "experts_wanted": "1", "fee.mode": "recommended",
            "organization_id": "mieli"})
        assert taken.status_code == 303 and taken.headers["location"] == f"/orders/{ORDER_ID}"
    [body] = [b for s, b, _ in services.asked if s.endswith("take_order")]
    assert (body["orderer_id"], body["taken_via"], body["organization_id"], body["date"]) == (
        "rehtori", "phone", "mieli", "2026-03-20")


def test_the_coordinator_s_queue_shows_orders_to_route_and_engagements_needing_attention():
    queued = {**ORDER, "route": "coordinator", "organization_id": None, "awaiting": "coordinator",
              "taken_by": "anna", "taken_via": "phone", "declined_by": ["mieli"]}
    lapsed = {"engagement_id": "e1", "order_id": ORDER_ID, "offer_id": "o1", "expert_id": "aino",
              "orderer_id": "rehtori", "task_type": "lecture", "date": "2026-03-20", "status": "confirmed",
              "attention": "county_agreement"}
    services = FakeServices(acts=[capacity("coordinator", "anna")], answers={
        "orders.query.list_orders_to_route": [queued], "orders.query.list_engagements_needing_attention": [lapsed],
        "orders.query.list_engagements": [lapsed],
        "orders.query.get_order": queued, "registry.query.list_organizations": [
            {"organization_id": "kuntoutus", "name": "Kuntoutus ry", "kind": "ngo"}]})
    with web_client(services) as client:
        sign_in(client, email="anna@varha.fi")
        page = client.get("/coordinator/orders", headers=FI)
        assert "Ohjattavat tilaukset" in page.text and "Odottaa koordinaattorin ohjausta" in page.text
        assert "Huomiota vaativat toimeksiannot" in page.text and 'href="/engagements/e1"' in page.text
        order = client.get(f"/orders/{ORDER_ID}", headers=FI)
        every = client.get("/coordinator/engagements", headers=FI)
    assert 'href="/engagements/e1"' in every.text
    assert "Ohjaa tilaus" in order.text and "Kuntoutus ry" in order.text and "puhelimitse" in order.text
    assert "Kieltäytyneet" in order.text
