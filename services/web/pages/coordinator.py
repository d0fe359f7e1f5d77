"""The coordinator's pages: organizations and their contact persons (their agreements: agreements.py), orderers'
credentials, rate tables, every engagement and the dead letters (payments are in payments.py, the follow-up report
in follow_up.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.web.forms import Field, Form
from services.web.i18n import N_, gettext as _
from services.web.pages.common import Refused, acting_as, ask, handle_form, posted, redirect
from services.web.rendering import STATUS_NAMES, render
from shared.messaging.rpc import RemoteError

ORGANIZATION_FORM = Form(fields=(
    Field("organization_id", N_("Identifier"), width="short", hint=N_("For example mieli-ry")),
    Field("name", N_("Name")),
    Field("kind", N_("Kind"), kind="radios", options=(("ngo", N_("Organization (NGO)")),
                                                      ("county", N_("Wellbeing services county")))),
), submit=N_("Register the organization"))
CONTACT_FORM = Form(fields=(
    Field("person_id", N_("Identifier"), width="short"),
    Field("name", N_("Full name"), autocomplete="off"),
    Field("email", N_("E-mail address"), kind="email", autocomplete="off",
          hint=N_("The contact person signs in with this address.")),
), submit=N_("Appoint the contact person"))
GRANT_FORM = Form(fields=(
    Field("orderer_id", N_("Identifier"), width="short"),
    Field("orderer_name", N_("Name of the orderer"), hint=N_("A service unit, school or project.")),
    Field("email", N_("E-mail address"), kind="email", autocomplete="off",
          hint=N_("The orderer signs in with this address.")),
    Field("organization_id", N_("Organization"), required=False, width="short"),
    Field("valid_until", N_("Valid until"), kind="date", width="short", required=False),
), submit=N_("Grant credentials"))
REVOKE_FORM = Form(fields=(Field("reason", N_("Why are the credentials revoked?"), kind="textarea"),),
                   submit=N_("Revoke the credentials"))
# The grounds of the GDPR's article 17(1) on which a person's data is erased (services/registry ErasureGround).
ERASURE_GROUNDS = (
    ("no_longer_necessary", N_("No longer needed for what it was collected for")),
    ("consent_withdrawn", N_("The person withdrew their consent")),
    ("objection", N_("The person objected to the processing")),
    ("unlawful", N_("It was processed unlawfully")),
    ("legal_obligation", N_("A law requires the erasure")),
)
ERASE_ORDERER_FORM = Form(fields=(
    Field("ground", N_("On what ground is the data erased?"), kind="radios", options=ERASURE_GROUNDS,
          hint=N_("The orderer's credentials end, and their name and address can no longer be read anywhere. "
                  "The erasure, its ground and who made it are recorded.")),), submit=N_("Erase the orderer's data"))
ERASE_CONTACT_FORM = Form(fields=(
    Field("ground", N_("On what ground is the data erased?"), kind="radios", options=ERASURE_GROUNDS,
          hint=N_("The person stops being a contact person of every organization, and their name and address can "
                  "no longer be read anywhere. The erasure, its ground and who made it are recorded.")),),
    submit=N_("Erase the contact person's data"))
RATE_FORM = Form(fields=(
    Field("rate_table_id", N_("Identifier"), width="short", hint=N_("For example rates-2027")),
    Field("effective_from", N_("In force from"), kind="date", width="short"),
    Field("hourly_fee", N_("Fee in euros an hour"), kind="number", width="short"),
    Field("minimum_fee", N_("Minimum fee in euros"), kind="number", width="short"),
    Field("mileage_per_km", N_("Mileage in euros a kilometre"), kind="number", width="short"),
), submit=N_("Publish the rate table"))
SERVICES = ("registry", "orders", "contracts", "feedback", "audit", "identity")


async def organizations(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    found = await ask(request, person, "registry.query.list_organizations")
    return render(request, "coordinator/organizations.html", {"organizations": found}, person=person)


async def new_organization(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    return await handle_form(request, person, ORGANIZATION_FORM, "registry.cmd.register_organization",
                             "form_page.html", {"title": _("Register an organization"), "back": "/coordinator"},
                             lambda done: f"/coordinator/organizations/{done['organization_id']}",
                             N_("The organization is registered."))


async def organization(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    found = await ask(request, person, "registry.query.get_organization",
                      {"organization_id": request.path_params["organization_id"]})
    return render(request, "coordinator/organization.html", {"organization": found}, person=person)


def _organization_form(form: Form, subject: str, title: str, notice: str):  # type: ignore[no-untyped-def]
    async def page(request: Request) -> Response:
        person = await acting_as(request, "coordinator")
        organization_id = request.path_params["organization_id"]
        back = f"/coordinator/organizations/{organization_id}"
        return await handle_form(request, person, form, subject, "form_page.html",
                                 {"title": _(title), "caption": organization_id, "back": back}, back, notice,
                                 extra={"organization_id": organization_id})
    return page


async def orderers(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    found = await ask(request, person, "registry.query.list_orderers")
    return render(request, "coordinator/orderers.html", {"orderers": found}, person=person)


async def grant(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    return await handle_form(request, person, GRANT_FORM, "registry.cmd.grant_credentials", "form_page.html",
                             {"title": _("Grant credentials to an orderer"), "back": "/coordinator/orderers"},
                             "/coordinator/orderers", N_("The credentials are granted."))


async def revoke(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    orderer_id = request.path_params["orderer_id"]
    return await handle_form(request, person, REVOKE_FORM, "registry.cmd.revoke_credentials", "form_page.html",
                             {"title": _("Revoke the credentials"), "caption": orderer_id,
                              "back": "/coordinator/orderers"}, "/coordinator/orderers",
                             N_("The credentials are revoked."), extra={"orderer_id": orderer_id})


async def erase_orderer(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    orderer_id = request.path_params["orderer_id"]
    return await handle_form(request, person, ERASE_ORDERER_FORM, "registry.cmd.erase_orderer", "form_page.html",
                             {"title": _("Erase an orderer's data"), "caption": orderer_id,
                              "back": "/coordinator/orderers"}, "/coordinator/orderers",
                             N_("The orderer's data is erased."), extra={"orderer_id": orderer_id})


async def erase_contact_person(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    organization_id, person_id = request.path_params["organization_id"], request.path_params["person_id"]
    back = f"/coordinator/organizations/{organization_id}"
    return await handle_form(request, person, ERASE_CONTACT_FORM, "registry.cmd.erase_contact_person",
                             "form_page.html", {"title": _("Erase a contact person's data"), "caption": person_id,
                                                "back": back}, back, N_("The contact person's data is erased."),
                             extra={"person_id": person_id})


async def rates(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    tables = await ask(request, person, "contracts.query.rate_tables")
    return render(request, "coordinator/rates.html", {"tables": list(reversed(tables))}, person=person)


async def new_rates(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    return await handle_form(request, person, RATE_FORM, "contracts.cmd.publish_rate_table", "form_page.html",
                             {"title": _("Publish a rate table"), "back": "/coordinator/rates"},
                             "/coordinator/rates", N_("The rate table is published."))


async def engagements(request: Request) -> Response:
    person = await acting_as(request, "coordinator", "auditor")
    status = request.query_params.get("status") or None
    body = {"status": status} if status in STATUS_NAMES else {}
    rows = await ask(request, person, "orders.query.list_engagements", body)
    return render(request, "coordinator/engagements.html", {"engagements": rows, "status": body.get("status")},
                  person=person)




async def dead_letters(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    letters = {}
    for service in SERVICES:
        try:
            letters[service] = await ask(request, person, f"{service}.query.dead_letters")
        except RemoteError as error:
            letters[service] = error.message
    return render(request, "coordinator/dead_letters.html", {"letters": letters}, person=person)


async def replay(request: Request) -> Response:
    person = await acting_as(request, "coordinator")
    await posted(request)
    service = request.path_params["service"]
    if service not in SERVICES:
        raise Refused("no-such-service", status=404)
    await ask(request, person, f"{service}.cmd.replay_dead_letter",
              {"dead_letter_id": request.path_params["dead_letter_id"]})
    return redirect("/coordinator/dead-letters", N_("The message is sent to be handled again."), request)


ROUTES = [
    Route("/coordinator", organizations),
    Route("/coordinator/organizations/new", new_organization, methods=["GET", "POST"]),
    Route("/coordinator/organizations/{organization_id:str}", organization),
    Route("/coordinator/organizations/{organization_id:str}/contact", _organization_form(
        CONTACT_FORM, "registry.cmd.appoint_contact_person", N_("Appoint a contact person"),
        N_("The contact person is appointed.")), methods=["GET", "POST"]),
    Route("/coordinator/organizations/{organization_id:str}/contacts/{person_id:str}/erase", erase_contact_person,
          methods=["GET", "POST"]),
    Route("/coordinator/orderers", orderers),
    Route("/coordinator/orderers/new", grant, methods=["GET", "POST"]),
    Route("/coordinator/orderers/{orderer_id:str}/revoke", revoke, methods=["GET", "POST"]),
    Route("/coordinator/orderers/{orderer_id:str}/erase", erase_orderer, methods=["GET", "POST"]),
    Route("/coordinator/rates", rates),
    Route("/coordinator/rates/new", new_rates, methods=["GET", "POST"]),
    Route("/coordinator/engagements", engagements),
    Route("/coordinator/dead-letters", dead_letters),
    Route("/coordinator/dead-letters/{service:str}/{dead_letter_id:int}/replay", replay, methods=["POST"]),
]
