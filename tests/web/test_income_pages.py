"""The expert's own income limit through the web, without a browser (the services faked): the year's fees
against it, setting and removing it as oneself, and the coordinator's batch flagging a payment past it."""

from __future__ import annotations

from tests.web.fakes import FakeServices, capacity, form_token, sign_in, web_client
from tests.web.test_payments_pages import BATCH

SUMMARY = {"expert_id": "maija", "year": 2026, "annual_limit": "300.00", "monthly_limit": None, "fees_paid": "240.00",
           "fees_approved_unpaid": "100.00", "left": "60.00", "passed": False, "would_pass": True}


def test_the_expert_sees_the_years_fees_against_her_limit_and_sets_and_removes_it():
    fake = FakeServices(acts=[capacity("expert", "maija")], answers={
        "contracts.query.income_summary": SUMMARY, "contracts.cmd.set_income_limit": {"income_limit_set": True},
        "contracts.cmd.clear_income_limit": {"income_limit_set": False}})
    with web_client(fake) as client:
        sign_in(client, email="maija@example.org")
        page = client.get("/expert/income-limit")
        text = page.text.replace("\xa0", " ")
        for shown in ("Tulorajani", "300,00 €", "240,00 €", "100,00 €", "60,00 €", "ylittäisivät rajasi"):
            assert shown in text, shown
        saved = client.post("/expert/income-limit", data={"csrf_token": form_token(page.text),
                                                          "annual_limit": "450"}, follow_redirects=False)
        removed = client.post("/expert/income-limit/clear", data={"csrf_token": form_token(page.text)},
                              follow_redirects=False)
        assert (saved.status_code, removed.status_code) == (303, 303)
    sent = [(s.removeprefix("kokemus."), b) for s, b, _ in fake.asked if "income_limit" in s]
    assert sent == [("contracts.cmd.set_income_limit", {"annual_limit": "450", "expert_id": "maija"}),
                    ("contracts.cmd.clear_income_limit", {"expert_id": "maija"})]


def test_the_coordinators_batch_flags_a_payment_past_the_experts_limit():
    batch = {**BATCH, "payments": [{**BATCH["payments"][0], "income_limit_warning": True}]}
    with web_client(FakeServices(answers={"contracts.query.payment_batch": batch,
                                          "contracts.query.list_contracts": []})) as client:
        sign_in(client, staff_role="coordinator")
        assert "Ylittää asiantuntijan tulorajan" in client.get("/coordinator/payments").text


def test_the_income_limit_page_is_the_experts():
    fake = FakeServices(acts=[capacity("orderer", "school-1")], answers={"contracts.query.income_summary": SUMMARY})
    with web_client(fake) as client:
        sign_in(client, email="school@example.org")
        assert client.get("/expert/income-limit").status_code == 403
    assert not [s for s, *_ in fake.asked if "income" in s]
