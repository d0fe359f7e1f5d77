"""The web's own guarantees, without a browser: the form token on every form, the security headers, the
cookie's flags and sealing, sessions that end, the language, and each service error next to its field."""

from __future__ import annotations

import re

from cryptography.fernet import Fernet

from services.registry.domain import Profile
from services.web.cookies import SESSION_COOKIE
from shared.messaging.rpc import RemoteError
from tests.web.fakes import FakeServices, capacity, form_token, sign_in, web_client


def test_a_form_without_the_sessions_token_is_refused_and_sends_nothing():
    services = FakeServices(answers={"registry.cmd.register_organization": {"organization_id": "x"}})
    with web_client(services) as client:
        assert sign_in(client, staff_role="coordinator").status_code == 303
        page = client.get("/coordinator/organizations/new")
        body = {"organization_id": "x", "name": "X", "kind": "ngo"}
        for token in (None, "forged", form_token(page.text)[:-2] + "xx"):
            refused = client.post("/coordinator/organizations/new", data={**body, **({"csrf_token": token} if token
                                                                                     else {})})
            assert refused.status_code == 403
        from_elsewhere = client.post("/coordinator/organizations/new", headers={"Origin": "https://evil.example"},
                                     data={**body, "csrf_token": form_token(page.text)})
        assert from_elsewhere.status_code == 403
        assert not [s for s, *_ in services.asked if "register_organization" in s]
        accepted = client.post("/coordinator/organizations/new", data={**body, "csrf_token": form_token(page.text)},
                               follow_redirects=False)
        assert accepted.status_code == 303
        assert [b for s, b, _ in services.asked if "register_organization" in s] == [body]


def test_every_answer_carries_a_strict_content_security_policy_and_the_other_headers():
    with web_client(FakeServices()) as client:
        for path in ("/sign-in", "/sign-in/development", "/static/style.css", "/nowhere"):
            headers = client.get(path).headers
            policy = headers["content-security-policy"]
            assert "default-src 'none'" in policy and "script-src 'none'" in policy and "style-src 'self'" in policy
            assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
            assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert client.get("/sign-in").headers["cache-control"] == "no-store"
        page = client.get("/sign-in/development").text
        assert "<script" not in page and "style=" not in page  # nothing inline that the policy would block


def test_the_session_cookie_is_sealed_http_only_same_site_and_secure_off_the_loopback():
    with web_client(FakeServices()) as client:
        cookie = sign_in(client, staff_role="coordinator").headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # plain http on 127.0.0.1: the embedded stack
        sealed = cookie.split(";")[0].split("=", 1)[1]
        assert "s" * 43 not in sealed and "coordinator" not in sealed  # the identity session is unreadable
    with web_client(FakeServices(), web_public_url="https://kokemus.example.fi") as client:
        cookie = sign_in(client, staff_role="coordinator").headers["set-cookie"]
        assert "; Secure" in cookie and "HttpOnly" in cookie


def test_a_cookie_sealed_with_another_key_or_too_old_signs_nobody_in():
    services = FakeServices()
    with web_client(services) as client:
        sign_in(client, staff_role="coordinator")
        assert client.get("/coordinator", follow_redirects=False).status_code == 200
        forged = Fernet(Fernet.generate_key()).encrypt(b'{"identity": "x", "act": null}').decode()
        client.cookies.clear()  # the browser sends only the forged cookie
        client.cookies.set(SESSION_COOKIE, forged)
        assert client.get("/coordinator", follow_redirects=False).headers["location"] == "/sign-in"
    with web_client(services, web_session_hours=1 / 3600) as client:
        sign_in(client, staff_role="coordinator")
        import time

        time.sleep(2.1)
        assert client.get("/coordinator", follow_redirects=False).headers["location"] == "/sign-in"


def test_signing_out_ends_the_session_and_everywhere_asks_the_identity_service_so():
    services = FakeServices()
    with web_client(services) as client:
        sign_in(client, staff_role="coordinator")
        page = client.get("/sign-out")
        assert page.status_code == 200 and 'name="everywhere" value="yes"' in page.text
        out = client.post("/sign-out", data={"csrf_token": form_token(page.text), "everywhere": "yes"},
                          follow_redirects=False)
        assert out.headers["location"] == "/sign-in"
        assert [b for s, b, _ in services.asked if s.endswith("sign_out")] == [{"session": "s" * 43,
                                                                              "everywhere": True}]
        assert client.get("/coordinator", follow_redirects=False).headers["location"] == "/sign-in"


