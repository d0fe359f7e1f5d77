"""The embedded stack's secrets, made once and kept in the data folder (``secrets/``), readable by its owner only.

- the identity service's signing key, and the public key set every service verifies tokens with;
- the audit's checkpoint signing key, and its public half, which ``kokemus audit verify`` checks checkpoints with;
- the web's cookie key, so a restart does not sign everyone out;
- each service's key ring, which wraps every data subject's key in its database (a file per service);
- the digests of other systems' secrets, once ``kokemus systems add`` registered one;
- a password for each NATS user (every service, the web, the command line, the stack's admin).

Services are given file paths, never the secrets themselves in their environment. In a deployment the same
settings come from Kubernetes Secrets instead (deploy/).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from services import SERVICE_NAMES
from shared.eventstore.keyring import KeyRing
from shared.identity import generate_signing_key, publish

SECRETS = "secrets"


@dataclass(frozen=True)
class StackKeys:
    folder: Path

    @property
    def identity_signing_key(self) -> Path:
        return self.folder / "identity-signing-key.jwk"

    @property
    def identity_jwks(self) -> Path:
        return self.folder / "identity-keys.json"

    @property
    def audit_signing_key(self) -> Path:
        return self.folder / "audit-signing-key.jwk"

    @property
    def audit_checkpoint_keys(self) -> Path:
        return self.folder / "audit-checkpoint-keys.json"

    @property
    def web_cookie_key(self) -> Path:
        return self.folder / "web-cookie-key"

    @property
    def identity_systems(self) -> Path:
        """The digests of the secrets of other systems that sign in (``kokemus systems add``); none at first."""
        return self.folder / "identity-systems.json"

    def key_encryption_keys(self, service: str) -> Path:
        """The service's key ring (shared/eventstore/keyring.py): to rotate, put a new pair first in the file."""
        return self.folder / f"{service}-key-encryption-keys"

    @property
    def nats_users(self) -> Path:
        return self.folder / "nats-users.json"

    def nats_passwords(self, users: list[str]) -> dict[str, str]:
        """Each user's NATS password, made for any user that has none yet (a new service, say)."""
        known = self.known_nats_passwords()
        missing = [user for user in users if user not in known]
        if missing:
            known.update({user: secrets.token_urlsafe(24) for user in missing})
            write_private(self.nats_users, json.dumps(known, indent=2))
        return {user: known[user] for user in users}

    def known_nats_passwords(self) -> dict[str, str]:
        try:
            passwords: dict[str, str] = json.loads(self.nats_users.read_text())
        except FileNotFoundError:
            return {}
        return passwords

    @classmethod
    def of(cls, data_dir: Path) -> StackKeys:
        return cls(data_dir / SECRETS)

    def ensure(self) -> StackKeys:
        """Make whatever key is missing; an existing one is kept (tokens and checkpoints stay verifiable)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        for private, public in ((self.identity_signing_key, self.identity_jwks),
                                (self.audit_signing_key, self.audit_checkpoint_keys)):
            if not private.exists():
                key = generate_signing_key()
                write_private(private, json.dumps(key.as_dict(private=True)))
                public.write_text(json.dumps(publish(key), indent=2) + "\n")
        if not self.web_cookie_key.exists():
            write_private(self.web_cookie_key, Fernet.generate_key().decode())
        for service in SERVICE_NAMES:
            if not self.key_encryption_keys(service).exists():
                write_private(self.key_encryption_keys(service), KeyRing.new_pair(f"{dt.date.today():%Y-%m}") + "\n")
        return self

    def service_environment(self, service: str) -> dict[str, str]:
        """What a service is told: where the keys it needs are."""
        env = {"KOKEMUS_IDENTITY_JWKS": str(self.identity_jwks),
               "KOKEMUS_KEY_ENCRYPTION_KEYS": str(self.key_encryption_keys(service))}
        if service == "identity":
            env["KOKEMUS_IDENTITY_SIGNING_KEY"] = str(self.identity_signing_key)
            if self.identity_systems.exists():
                env["KOKEMUS_IDENTITY_SYSTEMS"] = str(self.identity_systems)
        if service == "audit":
            env["KOKEMUS_AUDIT_SIGNING_KEY"] = str(self.audit_signing_key)
        return env


def write_private(path: Path, text: str) -> None:
    """Write a secret readable by its owner only, from the moment the file exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
