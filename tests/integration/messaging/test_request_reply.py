"""The messaging kernel against a real NATS and PostgreSQL: request-reply, identity, bad requests."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from shared.events import Actor, Role
from shared.identity import TokenIssuer, generate_signing_key
from shared.messaging import rpc
from shared.messaging.rpc import RemoteError
from tests.callers import SIGNING_KEY, request, token_for
from tests.integration.messaging.toy import (
    CAPACITY,
    COORDINATOR,
)

pytestmark = pytest.mark.integration


# -- request-reply -------------------------------------------------------------------------------------

async def test_a_bad_command_gets_an_error_naming_each_field(alpha, client):
    with pytest.raises(RemoteError) as error:
        await request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": "", "n": 5000, "x": 1})
    assert error.value.code == "validation"
    fields = {f["field"]: f for f in error.value.fields}
    assert set(fields) == {"note_id", "n", "x"}
    assert fields["n"]["allowed"] == "<= 1000"
    assert fields["note_id"]["allowed"] == "at least 1 characters"
    assert fields["x"]["allowed"] == "no such field: remove it"


async def test_a_message_that_is_not_json_gets_a_validation_error(alpha, client):
    reply = await client.request("kokemus.alpha.cmd.take_note", b"{not json", timeout=5,
                                 headers={"Authorization": f"Bearer {token_for(COORDINATOR)}"})
    body = json.loads(reply.data)
    assert body["ok"] is False and body["error"]["code"] == "validation"


# Each token is made when its test runs: made at collection, a 60-second token expires before a long run reaches it.
@pytest.mark.parametrize("make_token, reason", [
    (lambda: None, "no identity"),
    (lambda: token_for(COORDINATOR, development=True), "development sign-in is not accepted"),
    (lambda: TokenIssuer(SIGNING_KEY, lifetime=dt.timedelta(minutes=-2)).issue("c1", CAPACITY, [CAPACITY])[0],
     "expired"),
    (lambda: TokenIssuer(generate_signing_key()).issue("c1", CAPACITY, [CAPACITY])[0],
     "not signed with a published key"),
    (lambda: TokenIssuer(SIGNING_KEY, audience="another-system").issue("c1", CAPACITY, [CAPACITY])[0],
     "not meant for this system"),
    (lambda: "not.a.token", "refused"),
], ids=["none", "development", "expired", "unknown key", "other audience", "malformed"])
async def test_a_request_without_a_valid_identity_is_refused_before_anything_is_read(alpha, client, make_token, reason):
    token = make_token()
    for body in ({"note_id": "a", "n": 1}, {"note_id": "", "n": -1}):  # valid or not, it is not even read
        with pytest.raises(RemoteError) as refused:
            await rpc.request(client, "kokemus.alpha.cmd.take_note", body, token=token)
        assert refused.value.code == "unauthenticated" and reason in refused.value.message
    assert await alpha.store.read_all() == []


async def test_the_caller_is_the_signed_identity_never_an_actor_in_the_body(alpha, client):
    expert = token_for({"id": "e1", "role": "expert"})
    with pytest.raises(RemoteError) as forged:
        await rpc.request(client, "kokemus.alpha.cmd.take_note",
                          {"actor": COORDINATOR, "note_id": "a", "n": 1}, token=expert)
    assert forged.value.code == "validation" and forged.value.fields[0]["field"] == "actor"
    assert await alpha.store.read_all() == []
    await request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": "a", "n": 1})
    [event] = await alpha.store.read_all()
    assert event.actor == Actor(id="c1", role=Role.coordinator)  # who signed, recorded as the event's actor


async def test_a_wrong_role_is_refused(alpha, client):
    with pytest.raises(RemoteError) as wrong:
        await request(client, "kokemus.alpha.cmd.take_note",
                      {"actor": {"id": "e1", "role": "expert"}, "note_id": "a", "n": 1})
    assert wrong.value.code == "forbidden" and "coordinator" in wrong.value.message


async def test_a_crashing_handler_answers_unavailable_without_a_traceback_and_records_nothing(alpha, client):
    with pytest.raises(RemoteError) as error:
        await request(client, "kokemus.alpha.cmd.take_note", {"actor": COORDINATOR, "note_id": "a", "n": 999})
    assert error.value.code == "unavailable"
    assert "secret internal detail" not in error.value.message and "Traceback" not in error.value.message
    assert await alpha.store.read_all() == []


async def test_nobody_listening_answers_unavailable_at_once(client):
    with pytest.raises(RemoteError) as error:
        await request(client, "kokemus.nobody.cmd.anything", {"actor": COORDINATOR}, timeout=5)
    assert error.value.code == "unavailable" and "running" in error.value.message


async def test_a_retried_command_with_the_same_id_records_once(alpha, client):
    command = {"actor": COORDINATOR, "note_id": "once", "n": 7, "command_id": str(uuid.uuid4())}
    await request(client, "kokemus.alpha.cmd.take_note", command)
    await request(client, "kokemus.alpha.cmd.take_note", command)  # the client did not see the first reply
    assert len(await alpha.store.read_stream("note-once")) == 1
    await request(client, "kokemus.alpha.cmd.take_note", {**command, "command_id": str(uuid.uuid4())})
    assert len(await alpha.store.read_stream("note-once")) == 2


# -- requests no client would send in good faith ------------------------------------------------------------

BAD_BODIES = [
    (b'{"note_id": "' + b"x" * 900_000 + b'", "n": 1}', "(message)", "bytes"),  # under NATS's own 1 MB
    (b'{"note_id": "a", "n": 1, "deep": ' + b"[" * 200 + b"]" * 200 + b"}", "deep", "nested"),
    (b'{"note_id": "a", "n": ' + b"9" * 5000 + b"}", "(message)", "digits"),
    (b'{"note_id": "a\\u0000b", "n": 1}', "note_id", "NUL"),
    (b'{"note_id": "a\\ud800b", "n": 1}', "note_id", "surrogate"),
    (b'{"note_id": "a", "n": NaN}', "(message)", "not JSON"),
    (b'{"note_id": "a", "n": 1e999}', "(message)", "digits"),
    (b"\xff\xfe not even text", "(message)", "not JSON"),
]


@pytest.mark.parametrize("body, field, reason", BAD_BODIES, ids=[r for _, _, r in BAD_BODIES])
async def test_a_request_no_client_would_send_is_refused_naming_the_field_and_nothing_is_recorded(
        alpha, client, body, field, reason):
    reply = await client.request("kokemus.alpha.cmd.take_note", body, timeout=5,
                                 headers={"Authorization": f"Bearer {token_for(COORDINATOR)}"})
    error = json.loads(reply.data)["error"]
    assert error["code"] == "validation", error
    assert error["fields"][0]["field"].startswith(field) and reason in error["fields"][0]["reason"] + error["message"]
    assert await alpha.store.read_all() == []
