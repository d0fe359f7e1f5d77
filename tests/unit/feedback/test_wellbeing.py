"""The expert's wellbeing: a low own-wellbeing answer raises a follow-up for each of the expert's organizations,
sealed on the bus, shown to that organization's contact person alone, and gone with the expert's erasure."""

import uuid

import pytest

from services.feedback import messages as m
from services.feedback.events import Form
from services.feedback.handlers import (
    define_questionnaire,
    handle_wellbeing_follow_up,
    submit_feedback,
    wellbeing_follow_ups,
)
from services.registry import events as registry
from shared.errors import Conflict, Forbidden, NotFound
from shared.events import Actor, Role
from tests.unit.calls import call
from tests.unit.feedback.conftest import T0
from tests.unit.feedback.fakes import COORDINATOR, EXPERT, ORDERER, Upstream
from tests.unit.feedback.questionnaires import VERSION_2

MIELI = Actor(id="olli", role=Role.organization_contact, organization_id="mieli")
VARHA = Actor(id="vilma", role=Role.organization_contact, organization_id="varha")
OTHER = Actor(id="outi", role=Role.organization_contact, organization_id="aseman-lapset")


def self_assessment(own_wellbeing):
    return {"preparation": 4, "own_wellbeing": own_wellbeing, "experience_heard": 5, "would_do_again": 5}


@pytest.fixture
async def upstream(deps):
    """Maija is of Mieli, and joined Varha too."""
    upstream = Upstream(deps)
    await upstream.publish("registry", f"expert-{EXPERT.id}", registry.ExpertRegistered(
        expert_id=EXPERT.id, organization_id="mieli", name="Maija", email="maija@example.org"))
    await upstream.publish("registry", f"expert-{EXPERT.id}", registry.ExpertJoinedOrganization(
        expert_id=EXPERT.id, organization_id="varha"))
    return upstream


async def answered(deps, upstream, own_wellbeing):
    engagement_id = uuid.uuid4()
    await upstream.open_and_deliver(engagement_id)
    await call(submit_feedback, m.SubmitFeedback(engagement_id=engagement_id, form=Form.self_assessment,
                                                 ratings=self_assessment(own_wellbeing)), EXPERT, deps)
    return engagement_id


async def seen_by(actor, deps):
    return (await call(wellbeing_follow_ups, m.WellbeingFollowUps(), actor, deps))["follow_ups"]


async def test_a_low_answer_raises_a_follow_up_for_each_of_the_experts_organizations(deps, upstream):
    engagement_id = await answered(deps, upstream, 2)
    for contact in (MIELI, VARHA):
        [follow_up] = await seen_by(contact, deps)
        assert (follow_up["expert_id"], follow_up["engagement_id"]) == (EXPERT.id, str(engagement_id))
        assert follow_up["raised_at"] == T0.isoformat()
    assert await seen_by(OTHER, deps) == []


async def test_the_follow_up_names_nobody_in_clear_on_the_bus(deps, upstream):
    engagement_id = await answered(deps, upstream, 1)
    raised = [row for row in deps.uow.store.published if row.event_type == "WellbeingFollowUpRaised"]
    assert {row.payload["organization_id"] for row in raised} == {"mieli", "varha"}
    for row in raised:
        assert EXPERT.id not in str(row.payload) and str(engagement_id) not in str(row.payload)
        assert row.engagement_id is None and str(engagement_id) not in row.stream_id
        assert row.actor.role is Role.system and row.subject_id == f"wellbeing-{row.payload['follow_up_id']}"


@pytest.mark.parametrize("own_wellbeing", [3, 4, 5])
async def test_an_answer_of_three_or_more_raises_nothing(deps, upstream, own_wellbeing):
    await answered(deps, upstream, own_wellbeing)
    assert await seen_by(MIELI, deps) == []
    assert not [row for row in deps.uow.store.published if row.event_type == "WellbeingFollowUpRaised"]


async def test_the_orderers_view_of_the_experts_wellbeing_raises_nothing(deps, upstream):
    await call(define_questionnaire, m.DefineQuestionnaire.model_validate(
        {"form": "orderer_feedback", "questions": VERSION_2}), COORDINATOR, deps)
    engagement_id = uuid.uuid4()
    await upstream.open_and_deliver(engagement_id)
    ratings = {q["id"]: 1 for q in VERSION_2 if q["kind"] == "scale"}
    await call(submit_feedback, m.SubmitFeedback(engagement_id=engagement_id, form=Form.orderer_feedback,
                                                 ratings=ratings, choices={"channel": "direct"}), ORDERER, deps)
    assert await seen_by(MIELI, deps) == []


async def test_an_organization_the_expert_left_is_not_asked(deps, upstream):
    await upstream.publish("registry", f"expert-{EXPERT.id}", registry.ExpertLeftOrganization(
        expert_id=EXPERT.id, organization_id="mieli"))
    await answered(deps, upstream, 2)
    assert await seen_by(MIELI, deps) == []
    assert len(await seen_by(VARHA, deps)) == 1


@pytest.mark.parametrize("actor", [EXPERT, ORDERER, COORDINATOR, Actor(id="a1", role=Role.auditor),
                                   Actor(id="nobody", role=Role.organization_contact)])
async def test_only_an_organizations_contact_person_sees_its_follow_ups(deps, upstream, actor):
    await answered(deps, upstream, 1)
    with pytest.raises(Forbidden):
        await seen_by(actor, deps)


async def test_the_experts_erasure_removes_their_follow_ups_and_shreds_their_keys(deps, upstream):
    await answered(deps, upstream, 1)
    [handled] = await seen_by(MIELI, deps)  # one handled before the erasure: its key goes too
    await call(handle_wellbeing_follow_up, m.HandleWellbeingFollowUp(follow_up_id=handled["follow_up_id"]), MIELI,
               deps)
    await upstream.publish("registry", f"expert-{EXPERT.id}", registry.ExpertErased(expert_id=EXPERT.id))
    assert await seen_by(MIELI, deps) == [] and await seen_by(VARHA, deps) == []
    for row in [row for row in deps.uow.store.published if row.event_type == "WellbeingFollowUpRaised"]:
        raised = (await deps.uow.store.read_stream(row.stream_id))[0]
        assert (raised.payload.expert_id, raised.payload.engagement_id) == (None, None)  # read as erased


async def test_the_contact_person_marks_a_follow_up_handled_and_only_their_own(deps, upstream):
    await answered(deps, upstream, 2)
    [mieli_task] = await seen_by(MIELI, deps)
    handle = m.HandleWellbeingFollowUp(follow_up_id=mieli_task["follow_up_id"])
    for stranger in (VARHA, OTHER, Actor(id="nobody", role=Role.organization_contact), EXPERT, COORDINATOR):
        with pytest.raises(Forbidden):
            await call(handle_wellbeing_follow_up, handle, stranger, deps)
    assert await call(handle_wellbeing_follow_up, handle, MIELI, deps) == {
        "follow_up_id": mieli_task["follow_up_id"], "handled": True}
    assert await seen_by(MIELI, deps) == []
    assert len(await seen_by(VARHA, deps)) == 1  # Varha's own follow-up is still theirs to handle
    with pytest.raises(Conflict):
        await call(handle_wellbeing_follow_up, handle, MIELI, deps)
    with pytest.raises(NotFound):
        await call(handle_wellbeing_follow_up, m.HandleWellbeingFollowUp(follow_up_id=uuid.uuid4()), MIELI, deps)
