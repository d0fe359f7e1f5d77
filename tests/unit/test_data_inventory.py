"""The data inventory (docs/data-inventory.yaml) and the code agree: every field of every published event is
classified with a purpose, a retention and its readers, and every field classified special-category or personal
travels sealed (and every sealed field is classified so); every column of every table too, a special-category or
personal column saying what erases it."""

from __future__ import annotations

import re
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from services import SERVICE_NAMES, definitions
from services.orders import events as orders
from shared.events import DomainEvent
from shared.eventstore.postgres import kernel_schema_sql

INVENTORY = Path(__file__).parents[2] / "docs" / "data-inventory.yaml"
SEALED_CLASSES = {"special_category", "personal"}


@cache
def inventory() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(INVENTORY.read_text())
    return loaded


def published_events() -> list[tuple[str, type[DomainEvent]]]:
    return [(service, cls) for service in SERVICE_NAMES for cls in definitions()[service].events]


def entries(service: str, cls: type[DomainEvent]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The event's entry, and each of its fields with the event's defaults filled in."""
    event = inventory()["events"].get(service, {}).get(cls.event_type())
    assert event is not None, f"{service}.{cls.event_type()} is not in {INVENTORY.name}: add it with each field"
    return event, resolved(event, event.get("fields") or {})


def resolved(entry: dict[str, Any], fields: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each field (or column) with the entry's purpose, retention and readers filled in where it gives none."""
    specs = {}
    for name, given in fields.items():
        spec = {"class": given} if isinstance(given, str) else dict(given)
        for key in ("purpose", "retention", "readers"):
            spec.setdefault(key, entry.get(key))
        spec["own_purpose"] = not isinstance(given, str) and "purpose" in given
        specs[name] = spec
    return specs


def spec_problems(where: str, spec: dict[str, Any]) -> list[str]:
    """What one field's or column's classification lacks."""
    book = inventory()
    readers = set(book["readers"]["services"]) | set(book["readers"]["roles"]) | set(book["readers"]["groups"])
    problems = []
    if spec["class"] not in book["classes"]:
        problems.append(f"{where}: unknown class {spec['class']!r}")
    if not spec["purpose"]:
        problems.append(f"{where} has no purpose")
    if spec["retention"] not in book["retention"]:
        problems.append(f"{where}: unknown retention {spec['retention']!r}")
    if not spec["readers"] or not set(spec["readers"]) <= readers:
        problems.append(f"{where}: readers {spec['readers']} missing or unknown")
    if spec["class"] in SEALED_CLASSES and not spec["own_purpose"]:
        problems.append(f"{where} is {spec['class']}: it needs a purpose of its own")
    return problems


def classification_problems(service: str, cls: type[DomainEvent]) -> list[str]:
    """What the inventory lacks for the event: fields unclassified or classified without purpose, retention,
    readers; fields it classifies that the event does not have."""
    event, fields = entries(service, cls)
    kind = cls.event_type()
    problems = [f"{kind}.{name} has no classification in {INVENTORY.name}"
                for name in sorted(set(cls.model_fields) - set(fields))]
    problems += [f"{kind}.{name} is classified but the event has no such field"
                 for name in sorted(set(fields) - set(cls.model_fields))]
    for name, spec in fields.items():
        problems += spec_problems(f"{kind}.{name}", spec)
    if not event.get("subject"):
        problems.append(f"{kind} names no subject (none when it holds no personal data)")
    return problems


def sealing_problems(service: str, cls: type[DomainEvent]) -> list[str]:
    """Fields classified special-category or personal that travel in clear, and sealed fields classified
    otherwise."""
    event, fields = entries(service, cls)
    kind = cls.event_type()
    classified = {name for name, spec in fields.items() if spec["class"] in SEALED_CLASSES}
    sealed = set(cls.personal_fields())
    problems = [f"{kind}.{name} is {fields[name]['class']} but travels in clear: annotate it Personal (sealed with "
                "the subject's key) and bump the schema version" for name in sorted(classified - sealed)]
    problems += [f"{kind}.{name} travels sealed but the inventory does not call it special-category or personal"
                 for name in sorted(sealed - classified)]
    if sealed and event["subject"] == "none":
        problems.append(f"{kind} holds personal data: name whose key seals it")
    return problems


@pytest.mark.parametrize(("service", "cls"), published_events(), ids=lambda v: getattr(v, "__name__", v))
def test_every_field_of_the_event_is_classified_with_purpose_retention_and_readers(service, cls):
    assert classification_problems(service, cls) == []


@pytest.mark.parametrize(("service", "cls"), published_events(), ids=lambda v: getattr(v, "__name__", v))
def test_special_category_and_personal_fields_travel_sealed_and_only_they(service, cls):
    assert sealing_problems(service, cls) == []


def test_the_inventory_lists_no_event_the_services_do_not_publish():
    known = {(service, cls.event_type()) for service, cls in published_events()}
    listed = {(service, name) for service, events in inventory()["events"].items() for name in events}
    assert listed - known == set()


def test_a_field_added_without_a_classification_is_caught():
    class OfferMade(orders.OfferMade):  # the same event, grown a field
        note: str | None = None

    assert classification_problems("orders", OfferMade) == [
        f"OfferMade.note has no classification in {INVENTORY.name}"]


def test_a_personal_field_travelling_in_clear_is_caught():
    class OfferDeclined(DomainEvent):  # the reason as it travelled before version 2
        order_id: uuid.UUID
        offer_id: uuid.UUID
        expert_id: str
        reason: str

    [problem] = sealing_problems("orders", OfferDeclined)
    assert problem.startswith("OfferDeclined.reason is special_category but travels in clear")


# -- the tables --------------------------------------------------------------------------------------------

TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS \{schema\}\.(\w+) \((.*?)\n\);", re.S)
NOT_A_COLUMN = re.compile(r"(PRIMARY|UNIQUE|CONSTRAINT|FOREIGN|CHECK)\b")


def columns_of(sql: str) -> dict[str, list[str]]:
    """The columns of each table the SQL creates."""
    return {table: [line.split()[0] for line in (raw.strip() for raw in body.split("\n"))
                    if line and not line.startswith("--") and not NOT_A_COLUMN.match(line)]
            for table, body in TABLE.findall(sql)}


def tables() -> list[tuple[str, str, list[str]]]:
    found = [("kernel", table, columns) for table, columns in columns_of(kernel_schema_sql("{schema}")).items()]
    for service in SERVICE_NAMES:
        found += [(service, table, columns)
                  for table, columns in columns_of("\n".join(definitions()[service].sql)).items()]
    return found


def table_problems(owner: str, table: str, columns: list[str]) -> list[str]:
    entry = inventory()["tables"].get(owner, {}).get(table)
    if entry is None:
        return [f"{owner}.{table} is not in {INVENTORY.name}: add it with each column"]
    specs = resolved(entry, entry.get("columns") or {})
    problems = [f"{owner}.{table}.{name} has no classification" for name in columns if name not in specs]
    problems += [f"{owner}.{table}.{name} is classified but the table has no such column"
                 for name in specs if name not in columns]
    for name, spec in specs.items():
        problems += spec_problems(f"{owner}.{table}.{name}", spec)
        if spec["class"] in SEALED_CLASSES and not spec.get("erased_by"):
            problems.append(f"{owner}.{table}.{name} holds {spec['class']} data in clear: say what erases it")
    return problems


@pytest.mark.parametrize(("owner", "table", "columns"), tables(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_column_of_every_table_is_classified(owner, table, columns):
    assert table_problems(owner, table, columns) == []


def test_the_inventory_lists_no_table_the_services_do_not_have():
    known = {(owner, table) for owner, table, _ in tables()}
    listed = {(owner, table) for owner, found in inventory()["tables"].items() for table in found}
    assert listed - known == set()


def test_a_column_added_without_a_classification_is_caught():
    [(_, _, columns)] = [t for t in tables() if t[:2] == ("orders", "offers")]
    assert table_problems("orders", "offers", [*columns, "decline_reason"]) == [
        "orders.offers.decline_reason has no classification"]
