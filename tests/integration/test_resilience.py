"""Killing service processes in the middle of 20 concurrent engagements loses nothing and doubles nothing.

Each service runs in its own process (``kokemus serve``), as in production. While ``kokemus demo`` plays 20
engagements, each of the five services in turn is killed with SIGKILL (no chance to finish anything) and
started again. The run must still end with 20 closed engagements, each with a complete audit trail in which
no event appears twice, and every service's event effects exactly once per engagement.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter

import nats
import pytest
from rich.console import Console

from kokemus.demo import _trail_complete, play
from shared.messaging.rpc import RemoteError
from tests.callers import JWKS, PRIVATE_JWK, request
from tests.conftest import eventually

pytestmark = pytest.mark.integration
SERVICES = ("registry", "orders", "contracts", "feedback", "audit", "identity", "notifications")
AUDITOR = {"id": "auditor-1", "role": "auditor"}
COORDINATOR = {"id": "coordinator-1", "role": "coordinator"}


class ServiceProcess:
    def __init__(self, name: str, environment, log_dir) -> None:
        self.name = name
        self.log = log_dir / f"{name}.log"
        self.env = {**os.environ, "KOKEMUS_NATS_URL": environment.nats_url,
                    "KOKEMUS_DATABASE_URL": environment.dsns[name], "KOKEMUS_DB_SCHEMA": name,
                    "KOKEMUS_HTTP_PORT": "0", "KOKEMUS_RELAY_POLL_SECONDS": "0.3",  # any free port
                    "KOKEMUS_RETRY_BACKOFF_SECONDS": "0.2", "KOKEMUS_MAX_DELIVERIES": "30",
                    # The demo signs its people in through the development sign-in, as on the embedded stack.
                    "KOKEMUS_IDENTITY_JWKS": JWKS, "KOKEMUS_DEVELOPMENT_SIGN_IN": "true"}
        if name == "identity":
            self.env["KOKEMUS_IDENTITY_SIGNING_KEY"] = PRIVATE_JWK
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen([sys.executable, "-m", "kokemus", "serve", self.name],
                                            env=self.env, stdout=sink, stderr=sink)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


async def test_killing_each_service_mid_run_still_closes_every_engagement_once(environment, tmp_path):
    processes = {name: ServiceProcess(name, environment, tmp_path) for name in SERVICES}
    for process in processes.values():
        process.start()
    nc = await nats.connect(environment.nats_url)
    try:
        demo = asyncio.create_task(play(environment.nats_url, engagements=20, console=Console(quiet=True),
                                        show_trail=False, patience=240))

        async def engagements_opened(at_least: int):
            async def check():
                try:
                    found = await request(
                        nc, "kokemus.orders.query.list_engagements", {"actor": COORDINATOR}, timeout=5
                    )
                except Exception:  # noqa: BLE001 - orders may be the one being restarted
                    return False
                return len(found) >= at_least
            return check

        await eventually(await engagements_opened(1), timeout=120)
        for name in SERVICES:
            processes[name].kill()
            await asyncio.sleep(1.0)  # the others go on meanwhile: messages wait in JetStream, requests fail
            processes[name].start()
            await asyncio.sleep(1.5)

        engagement_ids = await asyncio.wait_for(demo, 420)
        assert len(set(engagement_ids)) == 20

        closed = await request(nc, "kokemus.orders.query.list_engagements", {"actor": COORDINATOR, "status": "closed"})
        assert {e["engagement_id"] for e in closed} >= set(engagement_ids)

        once = ("EngagementOpened", "ContractDrafted", "ContractFullySigned", "EngagementConfirmed",
                "DeliveryConfirmed", "FeeApproved", "FeedbackCompleted", "EngagementClosed")
        for engagement_id in engagement_ids:
            async def trail(engagement_id=engagement_id):  # type: ignore[no-untyped-def]  # the audit consumes
                # the four streams independently: wait for every kind
                try:
                    history = await request(
                        nc, "kokemus.audit.query.history", {"actor": AUDITOR, "engagement_id": engagement_id}
                    )
                except RemoteError as error:  # the audit, restarted last, may still be catching up
                    assert error.code in {"not_found", "unavailable"}, error
                    return None
                kinds = Counter(entry["event_type"] for entry in history["entries"])
                return history if _trail_complete(history) and all(kinds[k] for k in once) \
                    and kinds["FeedbackRequested"] >= 2 else None

            history = await eventually(trail, timeout=60)
            entries = history["entries"] if isinstance(history, dict) else history
            ids = [entry["event_id"] for entry in entries]
            assert len(ids) == len(set(ids)), f"an event appears twice in the trail of {engagement_id}"
            kinds = Counter(entry["event_type"] for entry in entries)
            for kind in once:
                assert kinds[kind] == 1, f"{kind} recorded {kinds[kind]} times for {engagement_id}"
            assert kinds["FeedbackRequested"] == 2

        for name in SERVICES:
            report = await request(nc, f"kokemus.{name}.query.verify", {"actor": AUDITOR})
            assert report["intact"], report
    finally:
        await nc.close()
        for process in processes.values():
            process.stop()
