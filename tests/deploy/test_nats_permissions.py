"""The NATS permission matrix (deploy/nats/permissions.yaml) against the subjects the services really use.

The drift test reads each service's AsyncAPI document, services/<service>/asyncapi.json (AsyncAPI 3.0 as
FastStream writes it, `kokemus asyncapi` regenerates them), and skips a service only while its document
does not exist. The comparison itself is tested first, on small documents written here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy.kokemus_checks.common import NATS_AUTH_VALUES, PERMISSIONS, SERVICES_DIR, load_yaml, service_folders
from deploy.kokemus_checks.nats_check import check_nats
from deploy.kokemus_checks.nats_drift import asyncapi_documents, asyncapi_usage, permission_drift, subject_covers
from deploy.kokemus_checks.nats_users import application_users, check_matrix, render_nats_auth_values, stream_name

pytestmark = pytest.mark.deploy

REPO = Path(__file__).resolve().parents[2]


def operation(action: str, channel: str) -> dict:
    # FastStream percent-encodes the channel name in references (">" becomes %3E)
    ref = "#/channels/" + channel.replace(">", "%3E").replace("/", "~1")
    return {"action": action, "channel": {"$ref": ref}, "messages": [{"$ref": ref + "/messages/Message"}]}


def document(*operations: tuple[str, str], parameters: bool = False) -> dict:
    """A small AsyncAPI 3.0 document shaped like FastStream's: channels keyed "<subject>:<Handler>"."""
    channels, ops = {}, {}
    for number, (action, subject) in enumerate(operations):
        key = f"{subject}:Handler{number}"
        channels[key] = {
            "address": subject,
            "servers": [{"$ref": "#/servers/development"}],
            "messages": {"Message": {"$ref": f"#/components/messages/{key}:Message"}},
            "bindings": {"nats": {"subject": subject, "bindingVersion": "custom"}},
        }
        ops[f"{key}{'Subscribe' if action == 'receive' else ''}"] = operation(action, key)
    return {"asyncapi": "3.0.0", "info": {"title": "test", "version": "0"}, "channels": channels, "operations": ops}


MATRIX = {
    "account": "KOKEMUS",
    "subject_prefix": "kokemus",
    "inbox": "_INBOX",
    "services": {
        "registry": {"consumes": [], "requests": []},
        "orders": {"consumes": ["registry"], "requests": ["registry"]},
        "audit": {"consumes": ["registry", "orders"]},
    },
    "clients": {"cli": {"requests": ["*"]}},
}

USAGE_OK = {
    "registry": document(("send", "kokemus.registry.events.ExpertListed"),
                         ("receive", "kokemus.registry.cmd.register_expert"),
                         ("receive", "kokemus.registry.query.expert")),
    "orders": document(("send", "kokemus.orders.events.OrderPlaced"), ("receive", "kokemus.registry.events.>"),
                       ("send", "kokemus.registry.query.expert"), ("receive", "kokemus.orders.cmd.place")),
    "audit": document(("receive", "kokemus.registry.events.>"), ("receive", "kokemus.orders.events.>"),
                      ("receive", "kokemus.audit.query.trail")),
}


def usages(documents: dict[str, dict]) -> dict:
    return {service: asyncapi_usage(service, doc) for service, doc in documents.items()}


# ---------------------------------------------------------------------------------------------------
# the comparison, on documents written here


@pytest.mark.parametrize(
    ("pattern", "subject", "covered"),
    [
        ("kokemus.orders.events.>", "kokemus.orders.events.OrderPlaced", True),
        ("kokemus.orders.events.>", "kokemus.orders.events.>", True),
        ("kokemus.orders.events.>", "kokemus.orders.events", False),
        ("kokemus.orders.events.>", "kokemus.registry.events.X", False),
        ("kokemus.*.cmd.>", "kokemus.orders.cmd.place", True),
        ("kokemus.*.cmd.>", "kokemus.*.cmd.place", True),
        ("kokemus.orders.cmd.*", "kokemus.orders.cmd.place.now", False),
        ("kokemus.orders.cmd.*", "kokemus.orders.cmd.>", False),
        ("kokemus.orders.cmd.place", "kokemus.orders.cmd.*", False),
        ("kokemus.orders.cmd.place", "kokemus.orders.cmd.place", True),
    ],
)
def test_subject_covers(pattern: str, subject: str, covered: bool) -> None:
    assert subject_covers(pattern, subject) is covered


