"""The identity service, described: who may sign in and how, the tokens it makes, and its composition root.

It holds the signing key (``KOKEMUS_IDENTITY_SIGNING_KEY``); every other service holds only the public keys.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from services.identity import events
from services.identity.directory import Directory, RegistryDirectory
from services.identity.erasure import CONSUMES
from services.identity.handlers import COMMANDS, PUBLIC, QUERIES
from services.identity.oidc import ConfiguredProviders, Provider, Providers
from services.identity.projections import SQL, IdentityTables
from services.identity.systems import Systems
from services.identity.views import IdentityViews
from shared.definition import ServiceDefinition, ServiceDeps
from shared.events import Role, events_in
from shared.identity import TokenIssuer, public_keys, signing_key
from shared.messaging.rpc import Requester
from shared.settings import Settings
from shared.unit_of_work import UnitOfWork


@dataclass(kw_only=True)
class Deps(ServiceDeps[IdentityViews]):
    issuer: TokenIssuer
    providers: Providers
    directory: Directory
    systems: Systems = field(default_factory=Systems)
    development: bool = False
    session_lifetime: dt.timedelta = dt.timedelta(hours=12)
    published_keys: dict[str, Any] = field(default_factory=dict)


def providers_of(settings: Settings) -> ConfiguredProviders:
    configured = []
    if settings.oidc_staff_issuer:
        groups = {settings.oidc_coordinator_group: Role.coordinator, settings.oidc_auditor_group: Role.auditor}
        configured.append(Provider("staff", settings.oidc_staff_issuer, settings.oidc_client_ids("staff"),
                                   groups, settings.oidc_staff_groups_claim))
    if settings.oidc_people_issuer:
        configured.append(Provider("people", settings.oidc_people_issuer, settings.oidc_client_ids("people")))
    return ConfiguredProviders(configured)


def compose(uow: UnitOfWork, views: IdentityViews, settings: Settings, requester: Requester) -> Deps:
    if not settings.identity_signing_key:
        raise ValueError("KOKEMUS_IDENTITY_SIGNING_KEY is not set: the identity service signs every token with it")
    issuer = TokenIssuer(signing_key(settings.identity_signing_key),
                         dt.timedelta(seconds=settings.identity_token_seconds),
                         issuer=settings.identity_issuer, audience=settings.identity_audience)
    published = json.loads(json.dumps(public_keys(settings.identity_jwks or "{}").as_dict(private=False)))
    return Deps(uow=uow, views=views, issuer=issuer, providers=providers_of(settings),
                directory=RegistryDirectory(requester, issuer), systems=Systems.of(settings.identity_systems),
                development=settings.development_sign_in,
                session_lifetime=dt.timedelta(hours=settings.identity_session_hours), published_keys=published)


def definition() -> ServiceDefinition[Deps, Any]:
    return ServiceDefinition(
        name="identity",
        description="Signing in through the county's OpenID Connect providers (or the embedded stack's development "
                    "sign-in), sessions, and the short-lived signed identities every service checks; an erasure in the "
                    "registry ends and forgets the person's sign-ins",
        events=events_in(events),
        views=IdentityTables,
        compose=compose,
        commands=COMMANDS,
        queries=QUERIES,
        public=PUBLIC,
        consumes=CONSUMES,
        calls=("registry.query.whois",),
        sql=(SQL,),
    )
