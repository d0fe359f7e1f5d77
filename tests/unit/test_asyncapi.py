"""The AsyncAPI documents in the repo are the ones the code generates: a changed subject or message without
a regenerated document (``kokemus asyncapi``) fails here."""

import json

import pytest

from kokemus.documents import asyncapi_documents
from services import SERVICE_NAMES

DOCUMENTS = asyncapi_documents()


@pytest.mark.parametrize("path", sorted(DOCUMENTS), ids=lambda p: p.parent.name)
def test_the_committed_document_is_current(path):
    assert path.exists(), f"{path} is missing: run `kokemus asyncapi`"
    assert path.read_text() == DOCUMENTS[path], f"{path} is stale: run `kokemus asyncapi`"


def test_every_service_documents_its_events_commands_and_consumers():
    for service in SERVICE_NAMES:
        [document] = [text for path, text in DOCUMENTS.items() if path.parent.name == service]
        channels = {channel["address"] for channel in json.loads(document)["channels"].values()}
        assert f"kokemus.{service}.query.verify" in channels
        if service != "audit":
            assert any(address.startswith(f"kokemus.{service}.events.") for address in channels), service
