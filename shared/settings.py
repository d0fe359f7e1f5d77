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

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class SettingsError(SystemExit):
    """Raised at start when a setting is missing or malformed; the message says which and what it should be."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KOKEMUS_", extra="ignore", frozen=True)

    nats_url: str = Field("nats://127.0.0.1:14222", description="NATS server URL(s), comma-separated")
    nats_user: str | None = None
    nats_password: str | None = None

    database_url: str | None = Field(None, description="postgresql://user:password@host:port/dbname")
    db_host: str | None = None
    db_port: int = 5432
    db_name: str | None = None
    db_user: str | None = None
    db_password: str | None = None
    db_schema: str | None = Field(None, description="the service's own schema; defaults to the service name")
    db_pool_size: int = Field(10, ge=1, le=200)

    http_host: str = Field("127.0.0.1", description="where health and metrics listen; 0.0.0.0 in a pod")
    http_port: int = Field(8080, ge=0, le=65535, description="liveness, readiness and metrics")
    stream_replicas: int = Field(1, ge=1, le=5, description="JetStream replica count for the service's stream")
    duplicate_window_seconds: float = Field(600.0, gt=0)
    max_deliveries: int = Field(5, ge=1, le=100, description="attempts before a message is dead-lettered")
    retry_backoff_seconds: float = Field(0.5, ge=0)
    shutdown_grace_seconds: float = Field(20.0, gt=0)
    relay_poll_seconds: float = Field(1.0, gt=0)
    request_timeout_seconds: float = Field(10.0, gt=0)

    @field_validator("nats_url")
    @classmethod
    def _nats_scheme(cls, value: str) -> str:
        for url in value.split(","):
            if not re.match(r"^(nats|tls|ws|wss)://[^/\s]+$", url.strip()):
                raise ValueError(f"expected nats://host:port (comma-separated for several), got {url!r}")
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_scheme(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^postgres(ql)?://", value):
            raise ValueError(f"expected postgresql://user:password@host:port/dbname, got {value[:20]!r}…")
        return value

    @field_validator("db_schema")
    @classmethod
    def _schema_name(cls, value: str | None) -> str | None:
        if value is not None and not _SCHEMA_NAME.match(value):
            raise ValueError("expected a lower-case SQL identifier: letters, digits and _, not starting with a digit")
        return value

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

    def schema_for(self, service: str) -> str:
        return self.db_schema or service

    def nats_servers(self) -> list[str]:
        return [url.strip() for url in self.nats_url.split(",")]


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
