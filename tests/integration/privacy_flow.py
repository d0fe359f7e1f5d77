"""The privacy-marker flow: a marker value planted in every sealed field it can fill, through the same NATS
commands any client sends; which sealed fields it cannot fill, and where a marker in clear is allowed."""

from __future__ import annotations

import datetime as dt
import uuid

from shared.messaging.rpc import RemoteError, request as rpc_request
from tests.agreement_steps import agree
from tests.callers import request
from tests.conftest import eventually
from tests.unit.feedback.questionnaires import VERSION_2 as QUESTIONNAIRE_V2

COORDINATOR = {"id": "anna", "role": "coordinator", "organization_id": "varha"}
CONTACT = {"id": "olli", "role": "organization_contact", "organization_id": "mieli"}
EXPERT = {"id": "maija", "role": "expert"}
ORDERER = {"id": "school", "role": "orderer"}
TODAY = dt.date.today()
AWAY_FROM, AWAY_UNTIL = TODAY + dt.timedelta(days=123), TODAY + dt.timedelta(days=124)


def marker(name: str) -> str:
    return f"mk{uuid.uuid4().hex[:12]}{name.replace('_', '')}"


# Every planted value, by the sealed event field it goes into (None: the field carries another's value, named
# beside it). Phone numbers and dates cannot carry letters: theirs are values nothing else in the flow has.
MARKERS = {
    "ContactPersonAppointed.name": marker("contact_name"),
    "ContactPersonAppointed.email": f"{marker('contact_email')}@example.org",
    "ContactPersonRemoved.reason": marker("contact_removed"),
    "ExpertRegistered.name": marker("expert_name"),
    "ExpertRegistered.email": f"{marker('expert_email')}@example.org",
    "ExpertRegistered.phone": "+358 40 7391 2864",
    "ExpertRegistered.experience": marker("experience"),
    "ExpertListed.topics": marker("topic"),
    "ExpertProfileChanged.themes": marker("theme"),
    "ExpertProfileChanged.municipality": marker("municipality"),
    "ExpertProfileChanged.introduction": marker("introduction"),
    "ExpertProfileChanged.cv": marker("cv"),
    "ExpertProfileChanged.video_url": f"https://video.example.org/{marker('video')}",
    # The approved profile carries the same values.
    **{f"ProfileApproved.{name}": None for name in ("themes", "municipality", "introduction", "cv", "video_url")},
    "ProfileReturned.reason": marker("returned"),
    "AvailabilityChanged.blackouts": AWAY_FROM.isoformat(),
    "ExpertUnlisted.reason": marker("unlisted"),
    "ExpertDeactivated.reason": marker("deactivated"),
    "OrdererCredentialsGranted.orderer_name": marker("orderer_name"),
    "OrdererCredentialsGranted.email": f"{marker('orderer_email')}@example.org",
    "OrdererCredentialsRevoked.reason": marker("revoked"),
    "OrderPlaced.topic": marker("order_topic"),
    "OrderPlaced.place": marker("order_place"),
    "OrderChanged.topic": marker("changed_topic"),
    "OrderChanged.place": marker("changed_place"),
    "OfferDeclined.reason": marker("declined"),
    "EngagementOpened.topic": None,  # the order's topic as changed: OrderChanged.topic
    "EngagementOpened.place": None,  # the order's place as changed: OrderChanged.place
    "EngagementCancelled.reason": marker("cancelled"),
    "EngagementChangeProposed.place": marker("proposed_place"),
    "EngagementChangeAccepted.place": None,  # the place the expert accepted: EngagementChangeProposed.place
    "EngagementChangeDeclined.reason": marker("change_declined"),
    "ContractAmended.place": marker("amended_place"),
    "IncomeLimitSet.annual_limit": "48213.57",  # an amount of euros, unlike any other in the flow
    "IncomeLimitSet.monthly_limit": "4017.79",
    "OrderCancelled.reason": marker("order_cancelled"),
    "OfferWithdrawn.reason": None,  # the order's cancellation reason: OrderCancelled.reason
    "OrderDeclinedByOrganization.reason": marker("org_declined"),
    "FeedbackSubmitted.free_text": marker("free_text"),
    "FeedbackSubmitted.sealed_ratings": '"own_wellbeing"',  # the question's id as a JSON key: a rating is a digit
    "FeedbackSubmitted.texts": marker("texts"),  # the answer to a free-text question of version 2
    "SignedIn.email": None,  # the expert's address, signed in with: ExpertRegistered.email
    "ContactDetailsSet.email": f"{marker('notify_email')}@example.org",
    "ContactDetailsSet.phone": "+358457391286",
}

