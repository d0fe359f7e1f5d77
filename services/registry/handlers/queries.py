"""What the registry answers: the bank, profiles, consents, who viewed, the situational picture, lists."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from services.registry import messages as m
from services.registry.domain import Agreement, Expert, OrdererCredentials, Organization, Profile
from services.registry.events import ConsentExpired, ConsentGiven, ConsentPurpose, ConsentWithdrawn, ContactPreference
from services.registry.handlers.access import (
    is_self,
    own_or_chosen,
    record_access,
    require_credentials,
    require_may_search,
    require_speaks_for,
    speaks_for,
)
from services.registry.views import BankQuery
from shared.clock import TIMEZONE
from shared.errors import Forbidden
from shared.events import Role
from shared.handling import QueryContext

if TYPE_CHECKING:
    from services.registry.service import Deps


ASSIGNMENTS_COUNTED_DAYS = 365  # "recent" assignments and activity: within this many days


async def search_bank(query: m.SearchBank, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Every listed expert matching a free topic, a language and a region, as listed (an orderer with valid
    credentials, a contact person, or a coordinator). The search is recorded."""
    await require_may_search(ctx, deps)
    results = []
    for entry in await deps.views.search_bank(topic=query.topic, language=query.language, region=query.region):
        expert = await deps.uow.load(Expert, entry.expert_id, what="expert")
        results.append({**entry.as_dict(), "name": expert.name})
    await record_access(deps, ctx.actor, query.purpose, search=[entry["expert_id"] for entry in results])
    return results


