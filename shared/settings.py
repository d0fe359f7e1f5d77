"""Settings: read once from the environment, checked at start, failing with a message that names the variable.

Every variable starts with ``KOKEMUS_``. The database is given either as one DSN (``KOKEMUS_DATABASE_URL``)
or in parts (``KOKEMUS_DB_HOST`` … ``KOKEMUS_DB_PASSWORD``), which is how Kubernetes secrets hand it over.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.messaging.access import NatsAccess

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class SettingsError(SystemExit):
    """Raised at start when a setting is missing or malformed; the message says which and what it should be."""


class Settings(NatsAccess, BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KOKEMUS_", extra="ignore", frozen=True)

    database_url: str | None = Field(None, description="postgresql://user:password@host:port/dbname")
    db_host: str | None = None
    db_port: int = 5432
    db_name: str | None = None
    db_user: str | None = None
    db_password: str | None = None
    db_schema: str | None = Field(None, description="the service's own schema; defaults to the service name")
    db_pool_size: int = Field(10, ge=1, le=200)
    event_head_cache: int = Field(10_000, ge=0, le=1_000_000,
                                  description="streams whose last hash is kept in memory, saving a read per append")
    db_runtime_role: str | None = Field(
        None, description="the role the service runs as: `kokemus migrate`, run as the schema's owner, grants it "
        "only reading and adding events and writing its own tables (so it can never alter them)")

    http_host: str = Field("127.0.0.1", description="where health and metrics listen; 0.0.0.0 in a pod")
    http_port: int = Field(8080, ge=0, le=65535, description="liveness, readiness and metrics")
    stream_replicas: int = Field(1, ge=1, le=5, description="JetStream replica count for the service's stream")
    duplicate_window_seconds: float = Field(600.0, gt=0)
    max_deliveries: int = Field(5, ge=1, le=100, description="attempts before a message is dead-lettered")
    retry_backoff_seconds: float = Field(0.5, ge=0)
    shutdown_grace_seconds: float = Field(20.0, gt=0)
    relay_poll_seconds: float = Field(1.0, gt=0)
    request_timeout_seconds: float = Field(10.0, gt=0)

    # Who is calling (shared/identity.py). Every service verifies tokens with the published public keys.
    environment: str = Field("development", description="development, embedded, test, dev or production")
    identity_jwks: str | None = Field(None, description="the published public JWK set: a file, or the JSON")
    identity_issuer: str = "kokemus-identity"
    identity_audience: str = "kokemus"
    development_sign_in: bool = Field(False, description="accept the embedded stack's development sign-in")
    # The identity service's own: its signing key, how long a token and a session live, and the providers.
    identity_signing_key: str | None = Field(None, description="the private JWK the identity service signs with")
    identity_token_seconds: int = Field(60, ge=5, le=300, description="a token's life: a role taken away is gone "
                                                                      "from every token after at most this")
    identity_session_hours: float = Field(12, gt=0, le=24 * 30)
    identity_systems: str | None = Field(None, description="other systems that sign in on their own: the JSON "
                                         "{name: digest} or a file of it (`kokemus systems add`)")
    oidc_staff_issuer: str | None = Field(None, description="the county's provider for its staff")
    oidc_staff_client_ids: str = Field("", description="comma-separated: the web's and the command line's")
    oidc_staff_groups_claim: str = "groups"
    oidc_coordinator_group: str = "kokemus-coordinators"
    oidc_auditor_group: str = "kokemus-auditors"
    oidc_people_issuer: str | None = Field(None, description="the provider experts, contacts and orderers use")
    oidc_people_client_ids: str = ""
    cli_client_id: str = Field("kokemus-cli", description="the command line's client id at both providers")
    # The audit's own: the key it signs checkpoints of every chain's heads with, kept in no database.
    audit_signing_key: str | None = Field(None, description="the private JWK the audit signs checkpoints with")
    audit_checkpoint_keys: str | None = Field(None, description="its public JWK set, for `kokemus audit verify`")
    # Every service's: the keys that wrap each data subject's key in its database (shared/eventstore/keyring.py).
    key_encryption_keys: str | None = Field(None, description="id:key pairs, comma-separated, the first wrapping "
                                            "new keys (a new one first to rotate), or a file of them")

    @field_validator("database_url")
    @classmethod
    def _postgres_scheme(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^postgres(ql)?://", value):
            raise ValueError(f"expected postgresql://user:password@host:port/dbname, got {value[:20]!r}…")
        return value

    @field_validator("db_schema", "db_runtime_role")
    @classmethod
    def _schema_name(cls, value: str | None) -> str | None:
        if value is not None and not _SCHEMA_NAME.match(value):
            raise ValueError("expected a lower-case SQL identifier: letters, digits and _, not starting with a digit")
        return value

    @model_validator(mode="after")
    def _no_development_sign_in_in_production(self) -> Settings:
        if self.development_sign_in and self.environment == "production":
            raise ValueError("KOKEMUS_DEVELOPMENT_SIGN_IN is on but KOKEMUS_ENVIRONMENT is production: "
                             "the development sign-in lets anyone be anyone; turn it off")
        return self

    @model_validator(mode="after")
    def _database_given(self) -> Settings:
        if self.database_url is None and self.db_host is not None and self.db_name is None:
            raise ValueError("KOKEMUS_DB_HOST is set but KOKEMUS_DB_NAME is not: give both, or KOKEMUS_DATABASE_URL")
        return self

    def dsn(self) -> str:
        if self.database_url:
            return self.database_url
        if self.db_host:
            user = quote(self.db_user or "postgres", safe="")
            password = f":{quote(self.db_password, safe='')}" if self.db_password else ""
            return f"postgresql://{user}{password}@{self.db_host}:{self.db_port}/{self.db_name}"
        raise SettingsError(
            "No database configured: set KOKEMUS_DATABASE_URL=postgresql://user:password@host:port/dbname, "
            "or KOKEMUS_DB_HOST, KOKEMUS_DB_PORT, KOKEMUS_DB_NAME, KOKEMUS_DB_USER and KOKEMUS_DB_PASSWORD"
        )

    def require_key_ring(self) -> None:
        """Serving in production needs a key ring (migrating does not: it writes no subject's key)."""
        if self.environment == "production" and not self.key_encryption_keys:
            raise SettingsError("KOKEMUS_KEY_ENCRYPTION_KEYS is not set but KOKEMUS_ENVIRONMENT is production: each "
                                "data subject's key would lie in the database as it is; give the key ring from a "
                                "Secret")

    def schema_for(self, service: str) -> str:
        return self.db_schema or service

    def oidc_client_ids(self, provider: str) -> list[str]:
        listed = self.oidc_staff_client_ids if provider == "staff" else self.oidc_people_client_ids
        return [client.strip() for client in listed.split(",") if client.strip()]


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    """Read the environment once; on a bad value exit with the variable's name and the reason."""
    try:
        return Settings()
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"]) or "settings"
            variable = f"KOKEMUS_{field.upper()}" if problem["loc"] else "settings"
            lines.append(f"  {variable}: {problem['msg']} (got {problem.get('input')!r})")
        raise SettingsError("Invalid settings:\n" + "\n".join(lines)) from None
