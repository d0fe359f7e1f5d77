"""The organization agreement as PDF, in Finnish and Swedish, every version: the same document a signature names,
rendered by the same code as the assignment contract (shared.pdf), its SHA-256 printed on it. The PDFs are kept
under test-output/agreements/ (their pages as PNG where poppler's pdftoppm is installed) for a person to look at."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest

from services.registry import handlers as h, messages as m
from shared.errors import Forbidden
from tests.unit.calls import call
from tests.unit.registry.depth import CONTACT, COORDINATOR, OTHER_CONTACT, UNTIL, document, sign
from tests.unit.rendered_pdf import keep

OUTPUT = Path(__file__).resolve().parents[3] / "test-output" / "agreements"


async def pdf(deps, language, version=None, actor=CONTACT):
    answer = await call(h.organization_agreement_pdf, m.OrganizationAgreementPdf(
        organization_id="mieli", agreement_id="a-2027", language=language, version=version), actor, deps)
    return answer, base64.b64decode(answer["pdf"])


@pytest.mark.parametrize("language", ["fi", "sv"])
async def test_every_version_renders_as_pdf_bearing_its_fingerprint(mieli, language):
    for actor, lang in ((COORDINATOR, "fi"), (CONTACT, "sv")):
        await sign(mieli, actor, (await document(mieli, actor, lang))["sha256"])
    await call(h.renew_organization_agreement, m.RenewOrganizationAgreement(
        organization_id="mieli", agreement_id="a-2027", valid_from=UNTIL + dt.timedelta(days=1)), COORDINATOR, mieli)
    for version in (1, 2):
        answer, data = await pdf(mieli, language, version)
        shown = await document(mieli, CONTACT, language, version)
        assert (answer["version"], answer["language"], answer["sha256"]) == (version, language, shown["sha256"])
        assert answer["filename"] == f"agreement-mieli-a-2027-v{version}-{language}.pdf"
        keep(OUTPUT / f"agreement-v{version}-{language}.pdf", data,
             {"fi": "Järjestösopimus", "sv": "Organisationsavtal"}[language], shown["sha256"])


async def test_only_the_parties_get_the_pdf(mieli):
    assert (await pdf(mieli, "fi", actor=COORDINATOR))[1].startswith(b"%PDF-")
    with pytest.raises(Forbidden):
        await pdf(mieli, "fi", actor=OTHER_CONTACT)
