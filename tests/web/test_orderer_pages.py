"""The orderer's order pages over a fake of the services: an order placed with its start time and its candidates in
order of preference, and the order page showing each candidate's turn."""

from __future__ import annotations

from tests.web.fakes import FakeServices, capacity, form_token, sign_in, web_client

ORDER_ID = "7f1c6a53-2f7e-4f5f-9b1e-0c2a8b7d1e01"
ORDER = {
    "order_id": ORDER_ID, "orderer_id": "rehtori", "task_type": "lecture", "topic": "Toipuminen", "date": "2026-03-20",
    "start_time": "10:00:00", "duration_hours": "2", "place": "Turku", "remote": False, "experts_wanted": 1,
    "cancelled": False, "route": "bank", "organization_id": None, "taken_by": None, "taken_via": None,
    "awaiting": None, "declined_by": [], "offers": [
        {"offer_id": "o1", "expert_id": "maija", "status": "declined", "engagement_id": None, "rank": 1},
        {"offer_id": "o2", "expert_id": "pekka", "status": "open", "engagement_id": None, "rank": 3}],
    "candidates": {"ranked": ["maija", "liisa", "pekka", "aino"],
                   "answered": [{"expert_id": "maija", "answer": "declined"}],
                   "waiting": [{"expert_id": "pekka", "expires_at": "2026-03-09T09:00:00Z"}],
                   "next": ["aino"], "skipped": [{"expert_id": "liisa", "reason": "double_booked"}],
                   "none_left": False},
}


def test_an_order_is_placed_with_its_start_time_and_candidates_in_order_of_preference():
    services = FakeServices(acts=[capacity("orderer", "rehtori")],
                            answers={"orders.cmd.place_order": {"order_id": ORDER_ID, "offers": []}})
    with web_client(services) as client:
        sign_in(client, email="rehtori@turku.fi")
        page = client.get("/orderer/orders/new")
        assert 'id="f-start-time"' in page.text and 'id="f-candidates"' in page.text
        placed = client.post("/orderer/orders/new", follow_redirects=False, data={
            "csrf_token": form_token(page.text), "task_type": "lecture", "topic": "Toipuminen", "date-day": "20",
            "date-month": "3", "date-year": "2026", "start_time": "10:00", "duration_hours": "2", "place": "Turku",
            "experts_wanted": "1", "fee.mode": "recommended", "candidates": "maija, liisa ,pekka"})
        assert placed.status_code == 303 and placed.headers["location"] == f"/orders/{ORDER_ID}"
    [body] = [b for s, b, _ in services.asked if s.endswith("place_order")]
    assert (body["start_time"], body["candidates"]) == ("10:00", ["maija", "liisa", "pekka"])


def test_the_order_page_shows_each_candidate_s_turn():
    services = FakeServices(acts=[capacity("orderer", "rehtori")], answers={
        "orders.query.get_order": ORDER, "registry.query.search_bank": []})
    with web_client(services) as client:
        sign_in(client, email="rehtori@turku.fi")
        page = client.get(f"/orders/{ORDER_ID}", headers={"Accept-Language": "fi"})
    assert page.status_code == 200
    assert "Ehdokkaat toivejärjestyksessä" in page.text and "10:00" in page.text
    rows = page.text.split("Ehdokkaat toivejärjestyksessä", 2)[2]
    order = [rows.index(text) for text in ("maija", "Ohitettu: jo toimeksiannossa samaan aikaan", "pekka",
                                           "Seuraavana vuorossa")]
    assert order == sorted(order)
