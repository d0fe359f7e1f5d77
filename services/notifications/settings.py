"""The notifications service's own settings (``KOKEMUS_NOTIFY_*``), read once at start.

Without an SMTP host no e-mail is sent and without an SMS gateway no text message: such messages fail
temporarily and wait (and the readiness log says why) until the setting is given.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KOKEMUS_NOTIFY_", extra="ignore", frozen=True)

    web_base_url: str = Field("http://127.0.0.1:8000", description="the web interface's address; messages link "
                                                                   "to its pages")
    smtp_host: str | None = Field(None, description="the mail relay, e.g. smtp.example.fi")
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_starttls: bool = Field(True, description="upgrade to TLS before authenticating (the relay must offer it)")
    smtp_implicit_tls: bool = Field(False, description="TLS from the first byte (SMTPS, usually port 465)")
    smtp_ca_file: str | None = Field(None, description="the CA certificate(s) the relay's certificate is checked "
                                                       "with, when not a public CA (a file of PEM)")
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = Field(20.0, gt=0)
    mail_from: str = Field("kokemus@localhost", description="the sender of every e-mail")
    sms_gateway_url: str | None = Field(None, description="the SMS gateway's https address for sending a message")
    sms_gateway_key: str | None = Field(None, description="the gateway's API key, sent as a bearer token")
    send_every_seconds: float = Field(30.0, gt=0, description="how often the queue is looked at")
    retry_first_seconds: float = Field(60.0, gt=0, description="the wait after a first temporary failure; doubles")
    max_attempts: int = Field(6, ge=1, le=30)
    offer_warning_hours: float = Field(24.0, gt=0, description="how long before an unanswered offer expires its "
                                                                 "expert is reminded")
    credentials_warning_days: int = Field(14, ge=1, le=90, description="how many days before an orderer's "
                                                                     "credentials end they are reminded")
    deadline_check_seconds: float = Field(300.0, gt=0, description="how often offers and credentials about to "
                                                                   "end are looked for")

    @field_validator("web_base_url", "sms_gateway_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http:// or https:// address, got {value[:30]!r}")
        return value.rstrip("/") if value else value
