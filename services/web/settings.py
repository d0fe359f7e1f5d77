"""The web's settings, read once from the environment (``KOKEMUS_`` variables, as the services' are)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.messaging.access import NatsAccess
from shared.settings import SettingsError


class WebSettings(NatsAccess, BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KOKEMUS_", extra="ignore", frozen=True)

    request_timeout_seconds: float = Field(10.0, gt=0)

    web_host: str = Field("127.0.0.1", description="where the web listens; 0.0.0.0 in a pod")
    web_port: int = Field(8000, ge=0, le=65535)
    web_public_url: str = Field("http://127.0.0.1:8000", description="the address people open, without a path")
    web_cookie_key: SecretStr = Field(description="a Fernet key (32 bytes, url-safe base64) that seals the cookie")
    web_session_hours: float = Field(12, gt=0, le=24 * 30, description="a signed-in cookie's life")

    environment: str = "development"
    development_sign_in: bool = Field(False, description="offer the embedded stack's development sign-in page")
    oidc_staff_issuer: str | None = None
    oidc_people_issuer: str | None = None
    web_staff_client_id: str = "kokemus-web"
    web_staff_client_secret: SecretStr | None = None
    web_staff_scope: str = "openid email groups"
    web_people_client_id: str = "kokemus-web"
    web_people_client_secret: SecretStr | None = None
    web_people_scope: str = "openid email"

    @field_validator("web_cookie_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr) -> SecretStr:
        try:
            Fernet(value.get_secret_value().encode())
        except ValueError:
            raise ValueError("expected a Fernet key: python -c 'from cryptography.fernet import Fernet; "
                             "print(Fernet.generate_key().decode())'") from None
        return value

    @field_validator("web_public_url")
    @classmethod
    def _origin_only(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+$", value.rstrip("/")):
            raise ValueError(f"expected http(s)://host[:port] with no path, got {value!r}")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _https_outside_loopback(self) -> WebSettings:
        if not self.cookie_secure and urlsplit(self.web_public_url).hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("KOKEMUS_WEB_PUBLIC_URL must be https:// unless the web is on this machine only")
        if self.development_sign_in and self.environment == "production":
            raise ValueError("KOKEMUS_DEVELOPMENT_SIGN_IN is on but KOKEMUS_ENVIRONMENT is production")
        return self

    @property
    def cookie_secure(self) -> bool:
        """Secure cookies everywhere but plain http on this machine (the embedded stack), where a browser
        would not send them back."""
        return self.web_public_url.startswith("https://")

    def providers(self) -> dict[str, tuple[str, str, SecretStr | None, str]]:
        """The configured providers: name -> (issuer, client id, client secret, scope)."""
        found = {}
        if self.oidc_staff_issuer:
            found["staff"] = (self.oidc_staff_issuer, self.web_staff_client_id, self.web_staff_client_secret,
                              self.web_staff_scope)
        if self.oidc_people_issuer:
            found["people"] = (self.oidc_people_issuer, self.web_people_client_id, self.web_people_client_secret,
                               self.web_people_scope)
        return found


def load_web_settings() -> WebSettings:
    """Read the environment; on a bad value exit with the variable's name and the reason."""
    try:
        return WebSettings()
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"]) or "settings"
            lines.append(f"  KOKEMUS_{field.upper()}: {problem['msg']}")
        raise SettingsError("Invalid web settings:\n" + "\n".join(lines)) from None