def test_reads_sends_and_receives_from_a_faststream_shaped_document() -> None:
    usage = asyncapi_usage("orders", USAGE_OK["orders"])
    assert usage.sends == {"kokemus.orders.events.OrderPlaced", "kokemus.registry.query.expert"}
    assert usage.receives == {"kokemus.registry.events.>", "kokemus.orders.cmd.place"}


def test_channel_parameters_stand_for_one_token_and_a_missing_address_falls_back() -> None:
    doc = document(("send", "kokemus.orders.events.{event}"), ("receive", "kokemus.orders.cmd.place"))
    [key] = [k for k in doc["channels"] if k.startswith("kokemus.orders.cmd")]
    doc["channels"][key]["address"] = None  # AsyncAPI 3 allows a null address; the NATS binding still says
    usage = asyncapi_usage("orders", doc)
    assert usage.sends == {"kokemus.orders.events.*"}
    assert usage.receives == {"kokemus.orders.cmd.place"}


@pytest.mark.parametrize(
    "broken",
    [
        {"asyncapi": "2.6.0", "channels": {}},
        {"asyncapi": "3.0.0", "channels": {}, "operations": {"x": {"action": "send"}}},
        {"asyncapi": "3.0.0", "channels": {"c": {"address": "a"}},
         "operations": {"x": {"action": "publish", "channel": {"$ref": "#/channels/c"}}}},
    ],
    ids=["asyncapi-2", "no-channel", "unknown-action"],
)
def test_a_document_it_cannot_read_is_an_error_not_a_pass(broken: dict) -> None:
    with pytest.raises(ValueError):
        asyncapi_usage("orders", broken)


def test_no_drift_when_matrix_and_documents_agree() -> None:
    assert permission_drift(MATRIX, usages(USAGE_OK)) == []


def test_receiving_events_of_a_service_not_consumed_is_drift() -> None:
    documents = dict(USAGE_OK, registry=document(("receive", "kokemus.orders.events.>"),
                                                 ("send", "kokemus.registry.events.X")))
    [problem] = permission_drift(MATRIX, usages(documents))
    assert "registry: receives kokemus.orders.events.>" in problem
    assert "add orders to services.registry.consumes" in problem


def test_a_consume_grant_no_operation_needs_is_drift() -> None:
    documents = dict(USAGE_OK, audit=document(("receive", "kokemus.registry.events.>")))
    [problem] = permission_drift(MATRIX, usages(documents))
    assert "audit: permissions.yaml lets it consume orders" in problem and "remove the grant" in problem


def test_calling_another_service_without_a_grant_is_drift() -> None:
    documents = dict(USAGE_OK, audit=document(("receive", "kokemus.registry.events.>"),
                                              ("receive", "kokemus.orders.events.>"),
                                              ("send", "kokemus.registry.cmd.erase")))
    [problem] = permission_drift(MATRIX, usages(documents))
    assert "audit: sends to kokemus.registry.cmd.erase but may not call registry" in problem


def test_an_unused_request_grant_is_drift() -> None:
    documents = dict(USAGE_OK, orders=document(("send", "kokemus.orders.events.OrderPlaced"),
                                               ("receive", "kokemus.registry.events.>")))
    [problem] = permission_drift(MATRIX, usages(documents))
    assert "orders: permissions.yaml lets it call registry" in problem


def test_publishing_into_another_services_events_is_drift() -> None:
    documents = dict(USAGE_OK, registry=document(("send", "kokemus.registry.events.X"),
                                                 ("send", "kokemus.orders.events.Forged")))
    [problem] = permission_drift(MATRIX, usages(documents))
    assert "registry: sends to kokemus.orders.events.Forged, which its NATS user may not publish to" in problem


def test_a_subject_outside_the_kokemus_namespace_needs_an_explicit_grant() -> None:
    documents = {"registry": document(("send", "kokemus.registry.events.X"), ("receive", "legacy.registry.requests"))}
    [problem] = permission_drift(MATRIX, usages(documents))
    assert "receives legacy.registry.requests, which its NATS user may not subscribe to" in problem
    matrix = json.loads(json.dumps(MATRIX))
    matrix["services"]["registry"]["subscribe"] = ["legacy.registry.requests"]
    assert permission_drift(matrix, usages(documents)) == []


def test_a_service_missing_from_the_matrix_is_drift() -> None:
    problems = permission_drift(MATRIX, usages({"payments": document(("send", "kokemus.payments.events.Paid"))}))
    assert problems == ["payments: has an AsyncAPI document but no entry in permissions.yaml services"]


# ---------------------------------------------------------------------------------------------------
# the real matrix


