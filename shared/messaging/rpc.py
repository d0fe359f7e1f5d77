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
from typing import Any

from faststream.middlewares import ExceptionMiddleware
from faststream.nats import NatsRouter
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError, TimeoutError as NatsTimeout
from opentelemetry import propagate, trace
from pydantic import BaseModel, ValidationError, create_model

from shared.errors import ERROR_CODES, Conflict, FieldProblem, Invalid, KokemusError, Unavailable
from shared.events import Actor
from shared.eventstore.port import ConcurrencyConflict, SubjectErased
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


# Serves one request: (the request's name, the validated request, the caller) -> the reply.
Serve = Callable[[str, BaseModel, Actor], Awaitable[dict[str, Any]]]


def serve_requests(router: NatsRouter, service: str, kind: str, table: dict[str, tuple[type[BaseModel], Any]],
                   serve: Serve) -> None:
    """Answer each request of ``table`` at ``kokemus.<service>.<kind>.<name>`` (queue group ``service``)."""
    for name, (model, handler) in table.items():
        subject = command_subject(service, name) if kind == "cmd" else query_subject(service, name)
        _endpoint(router, service, subject, name, model, handler, serve)


def _endpoint(router: NatsRouter, service: str, subject: str, name: str, model: type[BaseModel], handler: Any,
              serve: Serve) -> None:
    # The request with its caller: until callers present a signed identity, the caller is stated in the body.
    stated = create_model(f"{model.__name__}Request", __base__=model, actor=(Actor, ...),
                          __doc__=model.__doc__)

    async def answer(body: BaseModel) -> dict[str, Any]:
        actor = getattr(body, "actor")  # noqa: B009 - a field of the model made above, unknown to the checker
        # Already validated as part of ``stated``: copied over, not validated again.
        request = model.model_construct(body.model_fields_set - {"actor"},
                                        **{field: getattr(body, field) for field in model.model_fields})
        return await serve(name, request, actor)

    answer.__name__ = name
    answer.__annotations__["body"] = stated  # the class itself: FastStream decodes the request into it
    router.subscriber(subject, queue=service, title=subject, description=_doc(handler))(answer)


def _doc(handler: Any) -> str | None:
    return inspect.cleandoc(getattr(handler, "__doc__", None) or "") or None


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


async def request(nc: NATS, subject: str, payload: BaseModel | dict[str, Any], timeout: float = 10.0) -> Any:
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
