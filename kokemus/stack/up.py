"""``kokemus up``: the whole system on one machine, each service in its own process.

NATS and PostgreSQL are the embedded ones unless external servers are named; the data stays in the data
folder between runs. Ctrl-C or SIGTERM stops the services first (they finish what they hold), then the
servers; so does a part that fails to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.table import Table

from kokemus.stack import signals
from kokemus.stack.bus_users import load_matrix, server_config, user_names
from kokemus.stack.keys import StackKeys
from kokemus.stack.processes import RunningService, asked_to_stop
from kokemus.stack.provision import provision
from kokemus.stack.servers import LOOPBACK, EmbeddedNats, EmbeddedPostgres, StackError, port_is_free, tail
from kokemus.stack.sinks import Sinks
from services import SERVICE_NAMES

console = Console()
SERVICE_STOP_TIMEOUT = 30.0  # a service's own shutdown grace is 20 s by default; past this it is killed
START_FAILURES = (OSError, ImportError, subprocess.SubprocessError, asyncpg.PostgresError, asyncpg.InterfaceError)


@dataclass
class StackConfig:
    data_dir: Path
    nats_port: int = 14222
    postgres_port: int = 15432
    http_base_port: int = 18080
    web_port: int = 18000
    smtp_port: int = 11025  # the local mail sink the notifications service sends to
    sms_port: int = 11080  # the local stand-in for the SMS gateway
    external_nats_url: str | None = None
    external_postgres_url: str | None = None
    database: str = "kokemus"
    services: tuple[str, ...] = SERVICE_NAMES
    web: bool = True


@contextlib.contextmanager
def _step(what: str) -> Iterator[None]:
    """A failure while starting a part becomes one StackError naming the part, said in one line by ``up``."""
    try:
        yield
    except START_FAILURES as error:
        raise StackError(f"{what} failed: {error}") from error


@dataclass
class Stack:
    """The parts of ``up``. It owns their stop: ``stop()`` stops whatever ``start()`` got to."""

    config: StackConfig
    nats: EmbeddedNats | None = None
    postgres: EmbeddedPostgres | None = None
    services: list[RunningService] = field(default_factory=list)
    nats_url: str = ""
    nats_passwords: dict[str, str] = field(default_factory=dict)
    stopping: bool = False
    web_address: str | None = None
    sinks: Sinks | None = None

    def start(self, ready_timeout: float = 60.0) -> None:
        """NATS, PostgreSQL, each service's schema, then the services, until every service is ready. A
        StackError says which part failed and why; stop() then stops what did start."""
        c = self.config
        with _step(f"making the data folder {c.data_dir}"):
            (c.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        self._check_service_ports()
        with _step(f"making the keys in {c.data_dir / 'secrets'}"):
            self.keys = StackKeys.of(c.data_dir).ensure()
        with _step("starting NATS"):
            self.nats_url = self._start_nats()
        with _step("starting PostgreSQL"):
            admin_dsn = self._start_postgres()
        with _step("starting the local mail and text message sinks"):
            self._start_sinks()
        from services import definitions

        with _step("preparing the services' schemas"):
            dsns = asyncio.run(provision(admin_dsn, c.database, {n: definitions()[n].sql for n in c.services}))
        for offset, name in enumerate(c.services, start=1):
            with _step(f"starting the {name} service"):
                self._start_service(name, c.http_base_port + offset, dsns[name])
        if c.web:
            with _step("starting the web interface"):
                self._start_web()
        self._wait_ready(ready_timeout)

    def _check_service_ports(self) -> None:
        for offset, name in enumerate(self.config.services, start=1):
            port = self.config.http_base_port + offset
            if not port_is_free(port):
                raise StackError(f"port {port} for the {name} service's health endpoint is taken; "
                                 f"choose other ports with KOKEMUS_EMBEDDED_HTTP_BASE_PORT=PORT")
        if self.config.web and not port_is_free(self.config.web_port):
            raise StackError(f"port {self.config.web_port} for the web interface is taken; "
                             f"choose another with KOKEMUS_EMBEDDED_WEB_PORT=PORT")

    def _start_nats(self) -> str:
        if self.config.external_nats_url:
            return self.config.external_nats_url
        # Authentication on, with the deployment's users and permissions: a service may publish only its own
        # events, read only the streams it consumes, and get replies only on its own inbox.
        matrix = load_matrix()
        self.nats_passwords = self.keys.nats_passwords(user_names(matrix))
        self.nats = EmbeddedNats(self.config.data_dir / "nats", port=self.config.nats_port,
                                 config=server_config(matrix, self.nats_passwords))
        self.nats.start()
        return self.nats.url

    def _nats_user(self, user: str) -> dict[str, str]:
        """The environment that connects a process as ``user`` (nothing on an external NATS)."""
        if not self.nats_passwords:
            return {}
        return {"KOKEMUS_NATS_USER": user, "KOKEMUS_NATS_PASSWORD": self.nats_passwords[user]}

    def _start_postgres(self) -> str:
        if self.config.external_postgres_url:
            return self.config.external_postgres_url
        self.postgres = EmbeddedPostgres(self.config.data_dir / "postgres", port=self.config.postgres_port)
        self.postgres.start()
        return self.postgres.dsn()

    def _start_sinks(self) -> None:
        c = self.config
        if "notifications" not in c.services:
            return
        for port, what, variable in ((c.smtp_port, "mail sink", "KOKEMUS_EMBEDDED_SMTP_PORT"),
                                     (c.sms_port, "text message sink", "KOKEMUS_EMBEDDED_SMS_PORT")):
            if not port_is_free(port):
                raise StackError(f"port {port} for the {what} is taken; choose another with {variable}=PORT")
        sinks = Sinks(c.data_dir / "notifications", c.smtp_port, c.sms_port)
        try:
            sinks.start()
        except ImportError:
            console.print("[yellow]no local mail sink: aiosmtpd is missing (pip install 'kokemus[embedded]'); "
                          "notifications wait, queued[/yellow]")
            return
        self.sinks = sinks

    def _start_service(self, name: str, port: int, dsn: str) -> None:
        # The embedded stack is for trying the system out: anyone may sign in as anyone through the
        # development sign-in (refused where KOKEMUS_ENVIRONMENT is production).
        env = {**os.environ, "KOKEMUS_NATS_URL": self.nats_url, "KOKEMUS_DATABASE_URL": dsn,
               "KOKEMUS_DB_SCHEMA": name, "KOKEMUS_HTTP_PORT": str(port), "KOKEMUS_ENVIRONMENT": "embedded",
               "KOKEMUS_DEVELOPMENT_SIGN_IN": "true", **self.keys.service_environment(name), **self._nats_user(name)}
        if name == "notifications" and self.sinks is not None:
            env.update(self.sinks.environment(f"http://{LOOPBACK}:{self.config.web_port}"))
        service = RunningService(name, port, env, self.config.data_dir / "logs" / f"{name}.log")
        self.services.append(service)
        service.start()

    def _start_web(self) -> None:
        from services.web.serve import web_process_args

        command, env, self.web_address = web_process_args(
            self.nats_url, self.config.web_port, development_sign_in=True,
            cookie_key=self.keys.web_cookie_key.read_text().strip())
        env.update({"KOKEMUS_ENVIRONMENT": "embedded", **self._nats_user("web")})
        web = RunningService("web", self.config.web_port, env, self.config.data_dir / "logs" / "web.log",
                             command=command)
        self.services.append(web)
        web.start()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(self.services)
        while waiting:
            for service in waiting:
                code = service.exit_code()
                if code is not None:
                    raise StackError(f"the {service.name} service exited at start (code {code}); "
                                     f"its log {service.log} ends:\n{tail(service.log)}")
            waiting = [s for s in waiting if not s.ready()]
            if waiting and time.monotonic() > deadline:
                raise StackError("not ready in time: " + ", ".join(f"{s.name} (see {s.log})" for s in waiting))
            time.sleep(0.3)

    def supervise(self, interval: float = 1.0) -> None:
        """Watch the services until the stack stops (a signal ends ``up`` with KeyboardInterrupt)."""
        while not self.stopping:
            time.sleep(interval)
            self.supervise_once()

    def supervise_once(self) -> None:
        """Restart a service that failed, as Kubernetes would; never one that is stopping."""
        for service in self.services:
            code = service.exit_code()
            if code is None or self.stopping:
                continue
            if asked_to_stop(code):
                # Someone else stopped it on purpose; starting it again would fight them.
                console.print(f"[yellow]{service.name} was stopped (code {code}); not restarting it[/yellow]")
                service.process = None
                continue
            service.restarts += 1
            console.print(f"[yellow]{service.name} exited ({code}); restarting[/yellow]")
            service.start()

    def describe(self) -> Table:
        table = Table(title="kokemus is up", show_lines=False)
        table.add_column("part")
        table.add_column("listens on")
        table.add_column("notes")
        table.add_row("NATS (JetStream)", self.nats_url,
                      f"embedded, users and passwords in {self.keys.nats_users}" if self.nats else "external")
        if self.postgres:
            table.add_row("PostgreSQL", f"127.0.0.1:{self.postgres.port}",
                          f"database {self.config.database}, data in {self.postgres.data_dir}")
        else:
            table.add_row("PostgreSQL", "external", f"database {self.config.database}")
        if self.sinks is not None:
            table.add_row("mail sink", f"smtp://{LOOPBACK}:{self.sinks.smtp_port}",
                          f"notifications by e-mail, one .eml each in {self.sinks.mail_folder}")
            table.add_row("text message sink", self.sinks.sms_url,
                          f"notifications by SMS, one .json each in {self.sinks.text_folder}")
        for service in self.services:
            if service.name == "web":
                table.add_row("web interface", f"{self.web_address}",
                              f"sign in at {self.web_address}/sign-in/development; log {service.log}")
            else:
                table.add_row(f"service {service.name}", f"http://127.0.0.1:{service.port}",
                              f"/healthz /readyz /metrics; log {service.log}")
        return table

    def stop(self) -> None:
        """Stop what start() started: the services first, each finishing what it holds, then PostgreSQL,
        then NATS. Safe to call twice, after a half-done start, and from a signal handler; a signal that
        comes meanwhile does not cut it short."""
        signals.stopping()
        if self.stopping:
            return
        self.stopping = True
        self._stop_services()
        if self.sinks is not None:
            self.sinks.stop()
            self.sinks = None
        if self.postgres is not None and self.postgres.process is not None:
            self.postgres.stop()
            console.print("PostgreSQL stopped")
        if self.nats is not None and self.nats.process is not None:
            self.nats.stop()
            console.print("NATS stopped")

    def _stop_services(self) -> None:
        asked = [service for service in self.services if service.ask_to_stop()]
        for service in asked:
            if not service.wait_stopped(SERVICE_STOP_TIMEOUT):
                console.print(f"[yellow]{service.name} did not stop within {SERVICE_STOP_TIMEOUT:.0f} s; "
                              "killed[/yellow]")
        if self.services:
            console.print("services stopped")


def default_data_dir() -> Path:
    """``KOKEMUS_DATA_DIR``, or ``.kokemus`` in the current folder."""
    return Path(os.environ.get("KOKEMUS_DATA_DIR", ".kokemus")).resolve()


def config_from_environment(data_dir: Path | None = None) -> StackConfig:
    def port(name: str, default: int) -> int:
        value = os.environ.get(name)
        if value is None:
            return default
        if not value.isdigit() or not 0 < int(value) < 65536:
            raise StackError(f"{name} must be a port number between 1 and 65535, got {value!r}")
        return int(value)

    return StackConfig(
        data_dir=data_dir or default_data_dir(),
        nats_port=port("KOKEMUS_EMBEDDED_NATS_PORT", 14222),
        postgres_port=port("KOKEMUS_EMBEDDED_POSTGRES_PORT", 15432),
        http_base_port=port("KOKEMUS_EMBEDDED_HTTP_BASE_PORT", 18080),
        web_port=port("KOKEMUS_EMBEDDED_WEB_PORT", 18000),
        smtp_port=port("KOKEMUS_EMBEDDED_SMTP_PORT", 11025),
        sms_port=port("KOKEMUS_EMBEDDED_SMS_PORT", 11080),
        external_nats_url=os.environ.get("KOKEMUS_UP_NATS_URL"),
        external_postgres_url=os.environ.get("KOKEMUS_UP_POSTGRES_URL"),
    )