def test_the_matrix_names_exactly_the_services_in_the_code() -> None:
    folders = service_folders()
    if not folders:
        pytest.skip("services/ has no service packages yet")
    assert sorted(load_yaml(PERMISSIONS)["services"]) == folders


def test_the_matrix_itself_is_sound() -> None:
    assert check_matrix(load_yaml(PERMISSIONS)) == []


def test_no_user_may_touch_another_services_events_or_consumers() -> None:
    matrix = load_yaml(PERMISSIONS)
    services = list(matrix["services"])
    for user, permissions in application_users(matrix).items():
        consumes = (matrix["services"].get(user) or matrix["clients"].get(user) or {}).get("consumes") or []
        for pattern in permissions["publish"]["allow"]:
            for other in services:
                if other == user:
                    continue
                stream = stream_name(other)
                assert not subject_covers(pattern, f"kokemus.{other}.events.Forged"), (user, pattern)
                for api in ("STREAM.CREATE", "STREAM.UPDATE", "STREAM.DELETE", "STREAM.PURGE", "CONSUMER.DELETE"):
                    assert not subject_covers(pattern, f"$JS.API.{api}.{stream}.x"), (user, pattern)
                    assert not subject_covers(pattern, f"$JS.API.{api}.{stream}"), (user, pattern)
                foreign = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.someone-else"
                assert not subject_covers(pattern, foreign), (user, pattern)
                if other not in consumes and user in services:  # the ops client reads every stream's state
                    assert not subject_covers(pattern, f"$JS.API.STREAM.INFO.{stream}"), (user, pattern)
        for pattern in permissions["subscribe"]["allow"]:
            assert not any(subject_covers(pattern, f"kokemus.{other}.events.X") for other in services), (user, pattern)


def test_values_auth_is_generated_from_the_matrix() -> None:
    assert NATS_AUTH_VALUES.read_text() == render_nats_auth_values(load_yaml(PERMISSIONS))
    assert check_nats() == []


def test_the_nats_check_compares_the_matrix_with_every_services_document() -> None:
    documents = asyncapi_documents()
    assert sorted(documents) == service_folders()
    del documents["audit"]
    assert check_nats(documents=documents) == ["audit: services/audit/asyncapi.json is missing: run `kokemus asyncapi`"]
    documents["registry"] = document(("send", "kokemus.registry.events.X"), ("send", "kokemus.orders.events.Forged"))
    problems = check_nats(documents=documents)
    assert any("registry: sends to kokemus.orders.events.Forged" in p for p in problems), problems


def test_a_matrix_without_a_service_of_the_code_fails() -> None:
    matrix = load_yaml(PERMISSIONS)
    del matrix["services"]["audit"]
    for entry in matrix["services"].values():
        entry["consumes"] = [s for s in entry["consumes"] if s != "audit"]
    matrix["clients"]["auditors"]["queries"] = []
    assert check_matrix(matrix) == []
    missing, stale = check_nats(matrix, documents={})
    folders = service_folders()
    assert missing == f"permissions.yaml has the services {sorted(set(folders) - {'audit'})}, services/ has {folders}"
    assert "values-auth.yaml is not what" in stale


def test_a_changed_matrix_makes_the_values_stale() -> None:
    matrix = load_yaml(PERMISSIONS)
    matrix["clients"]["newcomer"] = {"consumes": ["orders"]}
    [problem] = check_nats(matrix)
    assert "values-auth.yaml is not what" in problem and "nats-auth --write" in problem


def test_a_matrix_granting_everything_is_refused() -> None:
    matrix = load_yaml(PERMISSIONS)
    matrix["clients"]["greedy"] = {"publish": [">"], "consumes": ["nobody"]}
    problems = check_matrix(matrix)
    assert any("'>' grants far too much" in p for p in problems)
    assert any("'nobody' is not a service" in p for p in problems)


# ---------------------------------------------------------------------------------------------------
# the drift test on the real documents


def _services() -> list[str]:
    return service_folders() or ["(no services yet)"]


@pytest.mark.parametrize("service", _services())
def test_permissions_match_the_subjects_the_service_uses(service: str) -> None:
    path = SERVICES_DIR / service / "asyncapi.json"
    if service == "(no services yet)" or not path.exists():
        pytest.skip(
            f"{path.relative_to(REPO)} does not exist yet: generate it with `kokemus asyncapi`; until then "
            f"the NATS permissions of {service} are not compared with its code"
        )
    usage = asyncapi_usage(service, json.loads(path.read_text()))
    assert permission_drift(load_yaml(PERMISSIONS), {service: usage}) == []
