"""``kokemus up``: the whole system on one machine, each service in its own process.

NATS and PostgreSQL are the embedded ones unless external servers are named; the data stays in the data
folder between runs. Ctrl-C stops the services first (they finish what they hold), then the servers.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from kokemus.stack.provision import provision
from kokemus.stack.servers import EmbeddedNats, EmbeddedPostgres, StackError, port_is_free

console = Console()


@dataclass
class StackConfig:
    data_dir: Path
    nats_port: int = 14222
    postgres_port: int = 15432
    http_base_port: int = 18080
    external_nats_url: str | None = None
    external_postgres_url: str | None = None
    database: str = "kokemus"
    services: tuple[str, ...] = ("registry", "orders", "contracts", "feedback", "audit")


@dataclass
class RunningService:
    name: str
    port: int
    env: dict[str, str]
    process: subprocess.Popen | None = None
    restarts: int = 0
    log: Path | None = None

    def start(self) -> None:
        assert self.log is not None
        sink = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kokemus", "serve", self.name],
            env=self.env, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL,
        )

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False


@dataclass
class Stack:
    config: StackConfig
    nats: EmbeddedNats | None = None
    postgres: EmbeddedPostgres | None = None
    services: list[RunningService] = field(default_factory=list)
    nats_url: str = ""

    def start(self) -> None:
        c = self.config
        c.data_dir.mkdir(parents=True, exist_ok=True)
        (c.data_dir / "logs").mkdir(exist_ok=True)
        for offset, name in enumerate(c.services, start=1):
            port = c.http_base_port + offset
            if not port_is_free(port):
                raise StackError(f"port {port} for the {name} service's health endpoint is taken; "
                                 f"choose other ports with KOKEMUS_EMBEDDED_HTTP_BASE_PORT=PORT")
        if c.external_nats_url:
            self.nats_url = c.external_nats_url
        else:
            self.nats = EmbeddedNats(c.data_dir / "nats", port=c.nats_port)
            self.nats.start()
            self.nats_url = self.nats.url
        if c.external_postgres_url:
            admin_dsn = c.external_postgres_url
        else:
            self.postgres = EmbeddedPostgres(c.data_dir / "postgres", port=c.postgres_port)
            self.postgres.start()
            admin_dsn = self.postgres.dsn()
        from services import definitions

        dsns = asyncio.run(provision(admin_dsn, c.database, {n: definitions()[n].sql for n in c.services}))
        for offset, name in enumerate(c.services, start=1):
            port = c.http_base_port + offset
            env = {**os.environ, "KOKEMUS_NATS_URL": self.nats_url, "KOKEMUS_DATABASE_URL": dsns[name],
                   "KOKEMUS_DB_SCHEMA": name, "KOKEMUS_HTTP_PORT": str(port)}
            service = RunningService(name, port, env, log=c.data_dir / "logs" / f"{name}.log")
            service.start()
            self.services.append(service)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(self.services)
        while waiting and time.monotonic() < deadline:
            waiting = [s for s in waiting if not s.ready()]
            for service in waiting:
                if service.process and service.process.poll() is not None:
                    raise StackError(f"the {service.name} service exited; see {service.log}")
            time.sleep(0.3)
        if waiting:
            raise StackError("not ready in time: " + ", ".join(f"{s.name} (see {s.log})" for s in waiting))

    def supervise_once(self) -> None:
        """Restart a service that died, as Kubernetes would."""
        for service in self.services:
            if service.process is not None and service.process.poll() is not None:
                service.restarts += 1
                console.print(f"[yellow]{service.name} exited ({service.process.returncode}); restarting[/yellow]")
                service.start()

    def describe(self) -> Table:
        table = Table(title="kokemus is up", show_lines=False)
        table.add_column("part")
        table.add_column("listens on")
        table.add_column("notes")
        table.add_row("NATS (JetStream)", self.nats_url, "embedded" if self.nats else "external")
        if self.postgres:
            table.add_row("PostgreSQL", f"127.0.0.1:{self.postgres.port}", f"database {self.config.database}, data in {self.postgres.data_dir}")
        else:
            table.add_row("PostgreSQL", "external", f"database {self.config.database}")
        for service in self.services:
            table.add_row(f"service {service.name}", f"http://127.0.0.1:{service.port}",
                          f"/healthz /readyz /metrics; log {service.log}")
        return table

    def stop(self) -> None:
        for service in self.services:
            if service.process and service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        for service in self.services:
            if service.process:
                try:
                    service.process.wait(30)
                except subprocess.TimeoutExpired:
                    service.process.kill()
        if self.postgres:
            self.postgres.stop()
        if self.nats:
            self.nats.stop()


def config_from_environment(data_dir: Path | None = None) -> StackConfig:
    def port(name: str, default: int) -> int:
        value = os.environ.get(name)
        if value is None:
            return default
        if not value.isdigit() or not 0 < int(value) < 65536:
            raise StackError(f"{name} must be a port number between 1 and 65535, got {value!r}")
        return int(value)

    return StackConfig(
        data_dir=data_dir or Path(os.environ.get("KOKEMUS_DATA_DIR", ".kokemus")).resolve(),
        nats_port=port("KOKEMUS_EMBEDDED_NATS_PORT", 14222),
        postgres_port=port("KOKEMUS_EMBEDDED_POSTGRES_PORT", 15432),
        http_base_port=port("KOKEMUS_EMBEDDED_HTTP_BASE_PORT", 18080),
        external_nats_url=os.environ.get("KOKEMUS_UP_NATS_URL"),
        external_postgres_url=os.environ.get("KOKEMUS_UP_POSTGRES_URL"),
    )
