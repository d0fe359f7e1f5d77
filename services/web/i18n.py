"""Finnish first, then Swedish and English: gettext catalogues read from the .po files and compiled in memory
at start (no compile step, no .mo files in git), the language of each request, and Babel's formatting of
dates, numbers and euros in that language."""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_date, format_datetime, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"
LANGUAGE_NAMES = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}
LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}  # Swedish as written in Finland
TIME_ZONE = "Europe/Helsinki"

_current: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> NullTranslations:
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as file:
        catalog = read_po(file, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as pybabel compile does
    compiled.seek(0)
    return Translations(compiled)


def activate(language: str) -> None:
    """The language of the request being handled (a context variable: each request has its own)."""
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def language() -> str:
    return _current.get()


def gettext(message: str, **values: object) -> str:
    text = translations(language()).gettext(message)
    return str(text % values if values else text)


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    text = translations(language()).ngettext(singular, plural, n)
    return str(text % {"num": n, **values})


def N_(message: str) -> str:
    """Marks a text for the catalogues where it is defined; it is translated where it is shown."""
    return message


def from_request(cookie: str | None, accept_language: str | None) -> str:
    """The person's choice (the cookie), else the browser's first language we have, else Finnish."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


# -- formatting, the Finnish and Swedish way ---------------------------------------------------------------

def _locale() -> str:
    return LOCALES[language()]


def date(value: object) -> str:
    day = _as_date(value)
    return format_date(day, format="d.M.yyyy" if language() in ("fi", "sv") else "d MMM yyyy",
                       locale=_locale()) if day else ""


def datetime(value: object) -> str:
    moment = value
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(moment, dt.datetime):
        return ""
    return str(format_datetime(moment, format="short", tzinfo=get_timezone(TIME_ZONE), locale=_locale()))


def number(value: object) -> str:
    amount = _as_decimal(value)
    return "" if amount is None else format_decimal(amount, locale=_locale())


def euros(value: object) -> str:
    amount = _as_decimal(value)
    return "" if amount is None else format_currency(amount, "EUR", locale=_locale())


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _as_decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