# The planted values about the expert herself: her right of access (the "My data" page's sources, each asked in
# her name) must hand every one of them over before her erasure, and none after.
EXPERTS_OWN = (
    "ExpertRegistered.name", "ExpertRegistered.email", "ExpertRegistered.phone", "ExpertRegistered.experience",
    "ExpertListed.topics", "ExpertProfileChanged.themes", "ExpertProfileChanged.municipality",
    "ExpertProfileChanged.introduction", "ExpertProfileChanged.cv", "ExpertProfileChanged.video_url",
    "ProfileReturned.reason", "AvailabilityChanged.blackouts", "ExpertUnlisted.reason", "ExpertDeactivated.reason",
    "OfferDeclined.reason", "EngagementCancelled.reason", "EngagementChangeDeclined.reason",
    "IncomeLimitSet.annual_limit", "IncomeLimitSet.monthly_limit", "FeedbackSubmitted.free_text",
    "FeedbackSubmitted.sealed_ratings", "ContactDetailsSet.email", "ContactDetailsSet.phone",
)

# Sealed fields this flow cannot fill, each with why and where else it is shown sealed.
NOT_REACHED = {
    "ExpenseClaimFiled.route": "a claim comes after the task's day, which this flow's order (20 days ahead) has not "
                               "reached; tests/integration/contracts/test_contracts_service.py sees it sealed",
    "ExpenseLineReturned.reason": "a line is returned only from a claim (see ExpenseClaimFiled.route); "
                                  "tests/unit/contracts/test_expenses.py sees it sealed",
    "ContractDrafted.topic": "contracts reads the order's topic as orders sealed it, erased: it never holds one",
    "ContractDrafted.place": "contracts reads the order's place as orders sealed it, erased: it never holds one",
    # Raised in this flow (the expert answers their own wellbeing 2), but these are ids, which cannot carry a
    # marker and are clear elsewhere by design; what is sealed is their being together in this event.
    "WellbeingFollowUpRaised.expert_id": "the expert's id; tests/unit/feedback/test_wellbeing.py and "
                                         "tests/integration/feedback/test_feedback_service.py see the event and "
                                         "its envelope name neither the expert nor the engagement",
    "WellbeingFollowUpRaised.engagement_id": "the engagement's id; sealed, as its expert_id",
}

# The owner's own decrypted projections: a service keeps in its tables what it opened of its own events, because
# it answers the queries that show them to those allowed to see them; each is dropped or redacted when the
# subject is erased (the registry's by ExpertErased, feedback's by forget_sealed_answers). Anything else holding
# a marker in clear is a leak.
ALLOWED: dict[tuple[str, str], set[str]] = {
    # The bank and the profiles are what the registry searches (search_bank by topic; find_experts by theme,
    # municipality and the days the expert is available): it is the one service that may open them.
    ("registry", "bank"): {"ExpertListed.topics"},
    ("registry", "profiles"): {"ExpertProfileChanged.themes", "ExpertProfileChanged.municipality",
                               "AvailabilityChanged.blackouts"},
    # The orderers' names, for coordinators' lists and for naming the viewer in an expert's access log.
    ("registry", "orderers"): {"OrdererCredentialsGranted.orderer_name"},
    # Feedback's own report rows: the follow-up report averages the own-wellbeing rating.
    ("feedback", "forms"): {"FeedbackSubmitted.sealed_ratings"},
    # And the report's rollup of them, by day and group (a day's sum may rest on one person's answer).
    ("feedback", "rollup"): {"FeedbackSubmitted.sealed_ratings"},
}


