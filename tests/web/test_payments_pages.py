"""The coordinator's payment batch page, without a browser (the services faked): the batch for the payment day
asked, each part's tax character in Finnish, the Incomes Register's deadline and its flag when passed, the CSV
download for payroll, and recording the batch paid with the listed batch's id and day."""

from __future__ import annotations

from tests.web.fakes import FakeServices, capacity, form_token, sign_in, web_client

CSV = "batch_id,payment_day,amount\r\nbatch-0123456789abcdef,2026-04-10,106.25\r\n"
BATCH = {
    "batch_id": "batch-0123456789abcdef", "paid_on": "2026-04-10", "report_by": "2026-04-15",
    "report_overdue": False, "total": "133.55", "csv": CSV, "filename": "batch-0123456789abcdef.csv",
    "payments": [{
        "engagement_id": "7d1f0c7e-0000-4000-8000-000000000001", "contract_id": "c", "expert_id": "maija",
        "orderer_id": "turun-koulu", "task_date": "2026-04-01", "total": "133.55", "taxable": "106.25",
        "tax_free": "27.30",
        "parts": [
            {"item": "fee", "kind": "fee", "amount": "106.25", "taxable": True, "character": "fee_income"},
            {"item": "delivery_mileage", "kind": "car", "amount": "20.90", "taxable": False,
             "character": "tax_free_allowance"},
            {"item": "line-2", "kind": "parking", "amount": "6.40", "taxable": False,
             "character": "cost_reimbursement"},
        ]}],
}


def services(**batch_changes):
    def batch(body):
        return {**BATCH, **batch_changes, "paid_on": body.get("paid_on", BATCH["paid_on"])}
    return FakeServices(answers={"contracts.query.payment_batch": batch, "contracts.query.list_contracts": [],
                                 "contracts.cmd.record_payment_batch": {"batch_id": BATCH["batch_id"]}})


def test_the_batch_shows_each_part_with_its_tax_character_and_the_reporting_deadline():
    fake = services()
    with web_client(fake) as client:
        sign_in(client, staff_role="coordinator")
        page = client.get("/coordinator/payments?paid_on-day=10&paid_on-month=4&paid_on-year=2026")
        assert page.status_code == 200
        text = page.text.replace("\xa0", " ")
        for shown in ("106,25 €", "27,30 €", "133,55 €", "15.4.2026", "Palkkiotulo", "Verovapaa kulukorvaus",
                      "Kulurivi 2: Pysäköinti", "Verovapaa matkakustannusten korvaus"):
            assert shown in text, shown
        assert "Määräaika ohi" not in text
        assert [b for s, b, _ in fake.asked if s.endswith("payment_batch")][-1] == {"paid_on": "2026-04-10"}


def test_a_payment_day_past_the_deadline_is_flagged():
    with web_client(services(report_overdue=True, report_by="2026-04-09")) as client:
        sign_in(client, staff_role="coordinator")
        page = client.get("/coordinator/payments?paid_on-day=4&paid_on-month=4&paid_on-year=2026")
        assert "Määräaika ohi: ilmoita heti" in page.text


def test_the_csv_downloads_for_payroll_and_the_batch_is_recorded_paid_by_its_id_and_day():
    fake = services()
    with web_client(fake) as client:
        sign_in(client, staff_role="coordinator")
        page = client.get("/coordinator/payments?paid_on-day=10&paid_on-month=4&paid_on-year=2026")
        download = client.get("/coordinator/payments/batch.csv?paid_on-day=10&paid_on-month=4&paid_on-year=2026")
        assert download.headers["content-type"].startswith("text/csv")
        assert 'filename="batch-0123456789abcdef.csv"' in download.headers["content-disposition"]
        assert download.text == CSV
        recorded = client.post("/coordinator/payments/record", data={
            "csrf_token": form_token(page.text), "batch_id": BATCH["batch_id"], "paid_on": "2026-04-10"},
            follow_redirects=False)
        assert recorded.status_code == 303
        assert [b for s, b, _ in fake.asked if s.endswith("record_payment_batch")] == [
            {"batch_id": BATCH["batch_id"], "paid_on": "2026-04-10"}]


def test_the_batch_page_is_the_coordinators_alone():
    fake = services()
    fake.acts = [capacity("expert", "maija")]
    with web_client(fake) as client:
        sign_in(client, email="maija@example.org")
        assert client.get("/coordinator/payments").status_code == 403
        assert client.get("/coordinator/payments/batch.csv").status_code == 403
    assert not [s for s, *_ in fake.asked if "payment_batch" in s]


def test_a_batch_for_a_day_still_to_come_is_not_offered_for_recording():
    with web_client(services()) as client:
        sign_in(client, staff_role="coordinator")
        page = client.get("/coordinator/payments?paid_on-day=1&paid_on-month=1&paid_on-year=2099")
        assert "/coordinator/payments/record" not in page.text and "maksupäivänä tai sen jälkeen" in page.text
