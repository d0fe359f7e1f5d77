"""The rules of orders, offers and engagements, on the aggregates alone."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from services.orders.domain import (
    Agreement,
    Credentials,
    Engagement,
    EngagementStatus,
    ListedExpert,
    Membership,
    OfferStatus,
    Order,
    check_fee_terms,
)
from services.orders.events import FeeMode, FeeTerms, TaskType
from shared.clock import start_of
from shared.errors import Conflict, Forbidden, Invalid

TODAY = dt.date(2026, 3, 2)
NOW = start_of(TODAY) + dt.timedelta(hours=9)
TASK_DAY = dt.date(2026, 3, 20)
VALID = Credentials("school-1", "school-org")
COUNTY_TRAINED = ListedExpert("maija", county_trained=True)


def place(credentials=VALID, **terms) -> Order:
    values = dict(task_type=TaskType.lecture, topic="recovery", date=TASK_DAY, duration_hours=Decimal(2),
                  place="Turku", remote=False, experts_wanted=1, county_service=False,
                  fee=FeeTerms(mode=FeeMode.recommended))
    values.update(terms)
    return Order.place_order(uuid.uuid4(), "school-1", credentials, TODAY, **values)


def ngo_expert(*agreements: Agreement, is_ngo: bool = True) -> ListedExpert:
    return ListedExpert("pekka", county_trained=False, memberships=(Membership("mieli", is_ngo, agreements),))


def accepted_engagement() -> Engagement:
    order = place()
    offer = order.make_offer(uuid.uuid4(), "maija", COUNTY_TRAINED, NOW, [])
    return order.accept(offer.offer_id, NOW, [], uuid.uuid4())


def confirmed_engagement() -> Engagement:
    engagement = accepted_engagement()
    engagement.confirm(uuid.uuid4())
    return engagement


# -- placing ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("credentials", [
    None,
    Credentials("school-1", revoked=True),
    Credentials("school-1", valid_until=TODAY - dt.timedelta(days=1)),
])
def test_only_an_orderer_with_valid_credentials_places_an_order(credentials):
    with pytest.raises(Forbidden, match="no valid credentials"):
        place(credentials)


def test_credentials_valid_until_today_still_hold():
    assert place(Credentials("school-1", valid_until=TODAY)).exists


def test_an_order_for_a_past_day_is_refused():
    with pytest.raises(Invalid) as error:
        place(date=TODAY - dt.timedelta(days=1))
    assert error.value.fields[0].field == "date"


def test_a_task_needs_a_place_or_to_be_remote():
    with pytest.raises(Invalid) as error:
        place(place=None, remote=False)
    assert error.value.fields[0].field == "place"
    assert place(place=None, remote=True).remote


@pytest.mark.parametrize("fee, field", [
    (FeeTerms(mode=FeeMode.recommended, hourly_fee=Decimal(30)), "fee.hourly_fee"),
    (FeeTerms(mode=FeeMode.orderer, expenses_reimbursed=False), "fee"),
    (FeeTerms(mode=FeeMode.orderer, hourly_fee=Decimal(0), expenses_reimbursed=False), "fee"),
    (FeeTerms(mode=FeeMode.orderer, fixed_fee=Decimal(-5)), "fee.fixed_fee"),
])
def test_fee_terms_that_break_the_rules_name_the_field(fee, field):
    with pytest.raises(Invalid) as error:
        check_fee_terms(fee)
    assert error.value.fields[0].field == field


@pytest.mark.parametrize("fee", [
    FeeTerms(mode=FeeMode.recommended),
    FeeTerms(mode=FeeMode.orderer, hourly_fee=Decimal(25), expenses_reimbursed=False),
    FeeTerms(mode=FeeMode.orderer, fixed_fee=Decimal(100)),
    FeeTerms(mode=FeeMode.orderer, expenses_reimbursed=True),
])
def test_terms_that_pay_a_fee_or_expenses_are_accepted_and_kept_as_given(fee):
    [placed] = place(fee=fee).pending
    assert placed.fee == fee


# -- the county's rule for NGO-trained experts -----------------------------------------------------------

@pytest.mark.parametrize("agreement, covered", [
    (Agreement(dt.date(2024, 1, 1)), True),
    (Agreement(dt.date(2024, 1, 1), valid_until=TASK_DAY), True),
    (Agreement(dt.date(2024, 1, 1), valid_until=TASK_DAY - dt.timedelta(days=1)), False),
    (Agreement(TASK_DAY + dt.timedelta(days=1)), False),
    (Agreement(dt.date(2024, 1, 1), ended_on=TASK_DAY), True),
    (Agreement(dt.date(2024, 1, 1), valid_until=dt.date(2027, 1, 1), ended_on=TASK_DAY - dt.timedelta(days=1)), False),
])
def test_an_agreement_covers_the_days_from_its_start_until_it_ends(agreement, covered):
    assert agreement.covers(TASK_DAY) is covered


def test_for_the_county_an_ngo_expert_needs_an_agreement_valid_on_the_date():
    order = place(county_service=True)
    with pytest.raises(Invalid) as error:
        order.make_offer(uuid.uuid4(), "pekka", ngo_expert(), NOW, [])
    assert error.value.fields[0].field == "expert_id"
    assert "organization agreement" in error.value.fields[0].reason

    ended = Agreement(dt.date(2024, 1, 1), ended_on=TASK_DAY - dt.timedelta(days=1))
    with pytest.raises(Invalid):
        order.make_offer(uuid.uuid4(), "pekka", ngo_expert(ended), NOW, [])

    offer = order.make_offer(uuid.uuid4(), "pekka", ngo_expert(Agreement(dt.date(2024, 1, 1))), NOW, [])
    assert offer.status is OfferStatus.open


def test_an_agreement_of_an_organization_that_is_not_an_ngo_does_not_count():
    with pytest.raises(Invalid):
        place(county_service=True).make_offer(
            uuid.uuid4(), "pekka", ngo_expert(Agreement(dt.date(2024, 1, 1)), is_ngo=False), NOW, [])


def test_a_county_trained_expert_serves_the_county_without_an_agreement():
    assert place(county_service=True).make_offer(uuid.uuid4(), "maija", COUNTY_TRAINED, NOW, [])


def test_outside_the_county_s_services_an_ngo_expert_needs_no_agreement():
    assert place(county_service=False).make_offer(uuid.uuid4(), "pekka", ngo_expert(), NOW, [])


# -- offers ----------------------------------------------------------------------------------------------

def test_only_a_listed_expert_receives_an_offer():
    with pytest.raises(Invalid) as error:
        place().make_offer(uuid.uuid4(), "ghost", None, NOW, [])
    assert (error.value.fields[0].field, error.value.fields[0].reason) == (
        "expert_id",
        "is not listed in the experience bank",
    )


def test_an_offer_expires_in_seven_days_or_when_the_task_s_day_begins():
    far = place(date=TODAY + dt.timedelta(days=30)).make_offer(uuid.uuid4(), "maija", COUNTY_TRAINED, NOW, [])
    assert far.expires_at == NOW + dt.timedelta(days=7)
    near = place(date=TODAY + dt.timedelta(days=2)).make_offer(uuid.uuid4(), "maija", COUNTY_TRAINED, NOW, [])
    assert near.expires_at == start_of(TODAY + dt.timedelta(days=2))


def test_a_second_open_offer_to_the_same_expert_is_refused():
    order = place()
    order.make_offer(uuid.uuid4(), "maija", COUNTY_TRAINED, NOW, [])
    with pytest.raises(Conflict, match="already has an open offer"):
        order.make_offer(uuid.uuid4(), "maija", COUNTY_TRAINED, NOW, [])


def test_an_offer_is_accepted_once():
    order = place()
    offer = order.make_offer(uuid.uuid4(), "maija", COUNTY_TRAINED, NOW, [])
    engagement = order.accept(offer.offer_id, NOW, [], uuid.uuid4())
    assert engagement.status is EngagementStatus.opened and engagement.expert_id == "maija"
    with pytest.raises(Conflict, match="already accepted"):
        order.accept(offer.offer_id, NOW, [engagement], uuid.uuid4())


def test_an_expired_offer_cannot_be_accepted_and_the_job_records_its_expiry():
    order = place()
    offer = order.make_offer(uuid.uuid4(), "maija", COUNTY_TRAINED, NOW, [])
    later = offer.expires_at
    with pytest.raises(Conflict, match="expired"):
        order.accept(offer.offer_id, later, [], uuid.uuid4())
    assert len(order.expire_offers(later - dt.timedelta(seconds=1))) == 0
    assert len(order.expire_offers(later)) == 1
    assert order.offers[offer.offer_id].status is OfferStatus.expired
    assert len(order.expire_offers(later)) == 0


def test_no_more_experts_are_taken_than_wanted_and_a_cancelled_engagement_frees_its_place():
    order = place(experts_wanted=1)
    first = order.make_offer(uuid.uuid4(), "maija", COUNTY_TRAINED, NOW, [])
    second = order.make_offer(uuid.uuid4(), "pekka", ngo_expert(), NOW, [])
    engagement = order.accept(first.offer_id, NOW, [], uuid.uuid4())
    with pytest.raises(Conflict, match="already has the 1 expert"):
        order.accept(second.offer_id, NOW, [engagement], uuid.uuid4())
    engagement.cancel("expert", "ill")
    assert order.accept(second.offer_id, NOW, [engagement], uuid.uuid4()).expert_id == "pekka"


def test_cancelling_an_order_withdraws_open_offers_and_cancels_engagements_not_yet_delivered():
    order = place(experts_wanted=3)
    order.make_offer(uuid.uuid4(), "anna", COUNTY_TRAINED, NOW, [])
    signed = order.accept(
        order.make_offer(uuid.uuid4(), "maija", COUNTY_TRAINED, NOW, []).offer_id, NOW, [], uuid.uuid4()
    )
    signed.confirm(uuid.uuid4())
    delivered = order.accept(order.make_offer(uuid.uuid4(), "pekka", COUNTY_TRAINED, NOW, []).offer_id, NOW, [signed],
                             uuid.uuid4())
    delivered.confirm(uuid.uuid4())
    delivered.confirm_delivery(Decimal(2), Decimal(0), Decimal(0))
    order.cancel("the course was cancelled", [signed, delivered])
    assert [type(e).__name__ for e in order.pending[-2:]] == ["OrderCancelled", "OfferWithdrawn"]
    assert signed.cancelled and signed.pending[-1].after_signing is True
    assert not delivered.cancelled
    with pytest.raises(Conflict, match="cancelled"):
        order.make_offer(uuid.uuid4(), "anna", COUNTY_TRAINED, NOW, [])


# -- engagements -----------------------------------------------------------------------------------------

def test_delivery_is_confirmed_only_after_both_signed():
    engagement = accepted_engagement()
    with pytest.raises(Conflict, match="not signed by both"):
        engagement.confirm_delivery(Decimal(2), Decimal(10), Decimal(0))
    engagement.confirm(uuid.uuid4())
    engagement.confirm_delivery(Decimal(2), Decimal(10), Decimal(0))
    assert engagement.status is EngagementStatus.delivered


@pytest.mark.parametrize("hours, km, other, field", [
    (Decimal(0), Decimal(0), Decimal(0), "actual_hours"),
    (Decimal(25), Decimal(0), Decimal(0), "actual_hours"),
    (Decimal(2), Decimal(2001), Decimal(0), "kilometres"),
    (Decimal(2), Decimal(-1), Decimal(0), "kilometres"),
    (Decimal(2), Decimal(0), Decimal(-1), "other_expenses"),
])
def test_delivered_facts_out_of_range_name_the_field(hours, km, other, field):
    with pytest.raises(Invalid) as error:
        confirmed_engagement().confirm_delivery(hours, km, other)
    assert error.value.fields[0].field == field


def test_closing_before_fee_and_feedback_names_what_is_missing():
    engagement = confirmed_engagement()
    engagement.confirm_delivery(Decimal(2), Decimal(0), Decimal(0))
    with pytest.raises(Conflict, match="the fee is not approved and the feedback forms are not all in"):
        engagement.close()
    engagement.note_fee_approved(uuid.uuid4())
    assert engagement.status is EngagementStatus.fee_approved
    with pytest.raises(Conflict, match="cannot close yet: the feedback forms are not all in"):
        engagement.close()


@pytest.mark.parametrize("first", ["fee", "feedback"])
def test_an_engagement_closes_itself_when_fee_and_feedback_are_both_in_either_first(first):
    engagement = confirmed_engagement()
    engagement.confirm_delivery(Decimal(2), Decimal(0), Decimal(0))
    steps = {"fee": lambda: engagement.note_fee_approved(uuid.uuid4()), "feedback": engagement.note_feedback_complete}
    steps[first]()
    assert engagement.status is not EngagementStatus.closed
    steps["feedback" if first == "fee" else "fee"]()
    assert engagement.status is EngagementStatus.closed
    assert type(engagement.pending[-1]).__name__ == "EngagementClosed"
    with pytest.raises(Conflict, match="already closed"):
        engagement.close()


def test_cancelling_before_and_after_signing_and_not_after_delivery():
    unsigned = accepted_engagement()
    unsigned.cancel("expert", "ill")
    assert unsigned.pending[-1].after_signing is False and unsigned.status is EngagementStatus.cancelled
    with pytest.raises(Conflict, match="already cancelled"):
        unsigned.cancel("orderer", "again")
    signed = confirmed_engagement()
    signed.cancel("orderer", "budget")
    assert signed.pending[-1].after_signing is True
    delivered = confirmed_engagement()
    delivered.confirm_delivery(Decimal(2), Decimal(0), Decimal(0))
    with pytest.raises(Conflict, match="already delivered"):
        delivered.cancel("orderer", "late")


def test_a_signature_arriving_after_cancellation_changes_nothing():
    engagement = accepted_engagement()
    engagement.cancel("orderer", "no longer needed")
    recorded = len(engagement.pending)
    engagement.confirm(uuid.uuid4())
    engagement.note_fee_approved(uuid.uuid4())
    assert len(engagement.pending) == recorded and engagement.status is EngagementStatus.cancelled
