"""Commands and queries the identity service answers on ``kokemus.identity.cmd.*`` and ``kokemus.identity.query.*``.

Signing in, getting a token and signing out are answered without an identity: the ID token, the system's
secret or the session secret in the request is what proves who asks.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from shared.commands import Command, Request
from shared.events import Role

Secret = Field(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")


class ActAs(BaseModel):
    """Which of the person's roles a token acts in; the first that fits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role | None = None
    organization_id: str | None = Field(None, max_length=200)
    id: str | None = Field(None, max_length=200)


class SignIn(Command):
    provider: Literal["staff", "people"]
    id_token: str = Field(min_length=20, max_length=20_000)
    act_as: ActAs = ActAs()


class DevelopmentSignIn(Command):
    """Sign in as anyone, without a provider: only on the embedded stack, for trying the system out."""

    email: EmailStr | None = None
    staff_role: Literal["coordinator", "auditor"] | None = None
    act_as: ActAs = ActAs()

    @model_validator(mode="after")
    def _someone(self) -> DevelopmentSignIn:
        if self.email is None and self.staff_role is None:
            raise ValueError("give an email, a staff_role, or both")
        return self


class SystemSignIn(Command):
    """Another system signs in with the name and secret the platform team registered for it."""

    system: str = Field(pattern=r"^[a-z][a-z0-9-]{1,62}$")
    secret: str = Secret


class GetToken(Request):
    session: str = Secret
    act_as: ActAs = ActAs()


class SignOut(Command):
    session: str = Secret
    everywhere: bool = False  # end every session of the person, on every device


class PublishedKeys(Request):
    pass


class MySignIns(Request):
    """The signed-in person's own sign-ins (the right of access): when each began and ended, and how."""