def test_the_language_is_the_persons_choice_remembered_else_the_browsers_else_finnish():
    with web_client(FakeServices()) as client:
        assert '<html lang="fi">' in client.get("/sign-in").text
        assert '<html lang="sv">' in client.get("/sign-in", headers={"Accept-Language": "sv-FI,sv;q=0.9"}).text
        page = client.get("/sign-in")
        chosen = client.post("/language", data={"csrf_token": form_token(page.text), "lang": "en",
                                                "next": "/sign-in/development"}, follow_redirects=False)
        assert chosen.headers["location"] == "/sign-in/development"
        assert "kokemus_lang=en" in chosen.headers["set-cookie"] and "HttpOnly" in chosen.headers["set-cookie"]
        english = client.get("/sign-in/development", headers={"Accept-Language": "sv"}).text
        assert '<html lang="en">' in english and "Development sign-in" in english
        elsewhere = client.post("/language", data={"csrf_token": form_token(page.text), "lang": "fi",
                                                   "next": "//evil.example/"}, follow_redirects=False)
        assert elsewhere.headers["location"] == "/"  # only back to a page of ours


def test_a_date_is_typed_as_day_month_and_year_and_sent_as_iso():
    from services.web.forms import Field, Form

    form = Form(fields=(Field("valid_from", "Valid from", kind="date"), Field("paid_on", "Paid", kind="date",
                                                                                required=False)), submit="Send")
    assert form.body({"valid_from-day": "5", "valid_from-month": "3", "valid_from-year": "2026"}) == \
        {"valid_from": "2026-03-05"}
    assert form.body({"valid_from-day": "31", "valid_from-month": "2", "valid_from-year": "26"}) == \
        {"valid_from": "26-2-31"}  # not a date: the service names the field, and the page shows it there


def test_dates_and_euros_the_finnish_and_swedish_way():
    from services.web import i18n

    for language, day, money in (("fi", "20.3.2026", "1 234,50 €"), ("sv", "20.3.2026", "1 234,50 €"),
                                 ("en", "20 Mar 2026", "€1,234.50")):
        i18n.activate(language)
        assert i18n.date("2026-03-20") == day
        assert i18n.euros("1234.5").replace("\xa0", " ").replace("\u202f", " ") == money


def test_a_services_errors_show_next_to_their_fields_in_the_persons_language_with_a_linked_summary():
    def refuse(body):
        raise RemoteError("validation", "invalid request", [
            {"field": "email", "reason": "value is not a valid email address: An email address must have an @-sign.",
             "allowed": None},
            {"field": "orderer_name", "reason": "Field required", "allowed": "a value is required"},
            {"field": "valid_until", "reason": "is in the past", "allowed": "a date on or after 2026-12-02"},
            {"field": "somewhere_else", "reason": "odd", "allowed": None}])

    services = FakeServices(answers={"registry.cmd.grant_credentials": refuse})
    with web_client(services) as client:
        sign_in(client, staff_role="coordinator")
        page = client.get("/coordinator/orderers/new")
        answer = client.post("/coordinator/orderers/new", data={"csrf_token": form_token(page.text),
                                                                 "orderer_id": "koulu", "email": "rehtori"})
        html = answer.text
        assert answer.status_code == 400 and "<title>Virhe:" in html
        summary = html[html.index('class="error-summary"'):html.index("</div>", html.index('class="error-summary"'))]
        for field_id in ("f-email", "f-orderer-name", "f-valid-until"):
            assert f'href="#{field_id}"' in summary
            assert f'id="{field_id}-error"' in html
        for field_id in ("f-email", "f-orderer-name"):
            assert re.search(rf'id="{field_id}"[^>]*aria-describedby="[^"]*{field_id}-error"', html, re.S)
        # a date is a group of three fields: the group is described by the error, each field marked invalid
        assert re.search(r'<fieldset[^>]*role="group"[^>]*aria-describedby="[^"]*f-valid-until-error"', html)
        assert re.search(r'id="f-valid-until"[^>]*aria-invalid="true"', html, re.S)
        assert "Anna sähköpostiosoite oikeassa muodossa" in html and "Anna tämä tieto." in html
        assert "Sallittu: a date on or after 2026-12-02." in html and "is in the past" in html  # the service's reason
        assert "odd" in summary  # a field the form does not have: in the summary, unlinked
        assert 'value="rehtori"' in html  # what the person typed stays


