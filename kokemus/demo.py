"""``kokemus demo``: plays engagements end to end, as their users would, through the services' NATS commands.

It imports no service internals: every step is a request on a subject, as any client would send it. Steps
that depend on another service having caught up (orders learning of a listing, contracts drafting a
contract) are retried until they succeed; a service being restarted meanwhile answers ``unavailable``,
which is retried too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

import nats
import typer
from rich.console import Console

from kokemus.connect import connection, run
from shared.messaging.rpc import RemoteError, request

RETRIED = {"unavailable", "not_found", "forbidden", "conflict", "validation"}


class Demo:
    def __init__(self, nc: nats.NATS, console: Console, run: str, patience: float = 180.0) -> None:
        self.nc = nc
        self.console = console
        self.run = run
        self.patience = patience
        self.coordinator = {"id": "coordinator-anna", "role": "coordinator", "organization_id": f"varha-{run}"}
        self.contact = {"id": "contact-olli", "role": "organization_contact", "organization_id": f"mieli-{run}"}
        self.orderer = {"id": f"school-{run}", "role": "orderer"}
        self.county = f"varha-{run}"
        self.ngo = f"mieli-{run}"

    async def call(self, subject: str, body: dict[str, Any], *, retry_on: set[str] = frozenset({"unavailable"}),
                   until: Callable[[Any], bool] | None = None) -> Any:
        """One request, retried while the answer is one of ``retry_on`` (or ``until`` is not yet true)."""
        deadline = time.monotonic() + self.patience
        delay = 0.1
        if ".cmd." in subject and body.get("command_id") is None:
            body = {**body, "command_id": str(uuid.uuid4())}  # the same id on every retry: recorded once
        while True:
            try:
                result = await request(self.nc, subject, body, timeout=10)
                if until is None or until(result):
                    return result
                failure: Exception = RuntimeError(f"{subject}: still {result}")
            except RemoteError as error:
                if error.code not in retry_on:
                    raise
                failure = error
            if time.monotonic() > deadline:
                raise TimeoutError(f"gave up on {subject} after {self.patience:.0f} s: {failure}")
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 2.0)

    def step(self, text: str) -> None:
        self.console.print(f"  [dim]{time.strftime('%H:%M:%S')}[/dim] {text}")

    async def set_up(self) -> None:
        today = dt.date.today()
        self.step("[bold]registry[/bold]: the coordinator registers the county and an NGO, and their agreement")
        await self.call("kokemus.registry.cmd.register_organization", {
            "actor": self.coordinator, "organization_id": self.county, "name": "Varsinais-Suomen hyvinvointialue",
            "kind": "county"})
        await self.call("kokemus.registry.cmd.register_organization", {
            "actor": self.coordinator, "organization_id": self.ngo, "name": "Mieli ry", "kind": "ngo",
            "contact_person_id": self.contact["id"]})
        await self.call("kokemus.registry.cmd.sign_organization_agreement", {
            "actor": self.coordinator, "organization_id": self.ngo, "agreement_id": f"agreement-{self.run}",
            "valid_from": str(today - dt.timedelta(days=30)), "valid_until": str(today + dt.timedelta(days=365))})
        self.step("registry: the coordinator grants the school credentials for the experience bank")
        await self.call("kokemus.registry.cmd.grant_credentials", {
            "actor": self.coordinator, "orderer_id": self.orderer["id"], "orderer_name": "Turun koulu"})

    async def list_expert(self, n: int) -> dict[str, Any]:
        expert_id = f"expert-{self.run}-{n}"
        expert = {"id": expert_id, "role": "expert"}
        self.step(f"registry: the NGO registers {expert_id}, records the basic training; the expert consents; listed")
        await self.call("kokemus.registry.cmd.register_expert", {
            "actor": self.contact, "expert_id": expert_id, "organization_id": self.ngo,
            "name": f"Demo Expert {n}", "email": f"expert{n}@example.org",
            "experience": "lived experience of recovery (demo)"})
        await self.call("kokemus.registry.cmd.record_training", {
            "actor": self.contact, "expert_id": expert_id, "training": "basic training",
            "completed_on": str(dt.date.today() - dt.timedelta(days=60)), "trained_by": self.ngo})
        await self.call("kokemus.registry.cmd.give_consent", {"actor": expert, "expert_id": expert_id})
        await self.call("kokemus.registry.cmd.list_expert", {
            "actor": self.contact, "expert_id": expert_id, "topics": ["mental health", "recovery"]})
        return expert

    async def engagement(self, n: int) -> str:
        expert = await self.list_expert(n)
        task_date = dt.date.today() + dt.timedelta(days=14)
        self.step(f"[bold]orders[/bold]: the school places an order and offers it to {expert['id']}")
        order = await self.call("kokemus.orders.cmd.place_order", {
            "actor": self.orderer, "task_type": "lecture", "topic": "Recovery from depression, for teachers",
            "date": str(task_date), "duration_hours": "2", "place": "Turku", "remote": False,
            "experts_wanted": 1, "county_service": True, "fee": {"mode": "recommended"}},
            retry_on={"unavailable", "forbidden"})  # until orders has seen the credentials
        offer = await self.call("kokemus.orders.cmd.make_offer", {
            "actor": self.orderer, "order_id": order["order_id"], "expert_id": expert["id"]},
            retry_on={"unavailable", "validation"})  # until orders has seen the listing
        accepted = await self.call("kokemus.orders.cmd.accept_offer", {
            "actor": expert, "order_id": order["order_id"], "offer_id": offer["offer_id"]})
        engagement_id = accepted["engagement_id"]
        self.step(f"orders: {expert['id']} accepts: engagement [cyan]{engagement_id}[/cyan]")

        self.step("[bold]contracts[/bold]: the assignment contract is drafted; the expert and the school sign it")
        for actor, party in ((expert, "expert"), (self.orderer, "orderer")):
            await self.call("kokemus.contracts.cmd.sign_contract", {
                "actor": actor, "engagement_id": engagement_id, "party": party},
                retry_on={"unavailable", "not_found"})  # until the contract is drafted
        await self.call("kokemus.orders.query.get_engagement", {"actor": self.orderer, "engagement_id": engagement_id},
                        retry_on={"unavailable", "not_found"}, until=lambda e: e["status"] != "opened")
        self.step("orders: both signed, the engagement is confirmed; the school confirms delivery")
        await self.call("kokemus.orders.cmd.confirm_delivery", {
            "actor": self.orderer, "engagement_id": engagement_id, "actual_hours": "2", "kilometres": "34",
            "other_expenses": "0"}, retry_on={"unavailable", "conflict"})
        contract = await self.call("kokemus.contracts.query.get_contract", {
            "actor": self.coordinator, "engagement_id": engagement_id},
            retry_on={"unavailable", "not_found"}, until=lambda c: bool(c.get("fee")))
        approved = contract["fee"]
        self.step(f"contracts: fee {approved['fee']} € + mileage {approved['mileage']} € = {approved['total']} € approved")
        await self.call("kokemus.contracts.cmd.record_payment", {
            "actor": self.coordinator, "engagement_id": engagement_id, "paid_on": str(dt.date.today())})
        self.step("contracts: the coordinator records the payment")

        self.step("[bold]feedback[/bold]: the expert's self-assessment and the school's feedback")
        await self.call("kokemus.feedback.cmd.submit_feedback", {
            "actor": expert, "engagement_id": engagement_id, "form": "self_assessment",
            "ratings": {"preparation": 5, "own_wellbeing": 4, "experience_heard": 5, "would_do_again": 5},
            "free_text": "The teachers asked good questions."}, retry_on={"unavailable", "conflict", "not_found"})
        await self.call("kokemus.feedback.cmd.submit_feedback", {
            "actor": self.orderer, "engagement_id": engagement_id, "form": "orderer_feedback",
            "ratings": {"usefulness": 5, "expert_preparation": 5, "cooperation": 5, "would_order_again": 5},
            "free_text": "Very useful for our staff."}, retry_on={"unavailable", "conflict", "not_found"})
        await self.call("kokemus.orders.query.get_engagement", {"actor": self.orderer, "engagement_id": engagement_id},
                        until=lambda e: e["status"] == "closed")
        self.step(f"[bold green]orders: engagement {engagement_id} is closed[/bold green]")
        return engagement_id


async def play(nats_url: str | None, engagements: int = 1, console: Console | None = None,
               show_trail: bool = True, patience: float = 180.0) -> list[str]:
    console = console or Console()
    async with connection(nats_url) as nc:
        demo = Demo(nc, console, uuid.uuid4().hex[:6], patience)
        console.print(f"[bold]demo run {demo.run}[/bold]: {engagements} engagement(s)")
        await demo.set_up()
        ids = await asyncio.gather(*(demo.engagement(n) for n in range(1, engagements + 1)))
        if show_trail and ids:
            from kokemus.audit import print_history

            history = await demo.call("kokemus.audit.query.history", {
                "actor": {"id": "auditor-demo", "role": "auditor"}, "engagement_id": ids[0]},
                retry_on={"unavailable", "not_found"}, until=lambda h: _trail_complete(h))
            print_history(console, ids[0], history)
        console.print(f"[green]{len(ids)} engagement(s) closed[/green]")
        return list(ids)


def _trail_complete(history: Any) -> bool:
    types = {entry["event_type"] for entry in _entries(history)}
    return {"ExpertListed", "OrderPlaced", "EngagementOpened", "ContractFullySigned", "FeeApproved",
            "FeedbackCompleted", "EngagementClosed"} <= types


def _entries(history: Any) -> list[dict[str, Any]]:
    return history["entries"] if isinstance(history, dict) else history


def demo_command(engagements: int = typer.Option(1, min=1, max=500, help="how many engagements, played concurrently"),
                 patience: float = typer.Option(180.0, help="seconds to keep retrying a step before giving up")) -> None:
    """Play engagements end to end against the running stack, printing each step and the audit trail."""
    run(play(None, engagements, Console(), patience=patience))
