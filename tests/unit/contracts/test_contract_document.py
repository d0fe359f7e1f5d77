"""The assignment contract as a document, in Finnish and Swedish, with every part a person reads before signing;
a signature names the SHA-256 of the document its signer saw, and a stale one is refused. The rendered documents
are kept under test-output/contracts/ for a person to look at."""

import datetime as dt
import uuid
from decimal import Decimal as D
from pathlib import Path

import pytest

from services.contracts import document, handlers as h, messages as m
from services.contracts.domain import Contract
from services.orders import events as orders
from shared.errors import Conflict, Forbidden
from shared.events import Actor, Role
from tests.unit.calls import call
from tests.unit.contracts.scenario import COORDINATOR, EXPERT, ORDERER, contract, deliver, recorded

OUTPUT = Path(__file__).resolve().parents[3] / "test-output" / "contracts"


async def drafted(deps, orders_store, remote=False):
    engagement_id = uuid.uuid4()
    await deliver(deps, orders_store, orders.EngagementOpened(
        engagement_id=engagement_id, order_id=uuid.uuid4(), offer_id=uuid.uuid4(), expert_id="maija",
        orderer_id="school-1", task_type=orders.TaskType.lecture, topic="Toipuminen masennuksesta",
        date=dt.date(2026, 4, 1), duration_hours=D("3"), remote=remote, place="Turun lyseo",
        fee=orders.FeeTerms(mode=orders.FeeMode.orderer, hourly_fee=D("45.00"))), engagement_id)
    return engagement_id


async def read(deps, engagement_id, language, actor=EXPERT):
    return await call(h.contract_document, m.ContractDocument(engagement_id=engagement_id, language=language),
                      actor, deps)


@pytest.mark.parametrize(("language", "parts"), [
    ("fi", ["Toimeksiantosopimus", "Versio 1", "Osapuolet", "maija", "school-1", "Puheenvuoro tai luento",
            "Toipuminen masennuksesta", "1.4.2026", "3 tuntia", "Turun lyseo", "Tilaajan asettama palkkio",
            "45,00\u00a0€ tunnilta", "0,55\u00a0€ kilometriltä", "25,00\u00a0€ yli 6 tunnin", "54,00\u00a0€ yli 10",
            "13,50\u00a0€", "50 % odotetusta palkkiosta, eli 67,50\u00a0€", "ei ole velkaa tilaajalle mitään",
            "ennakonpidätys verokortin mukaan", "työkorvauksena", "tietosuoja-asetus"]),
    ("sv", ["Uppdragsavtal", "Version 1", "Parter", "Anförande eller föreläsning", "1.4.2026", "3 timmar",
            "Turun lyseo", "45,00\u00a0€ per timme", "0,55\u00a0€ per kilometer", "50 % av det väntade arvodet, "
            "alltså 67,50\u00a0€", "inte skyldig beställaren något", "skattekortet", "arbetsersättning",
            "dataskyddsförordning"]),
])
async def test_the_contract_reads_in_finnish_and_swedish_with_every_part(deps, orders_store, language, parts):
    engagement_id = await drafted(deps, orders_store)
    shown = await read(deps, engagement_id, language)
    assert (shown["version"], shown["language"]) == (1, language)
    for part in parts:
        assert part in shown["html"], part
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / f"contract-{language}.html").write_text(
        f'<!doctype html><html lang="{language}"><meta charset="utf-8"><title>{language}</title>{shown["html"]}')


async def test_the_same_terms_give_the_same_document_and_hash(deps, orders_store):
    engagement_id = await drafted(deps, orders_store)
    first, again = await read(deps, engagement_id, "fi"), await read(deps, engagement_id, "fi", COORDINATOR)
    assert first["sha256"] == again["sha256"] and len(first["sha256"]) == 64
    assert (await read(deps, engagement_id, "sv"))["sha256"] != first["sha256"]
    remote = await read(deps, await drafted(deps, orders_store, remote=True), "fi")
    assert "Etätehtävä" in remote["html"] and "Turun lyseo" not in remote["html"]


async def test_a_signature_records_the_document_its_signer_saw(deps, orders_store):
    engagement_id = await drafted(deps, orders_store)
    finnish, swedish = await read(deps, engagement_id, "fi"), await read(deps, engagement_id, "sv", ORDERER)
    await call(h.sign_contract, m.SignContract(engagement_id=engagement_id, party="expert",
                                               document_hash=finnish["sha256"]), EXPERT, deps)
    view = await call(h.sign_contract, m.SignContract(engagement_id=engagement_id, party="orderer",
                                                      document_hash=swedish["sha256"]), ORDERER, deps)
    assert view["fully_signed"] is True
    assert view["signed_documents"] == {
        "expert": {"version": 1, "language": "fi", "sha256": finnish["sha256"]},
        "orderer": {"version": 1, "language": "sv", "sha256": swedish["sha256"]}}
    signed = [event["payload"] for event in recorded(deps, "ContractSigned")]
    assert [(s["document_version"], s["document_hash"]) for s in signed] == [
        (1, finnish["sha256"]), (1, swedish["sha256"])]


async def test_a_stale_document_is_refused_naming_the_version_to_sign(deps, orders_store):
    engagement_id = await drafted(deps, orders_store)
    terms = (await contract(deps, engagement_id))["terms"]
    assert terms["hourly_fee"] == "45.00"
    # The document as it read with other terms (an earlier fee, say): its hash is not the version to sign now.
    aggregate = await deps.uow.load(Contract, str(engagement_id))
    earlier = document.render(aggregate.terms.model_copy(update={"hourly_fee": D("40.00")}), D("120.00"), "fi")
    with pytest.raises(Conflict) as stale:
        await call(h.sign_contract, m.SignContract(engagement_id=engagement_id, party="expert",
                                                   document_hash=earlier.sha256), EXPERT, deps)
    assert "version 1" in stale.value.message and earlier.sha256[:12] in stale.value.message
    assert recorded(deps, "ContractSigned") == []


async def test_only_the_parties_and_a_coordinator_read_the_document(deps, orders_store):
    engagement_id = await drafted(deps, orders_store)
    for stranger in (Actor(id="pekka", role=Role.expert), Actor(id="aino", role=Role.auditor)):
        with pytest.raises(Forbidden):
            await read(deps, engagement_id, "fi", stranger)
