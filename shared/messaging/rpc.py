"""Request-reply over NATS: the error reply every service gives, serving a table of requests, and a client.

Every reply is ``{"ok": true, "result": …}`` or the error shape of :mod:`shared.errors`; a caller never
gets a traceback and never waits forever (no responder and time-outs answer ``unavailable``).
"""

from __future__ import annotations

import inspect
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from faststream import BaseMiddleware, Context
from faststream.middlewares import ExceptionMiddleware
from faststream.nats import NatsBroker, NatsRouter
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError, TimeoutError as NatsTimeout
from opentelemetry import propagate, trace
from pydantic import BaseModel, ValidationError

from shared.errors import ERROR_CODES, Conflict, FieldProblem, Invalid, KokemusError, Unauthenticated, Unavailable
from shared.events import ANONYMOUS, Actor
from shared.eventstore.port import ConcurrencyConflict, SubjectErased
from shared.identity import TokenVerifier
from shared.messaging.limits import MAX_REQUEST_BYTES, decode_request
from shared.messaging.subjects import command_subject, query_subject

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


def _allowed(problem: Any) -> str | None:
    if problem["type"] == "missing":
        return "a value is required"
    if problem["type"] == "extra_forbidden":
        return "no such field: remove it"
    context = problem.get("ctx") or {}
    described = [template.format(context[key]) for key, template in _LIMITS.items() if key in context]
    return "; ".join(described) or None


def error_middleware() -> ExceptionMiddleware:
    """Turns every exception a request handler raises into the documented error reply."""
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
        log.error("unexpected error in a request handler (trace %s)", trace_id, exc_info=exc)
        return Unavailable(
            f"the service failed to handle the request; it was not recorded (trace {trace_id})"
        ).to_reply()

    return middleware


# Serves one request: (the request's name, the validated request, the caller, the caller's verified token) -> the
# reply.
Serve = Callable[[str, BaseModel, Actor, str | None], Awaitable[dict[str, Any]]]
CALLER = "kokemus_caller"  # where the authentication middleware leaves the caller for the handler
CALLER_TOKEN = "kokemus_caller_token"  # ... and the caller's token, once verified (to ask others in their name)


def authentication(verifier: TokenVerifier | None, public: frozenset[str]) -> type[BaseMiddleware]:
    """Checks the caller's identity before the request is even decoded: a request on a subject of ``public``
    is answered for anyone (the identity service's sign-in); every other needs a valid token."""

    class Authenticate(BaseMiddleware):
        async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: Any) -> Any:
            token: str | None = None
            if msg.raw_message.subject in public:
                caller = ANONYMOUS
            elif verifier is None:
                raise Unauthenticated("this service has no published keys to check identities with "
                                      "(KOKEMUS_IDENTITY_JWKS is not set)")
            else:
                presented = (msg.headers or {}).get("Authorization")
                caller = verifier.actor(presented)
                token = presented.removeprefix("Bearer ").strip() if presented else None
            with self.context.scope(CALLER, caller), self.context.scope(CALLER_TOKEN, token):
                return await call_next(msg)

    return Authenticate


def serve_requests(router: NatsRouter, service: str, kind: str, table: dict[str, tuple[type[BaseModel], Any]],
                   serve: Serve) -> None:
    """Answer each request of ``table`` at ``kokemus.<service>.<kind>.<name>`` (queue group ``service``)."""
    for name, (model, handler) in table.items():
        subject = command_subject(service, name) if kind == "cmd" else query_subject(service, name)
        _endpoint(router, service, subject, name, model, handler, serve)


def _endpoint(router: NatsRouter, service: str, subject: str, name: str, model: type[BaseModel], handler: Any,
              serve: Serve) -> None:
    async def answer(body: BaseModel, caller: Actor = Context(CALLER),
                     token: str | None = Context(CALLER_TOKEN, default=None)) -> dict[str, Any]:
        return await serve(name, body, caller, token)

    answer.__name__ = name
    answer.__annotations__["body"] = model  # the class itself: FastStream decodes the request into it
    router.subscriber(subject, queue=service, decoder=_checked_json(model), title=subject,
                      description=_doc(handler))(answer)


def _checked_json(model: type[BaseModel]) -> Callable[[Any], Awaitable[Any]]:
    """Every request's body, through the checks of :mod:`shared.messaging.limits` instead of a plain JSON load,
    within the size its model allows."""
    max_bytes = int(getattr(model, "max_request_bytes", MAX_REQUEST_BYTES))

    async def checked(message: Any) -> Any:
        return decode_request(message.body, max_bytes)

    return checked


def _doc(handler: Any) -> str | None:
    return inspect.cleandoc(getattr(handler, "__doc__", None) or "") or None


class Requester(Protocol):
    """Sends a request to another service and returns its result (the port a service's adapters use)."""

    async def __call__(self, subject: str, payload: dict[str, Any], *, token: str | None = None) -> Any: ...


class BrokerRequester:
    """Requests over the service's own NATS connection, once its broker has connected; an error reply comes
    back as the same error here."""

    def __init__(self, broker: NatsBroker) -> None:
        self.broker = broker

    async def __call__(self, subject: str, payload: dict[str, Any], *, token: str | None = None) -> Any:
        try:
            return await request(self.broker.connection, subject, payload, token=token)
        except RemoteError as error:
            raise error.as_error() from None


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


async def request(nc: NATS, subject: str, payload: BaseModel | dict[str, Any] | bytes, *, token: str | None = None,
                  timeout: float = 10.0) -> Any:
    """Send a command or query as the holder of ``token`` and return its result, or raise :class:`RemoteError`.
    ``payload`` as bytes is sent as it is (what a client in another language might send)."""
    if isinstance(payload, bytes):
        body = payload
    else:
        body = (payload.model_dump_json() if isinstance(payload, BaseModel) else json.dumps(payload)).encode()
    headers: dict[str, str] = {"correlation_id": str(uuid.uuid4())}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    propagate.inject(headers)
    try:
        message = await nc.request(subject, body, timeout=timeout, headers=headers)
    except NoRespondersError:
        raise RemoteError("unavailable", f"nobody answers on {subject}: is that service running?") from None
    except NatsTimeout:
        raise RemoteError("unavailable", f"no answer on {subject} within {timeout:.0f} s") from None
    reply = json.loads(message.data)
    if reply.get("ok"):
        return reply.get("result")
    error = reply.get("error", {})
    raise RemoteError(error.get("code", "unavailable"), error.get("message", "error"), error.get("fields"))
