"""Request-reply over NATS: registering command and query endpoints, the error reply, and a client.

Every reply is ``{"ok": true, "result": …}`` or the error shape of :mod:`shared.errors`; a caller never
gets a traceback and never waits forever (no responder and time-outs answer ``unavailable``).
"""

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import nats
from faststream.middlewares import ExceptionMiddleware
from faststream.nats import NatsBroker
from nats.errors import NoRespondersError, TimeoutError as NatsTimeout
from opentelemetry import propagate, trace
from pydantic import BaseModel, ValidationError

from shared.errors import ERROR_CODES, Conflict, FieldProblem, Invalid, KokemusError, Unavailable
from shared.eventstore.port import ConcurrencyConflict, SubjectErased
from shared.messaging.subjects import command_subject, query_subject
from shared.unit_of_work import COMMAND_TRANSACTION

log = logging.getLogger(__name__)


def ok(result: Any) -> dict[str, Any]:
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    return {"ok": True, "result": result}


def validation_reply(error: ValidationError) -> dict[str, Any]:
    problems = []
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        if location and location[0] == "body":  # FastStream names the whole message "body"
            location = location[1:]
        problems.append(FieldProblem(".".join(location) or "(message)", problem["msg"], _allowed(problem)))
    summary = "; ".join(f"{p.field}: {p.reason}" for p in problems)
    return Invalid(f"invalid request: {summary}", problems).to_reply()


_LIMITS = {"min_length": "at least {} characters", "max_length": "at most {} characters", "ge": ">= {}",
           "gt": "> {}", "le": "<= {}", "lt": "< {}", "pattern": "matching {}", "expected": "{}"}


def _allowed(problem: dict[str, Any]) -> str | None:
    if problem["type"] == "missing":
        return "a value is required"
    if problem["type"] == "extra_forbidden":
        return "no such field: remove it"
    context = problem.get("ctx") or {}
    described = [template.format(context[key]) for key, template in _LIMITS.items() if key in context]
    return "; ".join(described) or None


def error_middleware() -> ExceptionMiddleware:
    """Turns every exception a handler raises into the documented error reply."""
    middleware = ExceptionMiddleware()

    @middleware.add_handler(ValidationError, publish=True)
    def _validation(exc: ValidationError) -> dict[str, Any]:
        return validation_reply(exc)

    @middleware.add_handler(KokemusError, publish=True)
    def _known(exc: KokemusError) -> dict[str, Any]:
        return exc.to_reply()

    @middleware.add_handler(ConcurrencyConflict, publish=True)
    def _conflict(exc: ConcurrencyConflict) -> dict[str, Any]:
        return Conflict(f"changed by someone else meanwhile, try again ({exc})").to_reply()

    @middleware.add_handler(SubjectErased, publish=True)
    def _erased(exc: SubjectErased) -> dict[str, Any]:
        return Conflict(str(exc)).to_reply()

    @middleware.add_handler(Exception, publish=True)
    def _unexpected(exc: Exception) -> dict[str, Any]:
        trace_id = format(trace.get_current_span().get_span_context().trace_id, "032x")
        log.exception("unexpected error in a request handler (trace %s)", trace_id, exc_info=exc)
        return Unavailable(f"the service failed to handle the request; it was not recorded (trace {trace_id})").to_reply()

    return middleware


Handler = Callable[[Any], Awaitable[Any]]


class CommandReplies:
    """Stored replies of commands, by command id, in the service's schema."""

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        self.schema = schema

    async def once(self, command_id: uuid.UUID, subject: str, run: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
        async with self.pool.acquire() as conn, conn.transaction():
            # The same command arriving twice at once (a retry racing the original) waits for the first.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", str(command_id))
            stored = await conn.fetchval(f"SELECT reply FROM {self.schema}.command_replies WHERE command_id = $1", command_id)
            if stored is not None:
                return json.loads(stored)
            token = COMMAND_TRANSACTION.set(conn)
            try:
                reply = ok(await run())
            finally:
                COMMAND_TRANSACTION.reset(token)
            await conn.execute(
                f"INSERT INTO {self.schema}.command_replies (command_id, subject, reply) VALUES ($1, $2, $3::jsonb)",
                command_id, subject, json.dumps(reply, default=str),
            )
            return reply


def endpoint(broker: NatsBroker, service: str, kind: str, name: str, request: type[BaseModel], handler: Handler,
             replies: CommandReplies | None = None) -> None:
    """Serve ``handler`` at ``kokemus.<service>.<kind>.<name>``, the request validated as ``request``.

    With ``replies``, a command that carries a ``command_id`` is answered once: its reply is stored in its
    own transaction, and the same command sent again gets the stored reply.
    """
    subject = command_subject(service, name) if kind == "cmd" else query_subject(service, name)

    async def serve(body: request) -> dict[str, Any]:  # type: ignore[valid-type]
        command_id = getattr(body, "command_id", None)
        if replies is None or command_id is None:
            return ok(await handler(body))
        return await replies.once(command_id, subject, lambda: handler(body))

    serve.__name__ = name
    broker.subscriber(
        subject, queue=service, title=subject, description=_doc(handler)
    )(serve)


def _doc(handler: Handler) -> str | None:
    # Handlers are often bound with functools.partial, whose own docstring is not the handler's.
    target = getattr(handler, "func", handler)
    return (target.__doc__ or "").strip() or None


class RemoteError(Exception):
    """An error reply from a service, or no reply at all."""

    def __init__(self, code: str, message: str, fields: list[dict[str, Any]] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fields = fields or []

    def as_error(self) -> KokemusError:
        cls = ERROR_CODES.get(self.code, Unavailable)
        return cls(self.message, [FieldProblem(**problem) for problem in self.fields])


async def request(nc: nats.NATS, subject: str, payload: BaseModel | dict[str, Any], timeout: float = 10.0) -> Any:
    """Send a command or query and return its result, or raise :class:`RemoteError`."""
    body = payload.model_dump_json() if isinstance(payload, BaseModel) else json.dumps(payload)
    headers: dict[str, str] = {"correlation_id": str(uuid.uuid4())}
    propagate.inject(headers)
    try:
        message = await nc.request(subject, body.encode(), timeout=timeout, headers=headers)
    except NoRespondersError:
        raise RemoteError("unavailable", f"nobody answers on {subject}: is that service running?") from None
    except NatsTimeout:
        raise RemoteError("unavailable", f"no answer on {subject} within {timeout:.0f} s") from None
    reply = json.loads(message.data)
    if reply.get("ok"):
        return reply.get("result")
    error = reply.get("error", {})
    raise RemoteError(error.get("code", "unavailable"), error.get("message", "error"), error.get("fields"))
