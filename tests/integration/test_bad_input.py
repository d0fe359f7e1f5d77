"""Bad input never sticks: every command and query of every service, sent thousands of requests that no good
client would send, answers each with ``validation`` naming what was wrong, records nothing, and keeps working.

The requests are generated (hypothesis) from each request's valid body (the authorization matrix's, naming real
records) by one of these mutations, each certain to make the request invalid whatever the field:
- a body that is not a JSON object, or not JSON at all;
- a field the request does not have;
- a field's value over the decoder's bounds: text past the request size limit (a megabyte is past the bus's
  own limit, and the client cannot send it), a 5,000-digit number, NaN, a NUL, half a surrogate pair, JSON
  nested far too deep;
- a field's value outside its own bounds, read from the request's JSON schema: one character too long, one over
  the maximum or under the minimum, a date in the year 9999, or a value of the wrong type.
The caller is a coordinator with a valid token: validation comes before any question of who may ask.
"""

from __future__ import annotations

import asyncio
import json
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import nats
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from services import SERVICE_NAMES, definitions
from shared.messaging.limits import MAX_DEPTH, MAX_NUMBER_DIGITS, MAX_REQUEST_BYTES
from shared.messaging.rpc import RemoteError, request
from shared.runtime import admin
from shared.runtime.service import ServiceRuntime
from tests.callers import token_for
from tests.conftest import eventually
from tests.integration.authorization.matrix import COORDINATOR, bodies, every_request
from tests.integration.authorization.scenario import delivered_engagement, settled

pytestmark = pytest.mark.integration

EXAMPLES = 3000
WHOLE_MESSAGE = "(message)"  # the field named when the message as a whole is refused


@dataclass(frozen=True)
class Target:
    subject: str
    model: Any
    body: dict[str, Any]


class BadRequest:
    """One generated request; ``field`` is the field its error must name, when one field was spoiled."""

    def __init__(self, subject: str, data: bytes, field: str | None, how: str) -> None:
        self.subject, self.data, self.field, self.how = subject, data, field, how

    def __repr__(self) -> str:  # hypothesis prints a failing example: a short one reads better
        return f"BadRequest({self.subject}, {self.how}, field={self.field}, {len(self.data)} B: {self.data[:160]!r})"


def targets(ids: dict[str, Any]) -> list[Target]:
    valid = bodies(ids)
    found = []
    for service, kind, name in every_request():
        definition = definitions()[service]
        table = {**definition.commands, **admin.COMMANDS} if kind == "cmd" else {**definition.queries, **admin.QUERIES}
        model, _ = table[name]
        found.append(Target(f"kokemus.{service}.{kind}.{name}", model, valid[(service, name)]))
    return found


def properties(model: Any) -> list[str]:
    """The request's fields as they are named on the wire."""
    return sorted(model.model_json_schema().get("properties", {}))


def _field_schema(model: Any, field: str) -> dict[str, Any]:
    """The field's own JSON schema: references resolved, an optional field's ``null`` left out, and the bounds
    of alternatives (a decimal as a number or a string) taken together."""
    schema = model.model_json_schema()

    def resolved(part: dict[str, Any]) -> dict[str, Any]:
        return schema["$defs"][part["$ref"].rsplit("/", 1)[-1]] if "$ref" in part else part

    found = resolved(schema["properties"][field])
    merged: dict[str, Any] = {}
    for option in reversed(found.get("anyOf", [found])):
        if option.get("type") != "null":
            merged.update(resolved(option))
    return merged


def out_of_bounds(schema: dict[str, Any]) -> list[tuple[str, Any]]:
    """Values outside this field's own bounds, each with a word on how."""
    values: list[tuple[str, Any]] = []
    if "maxLength" in schema:
        values.append(("one character too long", "x" * (schema["maxLength"] + 1)))
    if "maxItems" in schema:
        values.append(("one item too many", [schema.get("items", {}).get("default", "x")] * (schema["maxItems"] + 1)))
    for bound, step in (("maximum", 1), ("exclusiveMaximum", 0), ("minimum", -1), ("exclusiveMinimum", 0)):
        if isinstance(schema.get(bound), int | float):
            values.append((f"past its {bound}", schema[bound] + step))
    if schema.get("format") == "date":
        values.append(("a date in the year 9999", "9999-12-31"))
    if "enum" in schema:
        values.append(("not one of its choices", "no-such-choice"))
    kind = schema.get("type")
    if kind in ("string", "integer", "number", "boolean"):
        values.append(("of the wrong type", {"a": [1]}))
    elif kind in ("object", "array"):
        values.append(("of the wrong type", "text where a structure belongs"))
    return values


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# What the decoder refuses in any field, each as the JSON text of the value and the field the error names.
OVER_THE_DECODERS_BOUNDS = {
    "text past the request size limit": (json.dumps("x" * MAX_REQUEST_BYTES), WHOLE_MESSAGE),
    "a 5,000-digit number": ("9" * 5000, WHOLE_MESSAGE),
    "a number one digit too long": ("1" * (MAX_NUMBER_DIGITS + 1), WHOLE_MESSAGE),
    "NaN": ("NaN", WHOLE_MESSAGE),
    "Infinity": ("1e999", WHOLE_MESSAGE),
    "a NUL character": (json.dumps("before\x00after"), None),
    "half a surrogate pair": ('"\\ud800 alone"', None),
    "a trailing half surrogate": ('"ok\\udfff"', None),
    "nested far too deep": (nested(MAX_DEPTH + 5), None),
}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


