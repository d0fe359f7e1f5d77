"""What travels on the bus is what the AsyncAPI documents say: after a demo engagement, every event in every
service's stream validates strictly (no field undocumented, formats checked) against the message schema of
its subject in that service's generated document, sealed personal fields included."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import jsonschema
import nats
import pytest
from rich.console import Console

import services
from kokemus.demo import play
from services import SERVICE_NAMES, definitions
from shared.messaging.subjects import stream_name
from shared.runtime.service import ServiceRuntime
from tests.conftest import eventually

pytestmark = pytest.mark.integration


def message_schemas(service: str) -> dict[str, jsonschema.protocols.Validator]:
    """A strict validator per published subject of the service, from its committed AsyncAPI document."""
    document = json.loads((Path(services.__file__).parent / service / "asyncapi.json").read_text())
    validators = {}
    for channel in document["channels"].values():
        if ".events." not in channel["address"]:
            continue
        [reference] = [message["$ref"] for message in channel["messages"].values()]
        message = document["components"]["messages"][reference.rsplit("/", 1)[1]]
        schema = {**message["payload"], "components": document["components"]}
        validator_class = jsonschema.validators.validator_for(schema)
        validators[channel["address"]] = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    return validators


async def published(nc: nats.NATS, service: str) -> list[tuple[str, dict]]:
    js = nc.jetstream()
    info = await js.stream_info(stream_name(service))
    messages = [
        await js.get_msg(stream_name(service), seq) for seq in range(info.state.first_seq, info.state.last_seq + 1)
    ]
    return [(message.subject, json.loads(message.data)) for message in messages]


async def test_every_event_a_demo_publishes_validates_against_its_services_document(environment):
    # The demo signs its people in through the development sign-in, as on the embedded stack.
    runtimes = [ServiceRuntime(definitions()[name], environment.settings(name, development_sign_in=True))
                for name in SERVICE_NAMES]
    await asyncio.gather(*(runtime.start(serve_http=False) for runtime in runtimes))
    nc = await nats.connect(environment.nats_url)
    try:
        await play(environment.nats_url, engagements=1, console=Console(file=io.StringIO()), show_trail=False)

        async def closing_published() -> bool:  # the demo saw the engagement closed; its relay publishes just after
            return any(event["event_type"] == "EngagementClosed" for _, event in await published(nc, "orders"))

        await eventually(closing_published)
        checked: dict[str, set[str]] = {}
        for service in SERVICE_NAMES:
            validators = message_schemas(service)
            for subject, event in await published(nc, service):
                assert subject in validators, f"{subject} is not in services/{service}/asyncapi.json"
                errors = [
                    f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                    for e in validators[subject].iter_errors(event)
                ]
                assert not errors, f"{subject} does not match its document: {errors}"
                checked.setdefault(service, set()).add(event["event_type"])
        # The demo's engagement went through every service, and personal data was among what was checked.
        assert set(checked) == set(SERVICE_NAMES)
        assert {
            "ExpertRegistered",
            "EngagementClosed",
            "FeePaid",
            "FeedbackSubmitted",
            "TrailEntryRecorded",
        } <= set().union(*checked.values())
    finally:
        await nc.close()
        for runtime in reversed(runtimes):
            await runtime.stop()


def test_a_validator_refuses_what_the_document_does_not_allow():
    """The strictness the test above relies on: an extra field, a clear value where a sealed one belongs."""
    validator = message_schemas("registry")["kokemus.registry.events.ExpertRegistered"]
    sealed = {"$encrypted": "AAAA"}
    event = {
        "event_id": "5d0c1e0a-6b6f-4b8e-9d3a-6b6f6e7472a1", "stream_id": "expert-maija", "version": 1,
        "event_type": "ExpertRegistered", "schema_version": 1, "recorded_at": "2026-12-02T10:00:00+00:00",
        "engagement_id": None, "causation_id": None, "correlation_id": None, "subject_id": "maija",
        "actor": {"id": "olli", "role": "organization_contact", "organization_id": "mieli"}, "trace": {},
        "payload": {"expert_id": "maija", "organization_id": "mieli", "name": sealed, "email": sealed,
                    "phone": None, "experience": None},
        "prev_hash": "0" * 64, "hash": "1" * 64, "position": 1, "service": "registry",
    }
    assert validator.is_valid(event)
    assert not validator.is_valid({**event, "extra": 1})
    assert not validator.is_valid({**event, "payload": {**event["payload"], "name": "Maija Meikäläinen"}})
    assert not validator.is_valid({**event, "event_type": "ExpertListed"})
    assert not validator.is_valid({**event, "event_id": "not-a-uuid"})
