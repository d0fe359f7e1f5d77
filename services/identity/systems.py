"""Other systems that sign in on their own (a payroll system, the county's reporting): each has a name and a
secret the platform team gave it. Only a digest of each secret is kept (``KOKEMUS_IDENTITY_SYSTEMS``: the JSON
``{name: digest}`` or a file holding it), so the setting itself signs nobody in.

A system signs in with its name and secret and gets a session like a person's; its tokens act in the
``integration`` role, which the services answer with their public queries only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from shared.identity import json_or_file

NAME = re.compile(r"^[a-z][a-z0-9-]{1,62}$")
# scrypt's cost: about 50 ms and 16 MiB per sign-in, which a system does once a session (hours), not per request
_N, _R, _P = 2**14, 8, 1


def new_system_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str, salt: bytes | None = None) -> str:
    """``scrypt$<salt>$<hash>``, both unpadded base64url: what the setting keeps of a secret."""
    salt = salt or secrets.token_bytes(16)
    hashed = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_b64(salt)}${_b64(hashed)}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Systems:
    digests: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, setting: str | None) -> Systems:
        """The registered systems from the setting; a malformed entry stops the service at start, not at sign-in."""
        found = json_or_file(setting) if setting else {}
        if not isinstance(found, dict):
            raise ValueError("KOKEMUS_IDENTITY_SYSTEMS: expected a JSON object {name: digest}")
        for name, value in found.items():
            if not NAME.match(name) or not isinstance(value, str) or value.count("$") != 2 \
                    or not value.startswith("scrypt$"):
                raise ValueError(f"KOKEMUS_IDENTITY_SYSTEMS: {name!r} needs a lower-case name and a digest made by "
                                 "`kokemus systems add`")
        return cls(dict(found))

    def known(self, name: str) -> bool:
        return name in self.digests

    def verify(self, name: str, secret: str) -> bool:
        stored = self.digests.get(name)
        # an unknown name costs the same as a wrong secret, so the answer's time does not tell which names exist
        _, salt, expected = (stored or f"scrypt${_b64(b'0' * 16)}${_b64(b'0' * 32)}").split("$")
        hashed = hashlib.scrypt(secret.encode(), salt=_unb64(salt), n=_N, r=_R, p=_P, dklen=32)
        return hmac.compare_digest(hashed, _unb64(expected)) and stored is not None
