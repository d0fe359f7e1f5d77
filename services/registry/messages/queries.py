"""The registry's queries of who looked at whom, the situational picture and its lists."""

from __future__ import annotations

from pydantic import EmailStr, Field

from shared.commands import Request
from shared.fields import Day, Identifier

# -- who looked at whom, the situational picture ---------------------------------------------------------

class WhoViewed(Request):
    expert_id: Identifier


class MyRecord(Request):
    """The signed-in orderer's or contact person's own record (the right of access); the body names no one."""


class AccessLog(Request):
    expert_id: Identifier | None = None
    viewer_id: Identifier | None = None
    since: Day | None = None
    limit: int = Field(200, ge=1, le=1000)


class Situation(Request):
    organization_id: Identifier | None = None  # a contact person's own; a coordinator's choice or all



class GetOrganization(Request):
    organization_id: Identifier


class ListOrganizations(Request):
    pass


class ListOrderers(Request):
    pass


class ListExperts(Request):
    """The experts of one organization: its register."""

    organization_id: Identifier


class Whois(Request):
    """Which records name this e-mail address: asked by the identity service when a person signs in."""

    email: EmailStr