async def ask(nc, subject: str, body: dict):
    """As a retrying client sends it (the demo does): each command with a command_id, so its reply is kept."""
    if ".cmd." in subject:
        body = {**body, "command_id": str(uuid.uuid4())}
    return await request(nc, f"kokemus.{subject}", body)


async def once_seen(call):
    """Retry a request refused only because a consumer has not yet seen what it needs."""
    async def attempt():
        try:
            return await call()
        except RemoteError as error:
            assert error.code in {"forbidden", "validation", "conflict", "not_found"}, error
            return None
    return await eventually(attempt, timeout=30)


async def status_of(nc, engagement_id: str) -> str:
    return (await ask(nc, "orders.query.get_engagement", {"actor": ORDERER, "engagement_id": engagement_id}))["status"]


async def engage(nc) -> None:
    m = MARKERS
    await ask(nc, "registry.cmd.register_organization",
              {"actor": COORDINATOR, "organization_id": "varha", "name": "Varha", "kind": "county"})
    await ask(nc, "registry.cmd.register_organization", {"actor": COORDINATOR, "organization_id": "mieli",
                                                         "name": "Mieli ry", "kind": "ngo"})
    await ask(nc, "registry.cmd.appoint_contact_person", {
        "actor": COORDINATOR, "organization_id": "mieli", "person_id": "liisa",
        "name": m["ContactPersonAppointed.name"], "email": m["ContactPersonAppointed.email"]})
    await agree(lambda name, actor, body: ask(nc, f"registry.{name}", {"actor": actor, **body}), COORDINATOR,
                {"id": "liisa", "role": "organization_contact", "organization_id": "mieli"}, "mieli", "a-1",
                TODAY - dt.timedelta(days=10), TODAY + dt.timedelta(days=300))
    await ask(nc, "registry.cmd.define_theme", {"actor": COORDINATOR, "theme_id": "eating-disorders",
                                                "name_fi": "Syömishäiriöt", "name_sv": "Ätstörningar",
                                                "name_en": "Eating disorders"})
    await ask(nc, "registry.cmd.define_theme", {"actor": COORDINATOR, "theme_id": m["ExpertProfileChanged.themes"],
                                                "name_fi": "x", "name_sv": "x", "name_en": "x"})
    await ask(nc, "registry.cmd.register_expert", {
        "actor": CONTACT, "expert_id": "maija", "organization_id": "mieli", "name": m["ExpertRegistered.name"],
        "email": m["ExpertRegistered.email"], "phone": m["ExpertRegistered.phone"],
        "experience": m["ExpertRegistered.experience"]})
    await ask(nc, "registry.cmd.record_training",
              {"actor": CONTACT, "expert_id": "maija", "completed_on": str(TODAY), "trained_by": "mieli"})
    await ask(nc, "registry.cmd.give_consent", {"actor": EXPERT, "expert_id": "maija"})
    await ask(nc, "notifications.cmd.set_contact", {"actor": EXPERT, "email": m["ContactDetailsSet.email"],
                                                    "phone": m["ContactDetailsSet.phone"]})
    await ask(nc, "registry.cmd.change_profile", {
        "actor": EXPERT, "expert_id": "maija",
        "themes": [{"theme": m["ExpertProfileChanged.themes"], "relation": "own"}],
        "municipality": m["ExpertProfileChanged.municipality"], "introduction": m["ExpertProfileChanged.introduction"],
        "cv": m["ExpertProfileChanged.cv"], "video_url": m["ExpertProfileChanged.video_url"]})
    await ask(nc, "registry.cmd.submit_profile", {"actor": EXPERT, "expert_id": "maija"})
    await ask(nc, "registry.cmd.return_profile",
              {"actor": CONTACT, "expert_id": "maija", "reason": m["ProfileReturned.reason"]})
    await ask(nc, "registry.cmd.submit_profile", {"actor": EXPERT, "expert_id": "maija"})
    await ask(nc, "registry.cmd.approve_profile", {"actor": CONTACT, "expert_id": "maija"})
    await ask(nc, "registry.cmd.set_availability", {
        "actor": EXPERT, "expert_id": "maija", "weekdays": [1, 2, 3, 4, 5, 6, 7],
        "blackouts": [{"starts_on": str(AWAY_FROM), "ends_on": str(AWAY_UNTIL)}]})
    await ask(nc, "registry.cmd.list_expert",
              {"actor": CONTACT, "expert_id": "maija", "topics": [m["ExpertListed.topics"]]})
    await ask(nc, "registry.cmd.grant_credentials", {
        "actor": COORDINATOR, "orderer_id": "school", "orderer_name": m["OrdererCredentialsGranted.orderer_name"],
        "email": m["OrdererCredentialsGranted.email"]})
    # The expert signs in (the development sign-in, as on the embedded stack) with their address.
    await rpc_request(nc, "kokemus.identity.cmd.development_sign_in",
                      {"email": m["ExpertRegistered.email"], "act_as": {"role": "expert"}})

    def order(topic: str, place: str) -> dict:
        return {"actor": ORDERER, "task_type": "lecture", "topic": topic, "place": place,
                "date": str(TODAY + dt.timedelta(days=20)), "duration_hours": "3", "experts_wanted": 1,
                "county_service": True, "fee": {"mode": "recommended"}}

    async def offered(order_id: str) -> str:
        made = await once_seen(lambda: ask(nc, "orders.cmd.make_offer",
                                           {"actor": ORDERER, "order_id": order_id, "expert_id": "maija"}))
        return made["offer_id"]

    # The first order: changed, offered, declined with a reason, offered again, accepted, done, given feedback.
    first = await once_seen(lambda: ask(nc, "orders.cmd.place_order",
                                        order(m["OrderPlaced.topic"], m["OrderPlaced.place"])))
    order_id = first["order_id"]
    await ask(nc, "orders.cmd.change_order", {"actor": ORDERER, "order_id": order_id,
                                              "topic": m["OrderChanged.topic"], "place": m["OrderChanged.place"]})
    declined = {"actor": EXPERT, "order_id": order_id, "offer_id": await offered(order_id)}
    await ask(nc, "orders.cmd.decline_offer", {**declined, "reason": m["OfferDeclined.reason"]})
    engagement_id = (await ask(nc, "orders.cmd.accept_offer", {
        "actor": EXPERT, "order_id": order_id, "offer_id": await offered(order_id)}))["engagement_id"]
    await once_seen(lambda: ask(nc, "contracts.cmd.sign_contract",
                                {"actor": EXPERT, "engagement_id": engagement_id, "party": "expert"}))
    await ask(nc, "contracts.cmd.sign_contract", {"actor": ORDERER, "engagement_id": engagement_id, "party": "orderer"})
    # A change after acceptance, which the expert accepts (the contract is amended), and another she declines.
    await ask(nc, "orders.cmd.change_order", {"actor": ORDERER, "order_id": order_id,
                                              "place": m["EngagementChangeProposed.place"]})
    await ask(nc, "orders.cmd.accept_change", {"actor": EXPERT, "engagement_id": engagement_id})
    await ask(nc, "orders.cmd.change_order", {"actor": ORDERER, "order_id": order_id, "start_time": "15:00"})
    await ask(nc, "orders.cmd.decline_change", {"actor": EXPERT, "engagement_id": engagement_id,
                                                "reason": m["EngagementChangeDeclined.reason"]})
    await once_seen(lambda: ask(nc, "contracts.cmd.amend_contract", {
        "actor": COORDINATOR, "engagement_id": engagement_id, "place": m["ContractAmended.place"]}))
    await ask(nc, "contracts.cmd.set_income_limit", {"actor": EXPERT, "expert_id": "maija",
                                                     "annual_limit": m["IncomeLimitSet.annual_limit"],
                                                     "monthly_limit": m["IncomeLimitSet.monthly_limit"]})
    await once_seen(lambda: ask(nc, "orders.cmd.confirm_delivery", {
        "actor": ORDERER, "engagement_id": engagement_id, "actual_hours": "3", "kilometres": "12"}))
    await once_seen(lambda: ask(nc, "feedback.cmd.submit_feedback", {
        "actor": EXPERT, "engagement_id": engagement_id, "form": "self_assessment",
        "ratings": {"preparation": 5, "own_wellbeing": 2, "experience_heard": 5, "would_do_again": 5},
        "free_text": m["FeedbackSubmitted.free_text"]}))
    # The coordinator changed the orderer's questionnaire meanwhile: version 2 has a free-text question.
    await ask(nc, "feedback.cmd.define_questionnaire", {"actor": COORDINATOR, "form": "orderer_feedback",
                                                        "questions": QUESTIONNAIRE_V2})
    await ask(nc, "feedback.cmd.submit_feedback", {
        "actor": ORDERER, "engagement_id": engagement_id, "form": "orderer_feedback",
        "ratings": {q["id"]: 4 for q in QUESTIONNAIRE_V2 if q["kind"] == "scale"}, "choices": {"channel": "direct"},
        "texts": {"learned": m["FeedbackSubmitted.texts"]}, "free_text": m["FeedbackSubmitted.free_text"]})

    async def closed():
        return await status_of(nc, engagement_id) == "closed"
    await eventually(closed, timeout=30)


