"""FHIR search, as much of it as CONNECT implements: parameters of type token, reference, date
and string, comma for OR within a parameter and repetition for AND, the `:missing` modifier,
`_lastUpdated` with its prefixes, and paging with `_count` and `_page` (links first, previous,
next, last in the Bundle).

A parameter CONNECT does not implement is refused (400 with an OperationOutcome naming it) rather
than ignored, so a client never mistakes an unfiltered list for a filtered one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, and_, false, not_, or_, true

from api.errors import ApiError

DEFAULT_COUNT = 20
MAX_COUNT = 100
PAGING = ("_count", "_page")
SEARCH_DEFINITION = "http://hl7.org/fhir/SearchParameter/"


@dataclass(frozen=True)
class Value:
    """One value of a parameter (between commas), with the parameter's modifier."""

    text: str
    modifier: str | None


Condition = Callable[[Value], ColumnElement[bool]]


@dataclass(frozen=True)
class Param:
    """A search parameter one resource type supports."""

    name: str
    type: str  # token | reference | date | string
    definition: str
    condition: Condition
    modifiers: tuple[str, ...] = ()
    documentation: str = ""


def refuse(param: str, detail: str) -> ApiError:
    """A search that cannot be run: 400, as FHIR servers answer a bad search."""
    return ApiError(400, detail, code="invalid_search", field=param)


# --- values of each type ------------------------------------------------------------------------


def token(value: Value, system: str | None = None) -> str:
    """The code of a token value: `code`, `|code` or `system|code` (the system, when given, must
    be ``system``)."""
    if "|" not in value.text:
        return value.text
    given, code = value.text.split("|", 1)
    if given and system is not None and given != system:
        return "\x00no such code"  # a code of another system matches nothing
    return code


def token_pair(value: Value) -> tuple[str | None, str]:
    if "|" not in value.text:
        return None, value.text
    system, code = value.text.split("|", 1)
    return system or None, code


_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def reference_id(value: Value, kinds: tuple[str, ...], param: str) -> str:
    """The id in a reference value (`5`, `Patient/5`, or an absolute URL ending in `Patient/5`);
    a reference to another resource type is refused."""
    parts = value.text.rstrip("/").split("/")
    if len(parts) == 1:
        id_ = parts[0]
    else:
        kind, id_ = parts[-2], parts[-1]
        if kind not in kinds:
            raise refuse(param, f"{param} refers to {' or '.join(kinds)}, not {kind}.")
    if not _ID.fullmatch(id_):
        raise refuse(param, f"{param}: {value.text!r} is not a reference such as {kinds[0]}/12.")
    return id_


def int_id(text: str) -> int | None:
    """A CONNECT row id from a FHIR id, None if it cannot be one (so it matches nothing)."""
    return int(text) if text.isdigit() and 0 < int(text) < 2**62 else None


def id_match(column, text: str) -> ColumnElement[bool]:
    number = int_id(text)
    return column == number if number is not None else false()


_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?")


def date_range(text: str, param: str) -> tuple[str, datetime, datetime]:
    """A date value's prefix and the instants [start, end) its precision covers (UTC)."""
    prefix, rest = ("eq", text)
    if text[:2] in _PREFIXES:
        prefix, rest = text[:2], text[2:]
    m = _DATE.fullmatch(rest)
    if not m:
        raise refuse(param, f"{param}: {text!r} is not a FHIR date such as ge2026-01-31 or "
                            "lt2026-01-31T12:00:00Z.")
    year, month, day, hour, minute, second, zone = m.groups()
    try:
        if hour is not None and zone is None:
            raise refuse(param, f"{param}: a time needs its offset (Z or +hh:mm).")
        if hour is not None:
            start = datetime.fromisoformat(rest.replace("Z", "+00:00")).astimezone(timezone.utc)
            step = timedelta(seconds=1) if second is not None else timedelta(minutes=1)
            return prefix, start, start + step
        if day is not None:
            start = datetime(int(year), int(month), int(day), tzinfo=timezone.utc)
            return prefix, start, start + timedelta(days=1)
        if month is not None:
            start = datetime(int(year), int(month), 1, tzinfo=timezone.utc)
            end = datetime(int(year) + (int(month) == 12), int(month) % 12 + 1, 1, tzinfo=timezone.utc)
            return prefix, start, end
        start = datetime(int(year), 1, 1, tzinfo=timezone.utc)
        return prefix, start, datetime(int(year) + 1, 1, 1, tzinfo=timezone.utc)
    except ValueError:
        raise refuse(param, f"{param}: {text!r} is not a real date.") from None


