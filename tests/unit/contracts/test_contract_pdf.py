"""The contract as PDF, in Finnish and Swedish, any version: the same document a signature names, its SHA-256
printed on it. The PDFs are kept under test-output/contracts/ (and their pages as PNG where poppler's pdftoppm
is installed) for a person to look at (tests.unit.rendered_pdf)."""

import base64
import uuid

import pytest

from services.contracts import handlers as h, messages as m
from tests.unit.calls import call
from tests.unit.contracts.scenario import COORDINATOR, EXPERT, ORDERER
from tests.unit.contracts.test_amendments import OUTPUT, amend, signed
from tests.unit.rendered_pdf import keep

OTHER_EXPERT = type(EXPERT)(id="pekka", role=EXPERT.role)


async def pdf(deps, engagement_id, language, version=None, actor=EXPERT):
    answer = await call(h.contract_pdf, m.ContractPdf(engagement_id=engagement_id, language=language,
                                                      version=version), actor, deps)
    return answer, base64.b64decode(answer["pdf"])


def pages(data: bytes) -> int:
    return data.count(b"/Type /Page\n") + data.count(b"/Type /Page>") + data.count(b"/Type /Page/")


@pytest.mark.parametrize("language", ["fi", "sv"])
async def test_every_version_renders_as_pdf_bearing_its_fingerprint(deps, orders_store, language):
    engagement_id = await signed(deps, orders_store)
    await amend(deps, engagement_id, duration_hours="3", fixed_fee="240.00")
    for version in (1, 2):
        answer, data = await pdf(deps, engagement_id, language, version, actor=ORDERER)
        document = await call(h.contract_document, m.ContractDocument(
            engagement_id=engagement_id, language=language, version=version), ORDERER, deps)
        assert (answer["version"], answer["language"], answer["sha256"]) == (version, language, document["sha256"])
        assert answer["filename"] == f"contract-{engagement_id}-v{version}-{language}.pdf"
        keep(OUTPUT / f"contract-v{version}-{language}.pdf", data,
             {"fi": "Toimeksiantosopimus", "sv": "Uppdragsavtal"}[language], document["sha256"])


async def test_only_its_parties_and_a_coordinator_get_the_pdf(deps, orders_store):
    from shared.errors import Forbidden

    engagement_id = await signed(deps, orders_store)
    assert (await pdf(deps, engagement_id, "fi", actor=COORDINATOR))[1].startswith(b"%PDF-")
    with pytest.raises(Forbidden):
        await pdf(deps, engagement_id, "fi", actor=OTHER_EXPERT)


async def test_without_weasyprint_the_pdf_is_unavailable_and_says_why(deps, orders_store, monkeypatch):
    import builtins

    from shared.errors import Unavailable

    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name == "weasyprint":
            raise ImportError("no weasyprint")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    engagement_id = await signed(deps, orders_store)
    with pytest.raises(Unavailable, match="WeasyPrint"):
        await pdf(deps, engagement_id, "fi")
    assert uuid.UUID(str(engagement_id))