def _with_field(body: dict[str, Any], field: str, value_json: str) -> bytes:
    """The body as JSON, with ``field`` set to the given JSON text (which json.dumps could not write)."""
    rest = {key: value for key, value in body.items() if key != field}
    inner = json.dumps(rest)[1:-1]
    return ("{" + (inner + ", " if inner else "") + json.dumps(field) + ": " + value_json + "}").encode()


@st.composite
def bad_requests(draw: st.DrawFn, all_targets: list[Target]) -> BadRequest:
    target = draw(st.sampled_from(all_targets))
    fields = properties(target.model)
    how = draw(st.sampled_from(["not an object", "not JSON", "unknown field", "decoder bounds", "field bounds"]
                               if fields else ["not an object", "not JSON", "unknown field", "decoder bounds"]))
    if how == "not an object":
        value = draw(json_values.filter(lambda v: not isinstance(v, dict) and v is not None))
        return BadRequest(target.subject, json.dumps(value).encode(), None, how)
    if how == "not JSON":
        data = draw(st.sampled_from([b"{", b"{'single': 'quotes'}", b"\xff\xfe\x00", b"{\"a\": }", b"[1, 2,]"]))
        return BadRequest(target.subject, data, WHOLE_MESSAGE, how)
    if how == "unknown field":
        name = draw(st.text(string.ascii_lowercase + "_", min_size=1, max_size=20).filter(lambda n: n not in fields))
        data = _with_field(target.body, name, json.dumps(draw(json_values)))
        return BadRequest(target.subject, data, name, how)
    field = draw(st.sampled_from(fields or ["anything"]))
    if how == "decoder bounds":
        what = draw(st.sampled_from(sorted(OVER_THE_DECODERS_BOUNDS)))
        value_json, named = OVER_THE_DECODERS_BOUNDS[what]
        if what == "text past the request size limit":  # a request may allow more (a receipt's file)
            value_json = json.dumps("x" * getattr(target.model, "max_request_bytes", MAX_REQUEST_BYTES))
        return BadRequest(target.subject, _with_field(target.body, field, value_json), named or field, what)
    what, value = draw(st.sampled_from(out_of_bounds(_field_schema(target.model, field))))
    return BadRequest(target.subject, _with_field(target.body, field, json.dumps(value)), field, f"{field} {what}")


@pytest.fixture
async def system(environment) -> AsyncIterator[dict[str, Any]]:
    runtimes = [ServiceRuntime(definitions()[name], environment.settings(name)) for name in SERVICE_NAMES]
    await asyncio.gather(*(runtime.start(serve_http=False) for runtime in runtimes))
    nc = await nats.connect(environment.nats_url)
    try:
        ids = await delivered_engagement(nc)
        await settled(nc, ids["engagement_id"], runtimes)
        yield {"nc": nc, "ids": ids, "runtimes": runtimes}
    finally:
        await nc.close()
        for runtime in reversed(runtimes):
            await runtime.stop()


def test_every_request_has_a_field_bound_to_spoil():
    """Each request field has bounds the generator can break (a field with none would go untested)."""
    unbounded = [(target.subject, field) for target in targets({"engagement_id": "e", "order_id": "o", "offer_id": "f"})
                 for field in properties(target.model)
                 if not out_of_bounds(_field_schema(target.model, field))]
    assert not unbounded


async def test_thousands_of_bad_requests_each_get_validation_naming_the_field_and_record_nothing(system):
    nc, runtimes = system["nc"], system["runtimes"]
    recorded_before = {runtime.name: await runtime.store.count() for runtime in runtimes}
    loop = asyncio.get_running_loop()
    answers: dict[str, int] = {}

    async def send(bad: BadRequest) -> None:
        with pytest.raises(RemoteError) as refused:
            # A token each, as a client refreshes it: one lives a minute, and a loaded machine takes longer.
            await request(nc, bad.subject, bad.data, token=token_for(COORDINATOR), timeout=10)
        error = refused.value
        answers[error.code] = answers.get(error.code, 0) + 1
        assert error.code == "validation", (bad, error)
        named = [problem["field"] for problem in error.fields]
        assert named, (bad, error)
        if bad.field is not None:
            assert any(field == bad.field or field.startswith(f"{bad.field}.") for field in named), (bad, named)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(bad=bad_requests(targets(system["ids"])))
    def each(bad: BadRequest) -> None:
        asyncio.run_coroutine_threadsafe(send(bad), loop).result(timeout=30)

    await asyncio.to_thread(each)

    assert answers == {"validation": sum(answers.values())}
    assert sum(answers.values()) >= EXAMPLES
    assert {runtime.name: await runtime.store.count() for runtime in runtimes} == recorded_before
    # And the system still works: a new organization reaches orders through the registry's relay.
    await request(nc, "kokemus.registry.cmd.register_organization",
                  {"organization_id": "after-the-storm", "name": "After", "kind": "ngo"}, token=token_for(COORDINATOR))

    async def reached_orders() -> bool:
        orders = next(runtime for runtime in runtimes if runtime.name == "orders")
        return bool(await orders.pool.fetchval(
            "SELECT true FROM orders.organizations WHERE organization_id = 'after-the-storm'"))

    await eventually(reached_orders)
    for runtime in runtimes:
        token = token_for(COORDINATOR)
        assert await request(nc, f"kokemus.{runtime.name}.query.dead_letters", {}, token=token) == []
        assert await request(nc, f"kokemus.{runtime.name}.query.parked_events", {}, token=token) == []
