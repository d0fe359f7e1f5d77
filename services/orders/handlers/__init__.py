"""The orders service's handlers: commands and queries from the bus, events from other services, and the
offer-expiry job. Each checks the actor's role and ownership, loads, lets the domain decide, and saves.

Each handler takes its message, its context (who asks; the transaction of a command or consumed event) and
the service's :class:`~services.orders.service.Deps`. The tables below map names on the bus, and each
source service's event classes, to handlers.
"""

from __future__ import annotations

from services.contracts import events as contracts
from services.feedback import events as feedback
from services.orders import messages as m
from services.orders.handlers.attention import check_county_agreements, list_engagements_needing_attention
from services.orders.handlers.engagements import (
    accept_change,
    cancel_engagement,
    close_engagement,
    close_unanswered,
    confirm_delivery,
    decline_change,
)
from services.orders.handlers.offers import accept_offer, decline_offer, expire_offers, make_offer, rank_candidates
from services.orders.handlers.orders import cancel_order, change_order, place_order
from services.orders.handlers.queries import get_engagement, get_order, list_engagements, list_offers, list_orders
from services.orders.handlers.reactions import (
    confirm_engagement,
    keep_registry_view,
    note_cancellation_terms,
    note_fee_approved,
    note_fee_paid,
    note_feedback_complete,
    note_form_in,
    on_expert_erased,
    on_orderer_erased,
)
from services.orders.handlers.routes import (
    decline_order,
    list_incoming_orders,
    list_orders_to_route,
    propose_experts,
    route_order,
    take_order,
)
from services.registry import events as registry
from shared.handling import Commands, Consumed, Queries

__all__ = ["COMMANDS", "CONSUMES", "QUERIES", "check_county_agreements", "close_unanswered", "expire_offers"]

COMMANDS: Commands = {
    "place_order": (m.PlaceOrder, place_order),
    "change_order": (m.ChangeOrder, change_order),
    "cancel_order": (m.CancelOrder, cancel_order),
    "make_offer": (m.MakeOffer, make_offer),
    "rank_candidates": (m.RankCandidates, rank_candidates),
    "accept_offer": (m.AnswerOffer, accept_offer),
    "decline_offer": (m.DeclineOffer, decline_offer),
    "confirm_delivery": (m.ConfirmDelivery, confirm_delivery),
    "cancel_engagement": (m.CancelEngagement, cancel_engagement),
    "close_engagement": (m.EngagementCommand, close_engagement),
    "accept_change": (m.EngagementCommand, accept_change),
    "decline_change": (m.DeclineChange, decline_change),
    "take_order": (m.TakeOrder, take_order),
    "route_order": (m.RouteOrder, route_order),
    "propose_experts": (m.ProposeExperts, propose_experts),
    "decline_order": (m.DeclineOrder, decline_order),
}

QUERIES: Queries = {
    "get_order": (m.GetOrder, get_order),
    "get_engagement": (m.GetEngagement, get_engagement),
    "list_engagements": (m.ListEngagements, list_engagements),
    "list_offers": (m.ListOffers, list_offers),
    "list_orders": (m.ListOrders, list_orders),
    "list_incoming_orders": (m.ListIncomingOrders, list_incoming_orders),
    "list_orders_to_route": (m.ListOrdersToRoute, list_orders_to_route),
    "list_engagements_needing_attention": (m.ListEngagementsNeedingAttention, list_engagements_needing_attention),
}

REGISTRY_FACTS = (
    registry.ExpertListed, registry.ExpertUnlisted, registry.OrganizationRegistered,
    registry.ExpertRegistered, registry.ExpertJoinedOrganization, registry.ExpertLeftOrganization,
    registry.TrainingCompleted, registry.ExpertDeactivated, registry.AvailabilityChanged,
    registry.OrganizationAgreementSigned, registry.OrganizationAgreementEnded,
    registry.OrdererCredentialsGranted, registry.OrdererCredentialsRevoked,
)

CONSUMES: Consumed = {
    "registry": {**dict.fromkeys(REGISTRY_FACTS, keep_registry_view), registry.ExpertErased: on_expert_erased,
                 registry.OrdererErased: on_orderer_erased},
    "contracts": {
        contracts.ContractFullySigned: confirm_engagement,
        contracts.FeeApproved: note_fee_approved,
        contracts.ContractCancelled: note_cancellation_terms,
        contracts.FeePaid: note_fee_paid,
    },
    "feedback": {
        feedback.FeedbackSubmitted: note_form_in,
        feedback.FeedbackCompleted: note_feedback_complete,
    },
}