def date_condition(column, param: str) -> Condition:
    def condition(value: Value) -> ColumnElement[bool]:
        prefix, start, end = date_range(value.text, param)
        return {
            "eq": and_(column >= start, column < end), "ne": or_(column < start, column >= end),
            "gt": column >= end, "sa": column >= end, "ge": column >= start,
            "lt": column < start, "eb": column < start, "le": column < end,
        }[prefix]
    return condition


# --- a request's search ---------------------------------------------------------------------------


@dataclass
class Search:
    """A parsed search: the conditions to AND, the page asked for, the query string to echo."""

    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    page: int = 1
    echoed: list[tuple[str, str]] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)


def parse_search(items: list[tuple[str, str]], params: dict[str, Param], kind: str,
                 includes: tuple[str, ...] = ()) -> Search:
    """The conditions of a query string (its items in order) against ``params``."""
    search = Search()
    for raw_name, raw_value in items:
        name, _, modifier = raw_name.partition(":")
        modifier = modifier or None
        if name in PAGING:
            setattr(search, name[1:], _positive(raw_name, raw_value, MAX_COUNT if name == "_count" else None))
            continue
        if name == "_include":
            if raw_value not in includes:
                raise refuse("_include", f"_include of {kind} may be: {', '.join(includes) or 'none'}.")
            search.includes.append(raw_value)
            search.echoed.append((raw_name, raw_value))
            continue
        param = params.get(name)
        if param is None:
            known = ", ".join(sorted([*params, *PAGING, *(["_include"] if includes else [])]))
            raise refuse(name, f"{kind} cannot be searched by {name!r}; CONNECT supports: {known}.")
        if modifier is not None and modifier not in param.modifiers:
            raise refuse(raw_name, f"{name} takes no :{modifier} modifier"
                                   + (f" (only :{', :'.join(param.modifiers)})." if param.modifiers else "."))
        if modifier == "missing":
            if raw_value not in ("true", "false"):
                raise refuse(raw_name, f"{raw_name} is true or false.")
            search.conditions.append(param.condition(Value(raw_value, modifier)))
        else:
            values = [v for v in raw_value.split(",") if v]
            if not values:
                raise refuse(name, f"{name} needs a value.")
            search.conditions.append(or_(*(param.condition(Value(v, modifier)) for v in values)))
        search.echoed.append((raw_name, raw_value))
    return search


def _positive(name: str, text: str, cap: int | None) -> int:
    if not text.isdigit() or int(text) < 1:
        raise refuse(name, f"{name} is a whole number from 1.")
    return min(int(text), cap) if cap else int(text)


def missing(present: ColumnElement[bool]) -> Condition:
    """`:missing=true` matches where ``present`` is false, `:missing=false` where it is true."""
    return lambda value: not_(present) if value.text == "true" else present


def always(_value: Value) -> ColumnElement[bool]:
    return true()


def page_links(base_url: str, search: Search, total: int) -> list[dict]:
    """The Bundle's links: self, first, previous, next, last, each with the same search."""
    last = max(1, -(-total // search.count))

    def url(page: int) -> str:
        return base_url + "?" + urlencode([*search.echoed, ("_count", str(search.count)), ("_page", str(page))])

    links = [{"relation": "self", "url": url(search.page)}, {"relation": "first", "url": url(1)}]
    if search.page > 1:
        links.append({"relation": "previous", "url": url(min(search.page - 1, last))})
    if search.page < last:
        links.append({"relation": "next", "url": url(search.page + 1)})
    links.append({"relation": "last", "url": url(last)})
    return links
