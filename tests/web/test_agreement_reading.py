"""The organization agreement's pages without a browser (the services faked): a contact person of another
organization is refused before anything is asked; a stale signature sends the signer back to read the version to
sign; the reader's language picks the document's."""

from __future__ import annotations

from shared.messaging.rpc import RemoteError
from tests.web.fakes import FakeServices, capacity, form_token, sign_in, web_client

DOCUMENT = "/agreements/mieli/a-1"
AGREEMENT = {"agreement_id": "a-1", "status": "to_sign", "valid_from": None, "valid_until": None, "ended_on": None,
             "end_reason": None, "versions": [{"version": 1, "signatures": {}}]}


def document(body):
    return {"organization_id": "mieli", "organization_name": "Mieli ry", "version": 1, "current_version": 1,
            "language": body["language"], "sha256": "a" * 64, "to_sign": True, "agreement": AGREEMENT,
            "html": f'<article lang="{body["language"]}"><h1>Sopimus</h1></article>'}


def test_a_contact_person_of_another_organization_is_refused_without_asking():
    fake = FakeServices(acts=[capacity("organization_contact", "ulla", "other")])
    with web_client(fake) as client:
        sign_in(client, email="ulla@other.fi")
        assert client.get(DOCUMENT).status_code == 403
        assert client.get(DOCUMENT + "/agreement.pdf").status_code == 403
    assert not [s for s, _, _ in fake.asked if "agreement" in s]


def test_a_stale_signature_sends_the_signer_back_to_read_and_the_language_picks_the_document():
    def stale(body):
        raise RemoteError("conflict", "the document signed is stale or altered")
    fake = FakeServices(acts=[capacity("organization_contact", "olli", "mieli")], answers={
        "registry.query.organization_agreement": document, "registry.cmd.sign_organization_agreement": stale})
    with web_client(fake) as client:
        sign_in(client, email="olli@mieli.fi")
        page = client.get(DOCUMENT, headers={"Accept-Language": "sv"})
        assert page.status_code == 200 and '<article lang="sv">' in page.text
        assert 'name="document_hash" value="' + "a" * 64 in page.text
        sent = client.post(DOCUMENT + "/sign", data={"csrf_token": form_token(page.text), "document_hash": "a" * 64},
                           follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"].endswith(DOCUMENT)
    assert [b for s, b, _ in fake.asked if s.endswith("sign_organization_agreement")] == [
        {"organization_id": "mieli", "agreement_id": "a-1", "document_hash": "a" * 64}]
    assert [b["language"] for s, b, _ in fake.asked if s.endswith("query.organization_agreement")] == ["sv"]