async def cancel_and_end(nc) -> None:
    m = MARKERS

    def order(topic: str) -> dict:
        return {"actor": ORDERER, "task_type": "lecture", "topic": topic, "place": "Turku",
                "date": str(TODAY + dt.timedelta(days=20)), "duration_hours": "3", "experts_wanted": 1,
                "county_service": True, "fee": {"mode": "recommended"}}

    async def offered(order_id: str) -> str:
        made = await ask(nc, "orders.cmd.make_offer", {"actor": ORDERER, "order_id": order_id, "expert_id": "maija"})
        return made["offer_id"]

    # The second: accepted, then cancelled by the expert with a reason.
    second = (await ask(nc, "orders.cmd.place_order", order("Second")))["order_id"]
    cancelled = (await ask(nc, "orders.cmd.accept_offer", {
        "actor": EXPERT, "order_id": second, "offer_id": await offered(second)}))["engagement_id"]
    await ask(nc, "orders.cmd.cancel_engagement",
              {"actor": EXPERT, "engagement_id": cancelled, "reason": m["EngagementCancelled.reason"]})
    # The third: offered, then cancelled by the orderer with a reason, which withdraws the open offer.
    third = (await ask(nc, "orders.cmd.place_order", order("Third")))["order_id"]
    await offered(third)
    await ask(nc, "orders.cmd.cancel_order", {"actor": ORDERER, "order_id": third,
                                              "reason": m["OrderCancelled.reason"]})

    # The fourth: addressed to the organization, whose contact person declines it with a reason.
    fourth = (await ask(nc, "orders.cmd.place_order", {**order("Fourth"), "organization_id": "mieli"}))["order_id"]
    await ask(nc, "orders.cmd.decline_order", {"actor": CONTACT, "order_id": fourth,
                                               "reason": m["OrderDeclinedByOrganization.reason"]})

    # The registry's endings, each with its reason.
    await ask(nc, "registry.cmd.unlist_expert", {"actor": CONTACT, "expert_id": "maija",
                                                 "reason": m["ExpertUnlisted.reason"]})
    await ask(nc, "registry.cmd.deactivate_expert", {"actor": CONTACT, "expert_id": "maija",
                                                     "reason": m["ExpertDeactivated.reason"]})
    await ask(nc, "registry.cmd.remove_contact_person", {"actor": COORDINATOR, "organization_id": "mieli",
                                                         "person_id": "liisa",
                                                         "reason": m["ContactPersonRemoved.reason"]})
    await ask(nc, "registry.cmd.revoke_credentials", {"actor": COORDINATOR, "orderer_id": "school",
                                                      "reason": m["OrdererCredentialsRevoked.reason"]})
