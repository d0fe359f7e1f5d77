"""Signing in, tokens and signing out, through the identity service's handlers on the in-memory store."""

from __future__ import annotations

import datetime as dt

import pytest

from services.identity import events, handlers as h, messages as m
from services.identity.directory import InMemoryDirectory
from services.identity.oidc import InMemoryProviders, Person
from services.identity.service import Deps
from services.identity.views import InMemoryIdentityViews
from shared.clock import Clock
from shared.errors import Forbidden, Invalid, Unauthenticated
from shared.events import ANONYMOUS, Role, events_in
from shared.eventstore.memory import InMemoryEventStore
from shared.identity import Capacity, TokenIssuer, TokenVerifier, generate_signing_key, public_keys, publish
from shared.unit_of_work import InMemoryUnitOfWork
from tests.unit.calls import call

KEY = generate_signing_key()
VERIFIER = TokenVerifier(public_keys(__import__("json").dumps(publish(KEY))), accept_development=True)
MAIJA_EXPERT = Capacity(role=Role.expert, id="maija")
MAIJA_ORDERER = Capacity(role=Role.orderer, id="school-1", organization_id="turku")


class MovableClock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)  # tokens are checked against the real time

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def deps(clock) -> Deps:
    views = InMemoryIdentityViews()
    store = InMemoryEventStore("identity", events_in(events))
    directory = InMemoryDirectory()
    directory.people["maija@example.org"] = [MAIJA_EXPERT, MAIJA_ORDERER]
    providers = InMemoryProviders()
    providers.people[("people", "maija-id-token-from-people")] = Person("people", "sub-1", "maija@example.org", [])
    providers.people[("staff", "anna-id-token-from-staff-idp")] = Person(
        "staff", "sub-2", "anna@varha.fi", [Role.coordinator]
    )
    providers.people[("people", "stranger-token-from-people")] = Person("people", "sub-3", "stranger@example.org", [])
    return Deps(uow=InMemoryUnitOfWork(store, views.project), views=views, clock=Clock(clock),
                issuer=TokenIssuer(KEY), providers=providers, directory=directory, development=True)


async def sign_in(deps, provider="people", token="maija-id-token-from-people", **act_as):
    return await call(h.sign_in, m.SignIn(provider=provider, id_token=token, act_as=m.ActAs(**act_as)), ANONYMOUS, deps)


async def test_signing_in_gives_a_session_and_a_token_acting_in_the_persons_first_role(deps):
    signed = await sign_in(deps)
    claims = VERIFIER.verify(signed["token"])
    assert claims.act == MAIJA_EXPERT and claims.acts == [MAIJA_EXPERT, MAIJA_ORDERER]
    assert claims.sub == "people:sub-1" and not claims.dev
    [recorded] = deps.uow.store.published
    assert recorded.event_type == "SignedIn" and signed["session"] not in recorded.model_dump_json()
    assert "maija@example.org" not in recorded.model_dump_json()  # the address travels sealed


async def test_a_token_acts_in_the_role_asked_for_and_only_in_one_the_person_has(deps):
    signed = await sign_in(deps, role=Role.orderer)
    assert VERIFIER.actor(signed["token"]).id == "school-1"
    with pytest.raises(Invalid) as refused:
        await sign_in(deps, role=Role.coordinator)
    assert refused.value.fields[0].field == "act_as" and "expert, orderer of turku" in refused.value.fields[0].allowed


async def test_staff_roles_come_from_the_staff_providers_groups(deps):
    signed = await sign_in(deps, provider="staff", token="anna-id-token-from-staff-idp")
    assert VERIFIER.actor(signed["token"]).role is Role.coordinator


async def test_an_account_with_no_role_in_the_records_cannot_sign_in_and_a_bad_token_is_unauthenticated(deps):
    with pytest.raises(Forbidden, match="no role in kokemus"):
        await sign_in(deps, token="stranger-token-from-people")
    with pytest.raises(Unauthenticated):
        await sign_in(deps, token="forged-token-of-nobody-at-all")
    assert deps.uow.store.published == []


async def test_a_fresh_token_is_made_from_the_records_as_they_are_now(deps):
    session = (await sign_in(deps))["session"]
    deps.directory.people["maija@example.org"] = [MAIJA_EXPERT]  # the credentials were revoked
    fresh = await call(h.get_token, m.GetToken(session=session), ANONYMOUS, deps)
    assert VERIFIER.verify(fresh["token"]).acts == [MAIJA_EXPERT]
    with pytest.raises(Invalid):
        await call(h.get_token, m.GetToken(session=session, act_as=m.ActAs(role=Role.orderer)), ANONYMOUS, deps)


async def test_signing_out_ends_the_session_and_everywhere_ends_every_session_of_the_person(deps, clock):
    first, second, third = [(await sign_in(deps))["session"] for _ in range(3)]
    await call(h.sign_out, m.SignOut(session=first), ANONYMOUS, deps)
    with pytest.raises(Unauthenticated, match="ended"):
        await call(h.get_token, m.GetToken(session=first), ANONYMOUS, deps)
    assert await call(h.get_token, m.GetToken(session=second), ANONYMOUS, deps)
    result = await call(h.sign_out, m.SignOut(session=second, everywhere=True), ANONYMOUS, deps)
    assert result == {"signed_out": 2}
    with pytest.raises(Unauthenticated):
        await call(h.get_token, m.GetToken(session=third), ANONYMOUS, deps)


async def test_a_session_expires(deps, clock):
    session = (await sign_in(deps))["session"]
    clock.now += dt.timedelta(hours=12)
    with pytest.raises(Unauthenticated, match="expired"):
        await call(h.get_token, m.GetToken(session=session), ANONYMOUS, deps)


async def test_the_development_sign_in_is_marked_and_off_unless_turned_on(deps):
    signed = await call(h.development_sign_in, m.DevelopmentSignIn(email="maija@example.org"), ANONYMOUS, deps)
    assert VERIFIER.verify(signed["token"]).dev is True
    staff = await call(h.development_sign_in, m.DevelopmentSignIn(staff_role="auditor"), ANONYMOUS, deps)
    assert VERIFIER.actor(staff["token"]).role is Role.auditor
    with pytest.raises(Unauthenticated, match="development sign-in is not accepted"):
        TokenVerifier(VERIFIER.keys).verify(signed["token"])  # a service with it off refuses it
    deps.development = False
    with pytest.raises(Forbidden, match="off here"):
        await call(h.development_sign_in, m.DevelopmentSignIn(email="maija@example.org"), ANONYMOUS, deps)
