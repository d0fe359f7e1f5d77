"""Generated documents: each service's AsyncAPI document, made from the code that serves it."""

from __future__ import annotations

import json
from pathlib import Path

from faststream.specification import AsyncAPI

import services
from services import definitions
from shared.identity import generate_signing_key, publish
from shared.runtime.service import wire_offline
from shared.settings import Settings


def asyncapi_document(name: str) -> str:
    definition = definitions()[name]
    # Fixed settings, so the document does not depend on the environment it is generated in.
    key = generate_signing_key()  # the identity service needs one to be composed; it signs nothing here
    settings = Settings(nats_url="nats://nats:4222", database_url="postgresql://unused/db",
                        identity_signing_key=json.dumps(key.as_dict(private=True)),
                        identity_jwks=json.dumps(publish(key)))
    broker = wire_offline(definition, settings)
    spec = AsyncAPI(broker, title=f"kokemus {name}", version="1.0.0", schema_version="3.0.0",
                    description=definition.description)
    return json.dumps(json.loads(spec.to_specification().to_json()), indent=2, sort_keys=True) + "\n"


def asyncapi_documents() -> dict[Path, str]:
    root = Path(services.__file__).parent
    return {root / name / "asyncapi.json": asyncapi_document(name) for name in definitions()}
