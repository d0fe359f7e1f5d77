"""What a request may be, checked before anything reads it: its size, its nesting, its numbers and its strings.

Every request is decoded here instead of by a plain ``json.loads``, so that a message no client would send in
good faith (a megabyte of text, JSON nested a thousand deep, a 5,000-digit number, a NUL or half a UTF-16
surrogate pair) is answered ``validation``, naming what was wrong, and never reaches a handler, a log line or
the event store. Each field's own bounds (lengths, ranges, dates) are in the request models (:mod:`shared.fields`).
"""

from __future__ import annotations

import json
from typing import Any

from shared.errors import FieldProblem, Invalid

MAX_REQUEST_BYTES = 64 * 1024
MAX_DEPTH = 12
MAX_NUMBER_DIGITS = 30  # more than any amount, count or id needs


def decode_request(body: bytes, max_bytes: int = MAX_REQUEST_BYTES) -> Any:
    """The request's JSON, if it is a request at all; otherwise :class:`Invalid` naming the problem. A request
    model may allow more than ``MAX_REQUEST_BYTES`` with a ``max_request_bytes`` class variable of its own (a
    receipt file's command), never more than a NATS message carries."""
    if len(body) > max_bytes:
        raise _invalid("(message)", f"is {len(body)} bytes long", f"at most {max_bytes} bytes")
    if not body.strip():
        return {}
    try:
        value = json.loads(body, parse_int=_integer, parse_float=_number, parse_constant=_no_constant)
    except _NumberTooLong as error:
        raise _invalid("(message)", f"holds a number of {error.digits} digits",
                       f"at most {MAX_NUMBER_DIGITS} digits") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise _invalid("(message)", f"is not JSON ({_brief(error)})", "a JSON object") from None
    _check(value, "", 0)
    return value


class _NumberTooLong(ValueError):
    def __init__(self, digits: int) -> None:
        super().__init__(f"{digits} digits")
        self.digits = digits


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _NumberTooLong(len(text))
    return int(text)


def _number(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS + 10:  # room for a sign, a point and an exponent
        raise _NumberTooLong(len(text))
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NumberTooLong(len(text))
    return value


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a JSON number")


def _check(value: Any, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _invalid(path or "(message)", f"is nested more than {MAX_DEPTH} deep", f"at most {MAX_DEPTH} levels")
    if isinstance(value, str):
        _check_text(value, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, f"{path}.{key}" if path else "(a field name)")
            _check(item, f"{path}.{key}" if path else key, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, f"{path}.{index}", depth + 1)


def _check_text(text: str, path: str) -> None:
    if "\x00" in text:
        raise _invalid(path, "contains a NUL character", "text without control character U+0000")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid(path, "contains half of a UTF-16 surrogate pair", "valid Unicode text") from None


def _invalid(field: str, reason: str, allowed: str) -> Invalid:
    return Invalid(f"invalid request: {field}: {reason}", [FieldProblem(field, reason, allowed)])


def _brief(error: Exception) -> str:
    return str(error).split(":")[0][:80]
