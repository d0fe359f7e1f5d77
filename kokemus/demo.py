"""``kokemus demo``: plays engagements end to end, as their users would, through the services' NATS commands.

It imports no service internals: every step is a request on a subject, as any client would send it, each
person signed in through the embedded stack's development sign-in (so the demo runs only where that is on).
Steps that depend on another service having caught up (orders learning of a listing, contracts drafting a
contract) are retried until they succeed; a service being restarted meanwhile answers ``unavailable``,
which is retried too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import typer
from nats.aio.client import Client as NATS
from rich.console import Console

from kokemus.connect import connection, run
from kokemus.login import development_sign_in
from shared.messaging.rpc import RemoteError, request

RETRIED = {"unavailable", "not_found", "forbidden", "conflict", "validation"}


@dataclass
class Person:
    """Someone the demo plays, signed in as the development sign-in allows: by address, or as county staff."""

    email: str | None = None
    staff_role: str | None = None
    token: str | None = None
    session: str | None = None
    signed_at: float = 0.0

    TOKEN_REUSE_SECONDS = 30.0  # tokens live 60 s by default

    async def fresh_token(self, nc: NATS) -> str:
        """A token for this person; signed in on first use, renewed from the session before it expires."""
        if self.token is None or self.session is None:
            answer = await development_sign_in(nc, email=self.email, staff_role=self.staff_role)
            self.session = answer["session"]
        elif time.monotonic() - self.signed_at > self.TOKEN_REUSE_SECONDS:
            answer = await request(nc, "kokemus.identity.query.token", {"session": self.session})
        else:
            return self.token
        self.token, self.signed_at = answer["token"], time.monotonic()
        return self.token


class Demo:
    RETRY_FIRST_SECONDS = 0.1  # a step retried waits this long at first, then 1.5 times longer each time
    RETRY_MAX_SECONDS = 2.0

    def __init__(self, nc: NATS, console: Console, run: str, patience: float = 180.0) -> None:
        self.nc = nc
        self.console = console
        self.run = run
        self.patience = patience
        self.county = f"varha-{run}"
        self.ngo = f"mieli-{run}"
        self.coordinator = Person(staff_role="coordinator")
        self.auditor = Person(staff_role="auditor")
        self.contact = Person(email=f"olli.{run}@mieli.example")
        self.orderer = Person(email=f"rehtori.{run}@koulu.example")
        self.orderer_id = f"school-{run}"

    async def call(self, person: Person, subject: str, body: dict[str, Any], *,
                   retry_on: Collection[str] = frozenset({"unavailable"}),
                   until: Callable[[Any], bool] | None = None) -> Any:
        """One request as ``person``, retried while the answer is one of ``retry_on`` (or ``until`` is not yet
        true). A person whose records the registry is still making is signed in once it has them."""
        deadline = time.monotonic() + self.patience
        delay = self.RETRY_FIRST_SECONDS
        if ".cmd." in subject and body.get("command_id") is None:
            body = {**body, "command_id": str(uuid.uuid4())}  # the same id on every retry: recorded once
        while True:
            try:
                token = await person.fresh_token(self.nc)
                result = await request(self.nc, subject, body, token=token, timeout=10)
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
            delay = min(delay * 1.5, self.RETRY_MAX_SECONDS)

    def step(self, text: str) -> None:
        self.console.print(f"  [dim]{time.strftime('%H:%M:%S')}[/dim] {text}")

    async def set_up(self) -> None:
        today = dt.date.today()
        self.step("[bold]registry[/bold]: the coordinator registers the county and an NGO, and their agreement")
        await self.call(self.coordinator, "kokemus.registry.cmd.register_organization", {
            "organization_id": self.county, "name": "Varsinais-Suomen hyvinvointialue", "kind": "county"})
        await self.call(self.coordinator, "kokemus.registry.cmd.register_organization", {
            "organization_id": self.ngo, "name": "Mieli ry", "kind": "ngo"})
        await self.call(self.coordinator, "kokemus.registry.cmd.appoint_contact_person", {
            "organization_id": self.ngo, "person_id": f"olli-{self.run}", "name": "Olli Ohjaaja",
            "email": self.contact.email})
        agreement = {"organization_id": self.ngo, "agreement_id": f"agreement-{self.run}"}
        await self.call(self.coordinator, "kokemus.registry.cmd.draft_organization_agreement", {
            **agreement, "valid_from": str(today - dt.timedelta(days=30)),
            "valid_until": str(today + dt.timedelta(days=365))})
        self.step("registry: the coordinator and the NGO's contact person each read the agreement and sign it")
        for signer, language in ((self.coordinator, "fi"), (self.contact, "sv")):
            document = await self.call(signer, "kokemus.registry.query.organization_agreement",
                                       {**agreement, "language": language}, retry_on={"unavailable", "forbidden"})
            await self.call(signer, "kokemus.registry.cmd.sign_organization_agreement",
                            {**agreement, "document_hash": document["sha256"]})
        self.step("registry: the coordinator grants the school credentials for the experience bank")
        await self.call(self.coordinator, "kokemus.registry.cmd.grant_credentials", {
            "orderer_id": self.orderer_id, "orderer_name": "Turun koulu", "email": self.orderer.email})
        self.step("[bold]notifications[/bold]: the school asks to be told by e-mail (`kokemus up` prints the mail "
                  "sink they land in)")
        await self.call(self.orderer, "kokemus.notifications.cmd.set_contact", {
            "email": self.orderer.email, "language": "fi"}, retry_on={"unavailable", "forbidden"})

    async def list_expert(self, n: int) -> tuple[str, Person]:
        expert_id = f"expert-{self.run}-{n}"
        expert = Person(email=f"expert{n}.{self.run}@example.org")
        self.step(f"registry: the NGO registers {expert_id}, records the basic training; the expert consents; listed")
        await self.call(self.contact, "kokemus.registry.cmd.register_expert", {
            "expert_id": expert_id, "organization_id": self.ngo, "name": f"Demo Expert {n}", "email": expert.email,
            "experience": "lived experience of recovery (demo)"})
        await self.call(self.contact, "kokemus.registry.cmd.record_training", {
            "expert_id": expert_id, "training": "basic training",
            "completed_on": str(dt.date.today() - dt.timedelta(days=60)), "trained_by": self.ngo})
        await self.call(expert, "kokemus.registry.cmd.give_consent", {"expert_id": expert_id})
        await self.call(expert, "kokemus.notifications.cmd.set_contact", {"email": expert.email, "language": "fi"})
        await self.call(self.contact, "kokemus.registry.cmd.list_expert", {
            "expert_id": expert_id, "topics": ["mental health", "recovery"]})
        return expert_id, expert

    async def engagement(self, n: int) -> str:
        expert_id, expert = await self.list_expert(n)
        task_date = dt.date.today() + dt.timedelta(days=14)
        self.step(f"[bold]orders[/bold]: the school places an order and offers it to {expert_id}")
        order = await self.call(self.orderer, "kokemus.orders.cmd.place_order", {
            "task_type": "lecture", "topic": "Recovery from depression, for teachers",
            "date": str(task_date), "duration_hours": "2", "place": "Turku", "remote": False,
            "experts_wanted": 1, "county_service": True, "fee": {"mode": "recommended"}},
            retry_on={"unavailable", "forbidden"})  # until orders has seen the credentials
        offer = await self.call(self.orderer, "kokemus.orders.cmd.make_offer", {
            "order_id": order["order_id"], "expert_id": expert_id},
            retry_on={"unavailable", "validation"})  # until orders has seen the listing
        accepted = await self.call(expert, "kokemus.orders.cmd.accept_offer", {
            "order_id": order["order_id"], "offer_id": offer["offer_id"]})
        engagement_id: str = accepted["engagement_id"]
        self.step(f"orders: {expert_id} accepts: engagement [cyan]{engagement_id}[/cyan]")

        self.step("[bold]contracts[/bold]: the assignment contract is drafted; the expert and the school sign it")
        for person, party in ((expert, "expert"), (self.orderer, "orderer")):
            await self.call(person, "kokemus.contracts.cmd.sign_contract", {
                "engagement_id": engagement_id, "party": party},
                retry_on={"unavailable", "not_found"})  # until the contract is drafted
        await self.call(self.orderer, "kokemus.orders.query.get_engagement", {"engagement_id": engagement_id},
                        retry_on={"unavailable", "not_found"}, until=lambda e: e["status"] != "opened")
        self.step("orders: both signed, the engagement is confirmed; the school confirms delivery")
        await self.call(self.orderer, "kokemus.orders.cmd.confirm_delivery", {
            "engagement_id": engagement_id, "actual_hours": "2", "kilometres": "34",
            "other_expenses": "0"}, retry_on={"unavailable", "conflict"})
        contract = await self.call(self.coordinator, "kokemus.contracts.query.get_contract", {
            "engagement_id": engagement_id},
            retry_on={"unavailable", "not_found"}, until=lambda c: bool(c.get("fee")))
        approved = contract["fee"]
        self.step(f"contracts: fee {approved['fee']} € + mileage {approved['mileage']} € "
                  f"= {approved['total']} € approved")
        await self.call(self.coordinator, "kokemus.contracts.cmd.record_payment", {
            "engagement_id": engagement_id, "paid_on": str(dt.date.today())})
        self.step("contracts: the coordinator records the payment")

        self.step("[bold]feedback[/bold]: the expert's self-assessment and the school's feedback")
        await self.call(expert, "kokemus.feedback.cmd.submit_feedback", {
            "engagement_id": engagement_id, "form": "self_assessment",
            "ratings": {"preparation": 5, "own_wellbeing": 4, "experience_heard": 5, "would_do_again": 5},
            "free_text": "The teachers asked good questions."}, retry_on={"unavailable", "conflict", "not_found"})
        await self.call(self.orderer, "kokemus.feedback.cmd.submit_feedback", {
            "engagement_id": engagement_id, "form": "orderer_feedback",
            "ratings": {"usefulness": 5, "expert_preparation": 5, "cooperation": 5, "would_order_again": 5},
            "free_text": "Very useful for our staff."}, retry_on={"unavailable", "conflict", "not_found"})
        await self.call(self.orderer, "kokemus.orders.query.get_engagement", {"engagement_id": engagement_id},
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

            history = await demo.call(demo.auditor, "kokemus.audit.query.history", {"engagement_id": ids[0]},
                retry_on={"unavailable", "not_found"}, until=lambda h: _trail_complete(h))
            print_history(console, ids[0], history)
        console.print(f"[green]{len(ids)} engagement(s) closed[/green]")
        return list(ids)


def _trail_complete(history: Any) -> bool:
    from kokemus.audit import history_entries

    types = {entry["event_type"] for entry in history_entries(history)}
    return {"ExpertListed", "OrderPlaced", "EngagementOpened", "ContractFullySigned", "FeeApproved",
            "FeedbackCompleted", "EngagementClosed"} <= types


def demo_command(
    engagements: int = typer.Option(1, min=1, max=500, help="how many engagements, played concurrently"),
    patience: float = typer.Option(180.0, help="seconds to keep retrying a step before giving up"),
) -> None:
    """Play engagements end to end against the running stack, printing each step and the audit trail."""
    run(play(None, engagements, Console(), patience=patience))