def test_a_person_with_several_roles_switches_between_them():
    services = FakeServices(acts=[capacity("expert", "olli"), capacity("organization_contact", "olli", "mieli")],
                            answers={"registry.query.get_expert": {"expert_id": "olli", "name": "Olli",
                                                                   "listed": False, "erased": False,
                                                                   "organization_ids": ["mieli"], "email": "o@x.fi",
                                                                   "phone": None, "experience": None,
                                                                   "trainings": [], "consented": False,
                                                                   "active": True, "county_trained": False,
                                                                   "training_records": [], "consents": [],
                                                                   "memberships_offered": [],
                                                                   "profile": Profile().as_dict(),  # an empty draft
                                                                   "published": None, "listing_problems": [],
                                                                   "review": {"state": "draft",
                                                                              "listing_requested": False,
                                                                              "returned_reason": None},
                                                                   "availability": {"weekdays": [],
                                                                                    "blackouts": []}}})
    with web_client(services) as client:
        assert sign_in(client, email="olli@mieli.fi").headers["location"] == "/expert"
        page = client.get("/expert")
        assert 'id="role-choice"' in page.text and page.text.count("<option") == 2
        switched = client.post("/role", data={"csrf_token": form_token(page.text), "act": "1"},
                               follow_redirects=False)
        assert switched.headers["location"] == "/organization"
        assert client.get("/expert").status_code == 403  # now a contact person: the expert's page is not theirs
        assert services.asked[-1][0].endswith("identity.query.token")
        assert services.asked[-1][1]["act_as"] == {"role": "organization_contact", "id": "olli",
                                                   "organization_id": "mieli"}


def test_an_expert_declines_with_a_reason_and_a_missing_reason_is_shown_at_its_field():
    order_id, offer_id = "7f1c6a53-2f7e-4f5f-9b1e-0c2a8b7d1e01", "0a9c7e4d-6b1f-4c3e-8d2a-5f6e7a8b9c0d"

    def decline(body):
        if "reason" not in body:
            raise RemoteError("validation", "invalid request: reason: Field required",
                              [{"field": "reason", "reason": "Field required", "allowed": "a value is required"}])
        return {"status": "declined"}

    services = FakeServices(acts=[capacity("expert", "maija")], answers={"orders.cmd.decline_offer": decline})
    path = f"/expert/offers/{order_id}/{offer_id}/decline"
    with web_client(services, web_public_url="https://kokemus.example.fi") as client:
        sign_in(client, email="maija@example.org")
        page = client.get(path, headers={"Accept-Language": "sv"})
        assert page.status_code == 200 and "Tacka nej till erbjudandet" in page.text
        missing = client.post(path, data={"csrf_token": form_token(page.text)}, headers={"Accept-Language": "sv"})
        assert missing.status_code == 400 and 'id="f-reason-error"' in missing.text
        assert "Fyll i den här uppgiften." in missing.text
        done = client.post(path, data={"csrf_token": form_token(page.text), "reason": "Sairausloma"},
                           follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/expert/offers"
        assert [b for s, b, _ in services.asked if s.endswith("decline_offer")][-1] == {
            "reason": "Sairausloma", "order_id": order_id, "offer_id": offer_id}


def test_a_page_that_fails_says_so_in_the_persons_language_and_shows_nothing_of_the_failure():
    def broken(body):
        raise KeyError("maija@example.org")

    services = FakeServices(answers={"registry.query.list_organizations": broken})
    with web_client(services, raise_server_exceptions=False) as client:
        sign_in(client, staff_role="coordinator")
        failed = client.get("/coordinator")
        assert failed.status_code == 500 and "Jokin meni vikaan" in failed.text
        assert "maija@example.org" not in failed.text and "Traceback" not in failed.text
