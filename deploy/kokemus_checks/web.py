"""The web's Deployment against its settings (services/web/settings.py), its Ingress and its sign-in."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from services.web.settings import WebSettings
from .objects import (
    GRACE_MARGIN_SECONDS,
    PROBES,
    TMP_MOUNT,
    VALUE_FROM,
    container_env,
    is_service_deployment,
    main_container,
    pod_spec,
    probe_target,
)
from .workloads import service_settings

WEB = "web"  # the web interface (services/web): a client of the services, with no stream, tables or migration
WEB_SECRET_VARIABLES = ("KOKEMUS_NATS_PASSWORD", "KOKEMUS_WEB_COOKIE_KEY", "KOKEMUS_WEB_STAFF_CLIENT_SECRET",
                        "KOKEMUS_WEB_PEOPLE_CLIENT_SECRET")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@cache
def _container_web_settings() -> type[WebSettings]:
    from services.web.settings import WebSettings  # imported only here, as the service settings are

    class ContainerWebSettings(WebSettings):
        @classmethod
        def settings_customise_sources(cls, settings_cls: Any, init_settings: Any, **_: Any) -> tuple[Any, ...]:
            return (init_settings,)

    return ContainerWebSettings


def web_settings(env: Mapping[str, str]) -> WebSettings:
    """The settings the web starts with in a container's environment; a value from a Secret stands in as a
    valid one (a Fernet key for the cookie key). Raises ValueError where the web would refuse them."""
    from cryptography.fernet import Fernet

    settings = _container_web_settings()
    names = {f"KOKEMUS_{name.upper()}": name for name in settings.model_fields}
    values: dict[str, Any] = {}
    for key, value in env.items():
        if key in names:
            values[names[key]] = value if value != VALUE_FROM else (
                Fernet.generate_key().decode() if key == "KOKEMUS_WEB_COOKIE_KEY" else "from-a-secret")
    return settings(**values)


def check_web_workload(objects: list[dict], expected: bool = True) -> list[str]:
    """The web's Deployment runs `kokemus serve web` with settings it accepts: its secrets from Secrets, listening
    where the probes look (/healthz, /readyz on KOKEMUS_WEB_PORT, on the pod's address), an https address in
    production; and where a provider is configured, the identity service accepts the web's client there."""
    webs = [o for o in objects if o.get("kind") == "Deployment" and o["metadata"]["name"] == WEB]
    if not webs:
        return ["Deployment/web: missing (the web interface in services/web)"] if expected else []
    deployment, where = webs[0], "Deployment/web"
    pod, main = pod_spec(deployment), main_container(deployment)
    problems = []
    if main.get("args") != ["serve", WEB]:
        problems.append(f"{where}: container {main.get('name')} must run `kokemus serve web` (args)")
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    mounts = {m.get("mountPath"): m.get("name") for m in main.get("volumeMounts") or []}
    if "emptyDir" not in volumes.get(mounts.get(TMP_MOUNT), {}):
        problems.append(f"{where} {main.get('name')}: {TMP_MOUNT} must be an emptyDir volume")
    env = container_env(main, objects)
    problems += [f"{where}: {variable} must come from a Secret, not a literal"
                 for variable in WEB_SECRET_VARIABLES if env.get(variable) not in (None, VALUE_FROM)]
    problems += [f"{where}: {variable} is not set" for variable in ("KOKEMUS_NATS_URL", "KOKEMUS_WEB_COOKIE_KEY")
                 if not env.get(variable)]
    try:
        settings = web_settings(env)
    except ValueError as error:
        return [*problems, f"{where}: the web would refuse its settings: {error}"]
    for probe, path in PROBES.items():
        if probe_target(main.get(probe), main) != (path, settings.web_port):
            problems.append(f"{where}: {probe} must be an HTTP GET of {path} on port {settings.web_port} "
                            "(KOKEMUS_WEB_PORT)")
    if settings.web_host in LOOPBACK:
        problems.append(f"{where}: KOKEMUS_WEB_HOST={settings.web_host} is unreachable from outside the pod "
                        "(the probes and the Ingress): 0.0.0.0")
    pause = (((main.get("lifecycle") or {}).get("preStop") or {}).get("sleep") or {}).get("seconds", 0)
    termination = pod.get("terminationGracePeriodSeconds", 30)
    if termination < pause + settings.request_timeout_seconds + GRACE_MARGIN_SECONDS:
        problems.append(f"{where}: terminationGracePeriodSeconds {termination} is less than the preStop pause "
                        f"({pause} s) + KOKEMUS_REQUEST_TIMEOUT_SECONDS={settings.request_timeout_seconds:g} + "
                        f"{GRACE_MARGIN_SECONDS} s: the pod would be killed while it finishes a request")
    if env.get("KOKEMUS_ENVIRONMENT") == "production" and not settings.cookie_secure:
        problems.append(f"{where}: KOKEMUS_WEB_PUBLIC_URL must be https:// in production (the cookie is Secure)")
    return problems + _ingress_host(objects, settings) + _sign_in_agrees(objects, env, settings)


def _ingress_host(objects: list[dict], web: WebSettings) -> list[str]:
    """An Ingress that routes to the web serves the host of KOKEMUS_WEB_PUBLIC_URL, where the providers send
    people back after signing in."""
    host = urlsplit(web.web_public_url).hostname
    services = {o["metadata"]["name"] for o in objects if o.get("kind") == "Service"
                and ((o.get("spec") or {}).get("selector") or {}).get("app.kubernetes.io/name") == WEB}
    problems = []
    for ingress in (o for o in objects if o.get("kind") == "Ingress"):
        rules = (ingress.get("spec") or {}).get("rules") or []
        hosts = {rule.get("host") for rule in rules
                 if any(((path.get("backend") or {}).get("service") or {}).get("name") in services
                        for path in (rule.get("http") or {}).get("paths") or [])}
        if hosts and host not in hosts:
            routed = ", ".join(sorted(map(str, hosts)))
            problems.append(f"Ingress/{ingress['metadata']['name']}: routes {routed} to the web, but "
                            f"KOKEMUS_WEB_PUBLIC_URL is {web.web_public_url}")
    return problems


def _sign_in_agrees(objects: list[dict], web_env: Mapping[str, str], web: WebSettings) -> list[str]:
    """Each provider the web sends people to is one the identity service trusts, for the web's client id; and the
    development sign-in is on in both or neither."""
    identities = [o for o in objects if is_service_deployment(o) and o["metadata"]["name"] == "identity"]
    if not identities:
        return []
    identity_env = container_env(main_container(identities[0]), objects)
    try:
        identity = service_settings(identity_env)
    except ValueError:
        return []  # check_service_workloads names it
    problems = []
    for provider, (issuer, client_id, _secret, _scope) in web.providers().items():
        trusted = identity.oidc_staff_issuer if provider == "staff" else identity.oidc_people_issuer
        if trusted != issuer:
            problems.append(f"Deployment/web: the {provider} provider is {issuer}, but the identity service trusts "
                            f"{trusted!r} (KOKEMUS_OIDC_{provider.upper()}_ISSUER)")
        elif client_id not in identity.oidc_client_ids(provider):
            problems.append(f"Deployment/web: the identity service does not accept ID tokens for the web's client "
                            f"{client_id} (KOKEMUS_OIDC_{provider.upper()}_CLIENT_IDS)")
    if web.development_sign_in != identity.development_sign_in:
        problems.append("Deployment/web: KOKEMUS_DEVELOPMENT_SIGN_IN differs between the web and the identity service")
    return problems