async def find_experts(query: m.FindExperts, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """The bank's search, ranked and a page at a time: by themes (own experience or a close relative's), region,
    municipality, language, organization, task kind, further training and availability on a date (an orderer
    with valid credentials, a contact person, or a coordinator). Who searched, and whom they were shown, is
    recorded."""
    await require_may_search(ctx, deps)
    since = deps.clock.now() - dt.timedelta(days=ASSIGNMENTS_COUNTED_DAYS)
    found = await deps.views.find_in_bank(BankQuery(
        themes=tuple(query.themes), relation=query.relation, region=query.region, municipality=query.municipality,
        language=query.language, organization_id=query.organization_id,
        task_kind=query.task_kind.value if query.task_kind else None, further_training=query.further_training,
        available_on=query.available_on, since=since, offset=(query.page - 1) * query.page_size,
        limit=query.page_size))
    results = []
    for entry in found.entries:
        expert = await deps.uow.load(Expert, entry.expert_id, what="expert")
        shown = expert.published or Profile()
        results.append({**entry.as_dict(), "name": expert.name, "introduction": shown.introduction,
                        "available_on": expert.availability.available_on(query.available_on)
                        if query.available_on else None})
    await record_access(deps, ctx.actor, query.purpose, search=[entry.expert_id for entry in found.entries])
    return {"total": found.total, "page": query.page, "page_size": query.page_size, "results": results}


async def experts_away(query: m.ExpertsAway, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """Which of the experts marked the day as a date away: only which, never their dates nor why (for someone who
    may search the bank: orders asks it in the name of the orderer or coordinator making an offer). Whom it was
    asked about is recorded, as a search is."""
    await require_may_search(ctx, deps)
    away = []
    for expert_id in dict.fromkeys(query.expert_ids):
        expert = await deps.uow.load(Expert, expert_id, must_exist=False)
        if any(period.starts_on <= query.date <= period.ends_on for period in expert.availability.blackouts):
            away.append(expert_id)
    await record_access(deps, ctx.actor, query.purpose, search=list(dict.fromkeys(query.expert_ids)))
    return {"date": str(query.date), "away": away}


def _consents(expert: Expert, today: dt.date) -> list[dict[str, Any]]:
    return [{"purpose": c.purpose, "given_on": str(c.given_on) if c.given_on else None,
             "valid_until": str(c.valid_until) if c.valid_until else None, "in_force": c.in_force(today)}
            for c in sorted(expert.consents.values(), key=lambda c: c.purpose)]


def _contact_for_orderer(expert: Expert, today: dt.date) -> dict[str, Any]:
    """How an orderer reaches the expert: directly only as the expert wishes and with their consent to it."""
    shown = expert.published or Profile()
    direct = ConsentPurpose.orderer_contact.value in expert.consents_on(today)
    preference = shown.contact_preference if direct else ContactPreference.through_organization
    contact: dict[str, Any] = {"contact_preference": preference.value}
    if preference is ContactPreference.email:
        contact["email"] = expert.email
    elif preference is ContactPreference.phone:
        contact["phone"] = expert.phone
    return contact


async def get_expert(query: m.GetExpert, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """An expert's profile: in full for the expert, their organization's contacts and coordinators; for an
    orderer, only while the expert is listed, the profile the bank shows and the contact the expert allows.
    Every reading by someone other than the expert is recorded."""
    expert = await deps.uow.load(Expert, query.expert_id, what="expert")
    today = deps.clock.today()
    profile = {"expert_id": expert.id, "name": expert.name, "listed": expert.listed, "erased": expert.erased}
    published = expert.published.as_dict() if expert.published else None
    if is_self(ctx.actor, expert) or speaks_for(ctx.actor, expert.organization_ids):
        if not is_self(ctx.actor, expert):
            await record_access(deps, ctx.actor, query.purpose, view=expert.id)
        return {**profile, "organization_ids": expert.organization_ids, "email": expert.email, "phone": expert.phone,
                "experience": expert.experience, "trainings": expert.trainings,
                "training_records": [{"name": r.name, "kind": r.kind.value, "programme_id": r.programme_id,
                                      "completed_on": str(r.completed_on), "trained_by": r.trained_by}
                                     for r in expert.training_records],
                "consented": expert.consented, "consents": _consents(expert, today),
                "active": expert.active, "county_trained": expert.county_trained,
                "memberships_offered": list(expert.offered_memberships),
                "profile": expert.draft.as_dict(), "published": published,
                "review": {"state": expert.review.state, "listing_requested": expert.review.listing_requested,
                           "returned_reason": expert.review.returned_reason},
                "availability": {"weekdays": expert.availability.weekdays,
                                 "blackouts": [{"starts_on": str(b.starts_on), "ends_on": str(b.ends_on)}
                                               for b in expert.availability.blackouts]},
                "listing_problems": [p.reason for p in expert.listing_problems(today)]}
    if ctx.actor.role is Role.orderer and expert.listed:
        await require_credentials(ctx, deps)
        await record_access(deps, ctx.actor, query.purpose, view=expert.id)
        return {**profile, "organization_ids": expert.organization_ids, "published": published,
                "further_trainings": expert.further_trainings,
                "availability": {"weekdays": expert.availability.weekdays,
                                 "blackouts": [{"starts_on": str(b.starts_on), "ends_on": str(b.ends_on)}
                                               for b in expert.availability.blackouts]},
                **_contact_for_orderer(expert, today)}
    raise Forbidden("only the expert, their organization's contact person, a coordinator, or an orderer (for a "
                    "listed expert) may see this")


async def profiles_to_review(query: m.ProfilesToReview, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Profiles waiting for review, the longest waiting first (a contact person: their organization's members';
    a coordinator: one organization's, or everyone's)."""
    organization_id = own_or_chosen(ctx, query.organization_id)
    waiting = []
    for item in await deps.views.profiles_to_review(organization_id):
        expert = await deps.uow.load(Expert, item.expert_id, what="expert")
        waiting.append({"expert_id": item.expert_id, "name": expert.name, "listing": item.listing,
                        "submitted_at": item.submitted_at.isoformat(), "organization_ids": expert.organization_ids})
    return waiting


async def consent_history(query: m.ConsentHistory, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """Every consent the expert has given, when it was given, until when, and when and how it ended; with
    ``at``, which were in force at that moment (the expert, their organization's contact, or a coordinator)."""
    expert = await deps.uow.load(Expert, query.expert_id, what="expert")
    if not (is_self(ctx.actor, expert) or speaks_for(ctx.actor, expert.organization_ids)):
        raise Forbidden("only the expert, their organization's contact person or a coordinator may see this")
    history: list[dict[str, Any]] = []
    open_by_purpose: dict[str, dict[str, Any]] = {}
    for event in await deps.uow.store.read_stream(Expert.stream_id(expert.id)):
        payload = event.payload
        if isinstance(payload, ConsentGiven):
            held = open_by_purpose.get(payload.scope)
            if held is not None:
                held.update(ended_at=event.recorded_at.isoformat(), ended_by="renewed")
            entry = {"purpose": payload.scope, "given_at": event.recorded_at.isoformat(),
                     "given_on": str(payload.given_on) if payload.given_on else None,
                     "valid_until": str(payload.valid_until) if payload.valid_until else None,
                     "ended_at": None, "ended_by": None}
            history.append(entry)
            open_by_purpose[payload.scope] = entry
        elif isinstance(payload, ConsentWithdrawn | ConsentExpired) and payload.scope in open_by_purpose:
            open_by_purpose.pop(payload.scope).update(
                ended_at=event.recorded_at.isoformat(),
                ended_by="withdrawn" if isinstance(payload, ConsentWithdrawn) else "expired")
    answer: dict[str, Any] = {"expert_id": expert.id, "history": history}
    if query.at is not None:
        moment = query.at
        day = moment.astimezone(TIMEZONE).date()
        answer["at"] = moment.isoformat()
        answer["in_force"] = sorted({
            entry["purpose"] for entry in history
            if dt.datetime.fromisoformat(entry["given_at"]) <= moment
            and (entry["ended_at"] is None or moment < dt.datetime.fromisoformat(entry["ended_at"])
                 or entry["ended_by"] == "renewed")
            and (entry["valid_until"] is None or day <= dt.date.fromisoformat(entry["valid_until"]))})
    return answer


def _access_rows(rows: list[Any], orderer_names: dict[str, str]) -> list[dict[str, Any]]:
    return [{"at": row.at.isoformat(), "kind": row.kind, "viewer_id": row.viewer_id, "viewer_role": row.viewer_role,
             "viewer_organization_id": row.viewer_organization_id, "purpose": row.purpose,
             "expert_id": row.expert_id,
             "viewer_name": orderer_names.get(row.viewer_id) if row.viewer_role == Role.orderer.value else None}
            for row in rows]


async def who_viewed(query: m.WhoViewed, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Who has searched for or looked at the expert's profile, when, in which role and for what purpose, the
    latest first (the expert themself, or a coordinator): the data subject's right of access."""
    if not (is_self(ctx.actor, Expert(query.expert_id)) or ctx.actor.role is Role.coordinator):
        raise Forbidden("only the expert themself or a coordinator may see who has viewed the expert's profile")
    names = {row.orderer_id: row.orderer_name for row in await deps.views.orderers()}
    return _access_rows(await deps.views.access_log(expert_id=query.expert_id), names)


async def access_log(query: m.AccessLog, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The log of who searched for or looked at whom, the latest first, by expert, viewer or date (coordinator)."""
    ctx.require_role(Role.coordinator)
    names = {row.orderer_id: row.orderer_name for row in await deps.views.orderers()}
    since = dt.datetime.combine(query.since, dt.time(), TIMEZONE) if query.since else None
    return _access_rows(await deps.views.access_log(expert_id=query.expert_id, viewer_id=query.viewer_id,
                                                    since=since, limit=query.limit), names)


async def situation(query: m.Situation, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The situational picture: per organization, its experts trained, listed and active in the last year, the
    listed ones by theme and region, and the trainings it has run (a contact person: their own; a coordinator:
    one organization or every one)."""
    organization_id = own_or_chosen(ctx, query.organization_id)
    since = deps.clock.now() - dt.timedelta(days=ASSIGNMENTS_COUNTED_DAYS)
    return [row.__dict__ for row in await deps.views.situation(organization_id, since)]


def _agreement_summary(agreement: Agreement) -> dict[str, Any]:
    """The dates it is in force for (none before both parties have signed), its status and latest version."""
    in_force = agreement.in_force
    return {"valid_from": str(in_force[0]) if in_force else None,
            "valid_until": str(in_force[1]) if in_force and in_force[1] else None,
            "status": agreement.status, "version": len(agreement.versions) or None,
            "ended_on": str(agreement.ended[0]) if agreement.ended else None}


async def get_organization(query: m.GetOrganization, ctx: QueryContext, deps: Deps) -> dict[str, Any]:
    """An organization and its agreements (any authenticated actor gets the same view); its contact persons by
    name for coordinators and the organization's own contact persons only."""
    organization = await deps.uow.load(Organization, query.organization_id, what="organization")
    found: dict[str, Any] = {
        "organization_id": organization.id, "name": organization.name,
        "kind": organization.kind.value if organization.kind else None,
        "agreements": {aid: _agreement_summary(agreement) for aid, agreement in organization.agreements.items()},
    }
    if speaks_for(ctx.actor, organization.id):
        found["contacts"] = [{"person_id": person_id, "name": name}
                             for person_id, name in organization.contacts.items()]
    return found


async def list_organizations(query: m.ListOrganizations, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Every registered organization, by id: its name and kind (anyone signed in, as get_organization)."""
    return [row.__dict__ for row in await deps.views.organizations()]


async def list_orderers(query: m.ListOrderers, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """Every orderer ever granted credentials, with the address they sign in with and whether the credentials
    hold today (coordinator)."""
    ctx.require_role(Role.coordinator)
    today = deps.clock.today()
    listed = []
    for row in await deps.views.orderers():
        credentials = await deps.uow.load(OrdererCredentials, row.orderer_id, what="orderer")
        listed.append({**row.__dict__, "valid_until": str(row.valid_until) if row.valid_until else None,
                       "email": credentials.email,
                       "valid": await deps.views.credentials_valid(row.orderer_id, today, row.organization_id)})
    return listed


async def list_experts(query: m.ListExperts, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The organization's register: each member expert's contact details, trainings, consent, listing and
    whether active (a coordinator, or the organization's contact person)."""
    require_speaks_for(ctx.actor, query.organization_id)
    register = []
    for expert_id in await deps.views.members(query.organization_id):
        expert = await deps.uow.load(Expert, expert_id, what="expert")
        register.append({"expert_id": expert.id, "name": expert.name, "email": expert.email, "phone": expert.phone,
                         "organization_ids": expert.organization_ids, "trainings": expert.trainings,
                         "county_trained": expert.county_trained, "consented": expert.consented,
                         "listed": expert.listed, "active": expert.active, "erased": expert.erased})
    return register


async def whois(query: m.Whois, ctx: QueryContext, deps: Deps) -> list[dict[str, Any]]:
    """The roles the records give whoever signs in with this e-mail address: expert, contact person of an
    organization, orderer with valid credentials (the identity service only)."""
    ctx.require_role(Role.system)
    found = await deps.views.capacities(str(query.email), deps.clock.today())
    return [capacity.model_dump(mode="json") for capacity in found]
