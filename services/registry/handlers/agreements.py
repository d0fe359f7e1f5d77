"""Organization agreements between the county and an NGO: drafted and renewed by a coordinator, read and signed by
both parties (a coordinator for the county, a contact person of that organization for it), ended."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from services.registry import messages as m
from services.registry.domain import Organization
from services.registry.domain.agreement_document import TEXTS
from services.registry.domain.agreements import Agreement, Period
from shared.errors import Forbidden
from shared.events import Actor, Role
from shared.handling import CommandContext, QueryContext
from shared.pdf import pdf_base64

if TYPE_CHECKING:
    from services.registry.service import Deps


def agreement_view(agreement: Agreement) -> dict[str, Any]:
    """The agreement's status, the dates it is in force for, and each version with its terms and signatures."""
    in_force, ended = agreement.in_force, agreement.ended
    return {
        "agreement_id": agreement.agreement_id, "status": agreement.status,
        "valid_from": str(in_force[0]) if in_force else None,
        "valid_until": str(in_force[1]) if in_force and in_force[1] else None,
        "ended_on": str(ended[0]) if ended else None,
        "end_reason": ended[1].value if ended and ended[1] else None,
        "versions": [{
            "version": v.terms.version, "valid_from": str(v.terms.valid_from),
            "valid_until": str(v.terms.valid_until) if v.terms.valid_until else None,
            "annual_fee": str(v.terms.annual_fee) if v.terms.annual_fee is not None else None,
            "payment_days": v.terms.payment_days, "notice_days": v.terms.notice_days,
            "signatures": {party.value: {"signer_id": s.signer_id, "language": s.document_language,
                                         "sha256": s.document_hash} for party, s in v.signatures.items()},
        } for v in agreement.versions],
    }


def _period(cmd: m.AgreementTerms) -> Period:
    return Period(cmd.valid_from, cmd.valid_until, cmd.annual_fee, cmd.payment_days, cmd.notice_days)


async def _change(cmd: m.AgreementTerms | m.EndOrganizationAgreement, ctx: CommandContext,
                  change: Callable[[Organization], None]) -> dict[str, Any]:
    """A coordinator's change to one agreement; the reply is the agreement as it now is."""
    ctx.require_role(Role.coordinator)
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    change(organization)
    await ctx.session.save(organization, ctx.meta())
    return {"organization_id": cmd.organization_id} | agreement_view(organization.agreement(cmd.agreement_id))


async def draft_organization_agreement(cmd: m.DraftOrganizationAgreement, ctx: CommandContext,
                                       deps: Deps) -> dict[str, Any]:
    """Draft an agreement between the county and an NGO: its first version, with its dates and terms, for both
    parties to read and sign (coordinator)."""
    return await _change(cmd, ctx, lambda organization: organization.draft_agreement(cmd.agreement_id, _period(cmd)))


async def renew_organization_agreement(cmd: m.RenewOrganizationAgreement, ctx: CommandContext,
                                       deps: Deps) -> dict[str, Any]:
    """Draft the agreement's next version for a further period, continuing it without a gap; both parties sign it
    again (coordinator)."""
    return await _change(cmd, ctx, lambda organization: organization.renew_agreement(cmd.agreement_id, _period(cmd)))


async def end_organization_agreement(cmd: m.EndOrganizationAgreement, ctx: CommandContext,
                                     deps: Deps) -> dict[str, Any]:
    """End an agreement on a day (its last in force), for a reason (coordinator)."""
    return await _change(cmd, ctx, lambda organization: organization.end_agreement(cmd.agreement_id, cmd.ended_on,
                                                                                 cmd.reason))


def _require_party(actor: Actor, organization_id: str) -> None:
    """A coordinator, or a contact person of this organization (not of another)."""
    if not (actor.role is Role.coordinator
            or (actor.role is Role.organization_contact and actor.organization_id == organization_id)):
        raise Forbidden("only a coordinator or a contact person of the organization may read or sign its agreement")


async def sign_organization_agreement(cmd: m.SignOrganizationAgreement, ctx: CommandContext,
                                      deps: Deps) -> dict[str, Any]:
    """Sign the agreement's latest version against the document read (its SHA-256): a coordinator for the county,
    one of the organization's contact persons for it. Signed by both, the version is in force from its first
    day."""
    _require_party(ctx.actor, cmd.organization_id)
    organization = await ctx.session.load(Organization, cmd.organization_id, what="organization")
    organization.sign_agreement(cmd.agreement_id, ctx.actor, cmd.document_hash)
    await ctx.session.save(organization, ctx.meta())
    return {"organization_id": cmd.organization_id} | agreement_view(organization.agreement(cmd.agreement_id))


async def _readable(query: m.OrganizationAgreement, ctx: QueryContext, deps: Deps) -> Organization:
    _require_party(ctx.actor, query.organization_id)
    return await deps.uow.load(Organization, query.organization_id, what="organization")


async def organization_agreement(query: m.OrganizationAgreement, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """One version of the agreement as the document to read and sign, in Finnish or Swedish: its HTML and
    SHA-256, which a signature names, and the agreement's status (a coordinator, the organization's contact
    persons)."""
    organization = await _readable(query, ctx, deps)
    document = organization.documents(query.agreement_id, query.version)[query.language]
    agreement = organization.agreement(query.agreement_id)
    latest = agreement.versions[-1]
    return {"organization_id": organization.id, "organization_name": organization.name,
            "version": document.version, "language": document.language, "sha256": document.sha256,
            "html": document.html, "current_version": latest.terms.version,
            "to_sign": document.version == latest.terms.version and not latest.signed and agreement.ended is None,
            "agreement": agreement_view(agreement)}


async def organization_agreement_pdf(query: m.OrganizationAgreementPdf, ctx: QueryContext,
                                     deps: Deps) -> dict[str, Any]:
    """The same document as PDF (base64), its SHA-256 printed on it (a coordinator, the organization's contact
    persons); ``unavailable`` where WeasyPrint is not installed."""
    organization = await _readable(query, ctx, deps)
    document = organization.documents(query.agreement_id, query.version)[query.language]
    title = f"{TEXTS[document.language]['title']} {query.agreement_id} {document.version}"
    pdf = await pdf_base64(document, title, "the agreement")
    return {"organization_id": organization.id, "agreement_id": query.agreement_id, "version": document.version,
            "language": document.language, "sha256": document.sha256,
            "filename": f"agreement-{organization.id}-{query.agreement_id}-v{document.version}-"
                        f"{document.language}.pdf", "pdf": pdf}
