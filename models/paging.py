"""Paged lists: one page of a query's rows and the numbers a pager needs.

`Page` is the one page every list returns (referrals, reports, client search, directories,
queues); `paginate` cuts one from an ordered query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

T = TypeVar("T")

PER_PAGE = 25
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    """Page ``number`` (from 1) of ``total`` rows, ``per_page`` to a page."""

    items: Sequence[T]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return pages_for(self.total, self.per_page)

    @property
    def first_row(self) -> int:
        """The position (from 1) of the page's first row among all rows; 0 on an empty page."""
        return (self.number - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.items) - 1 if self.items else 0

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(db: Session, stmt: Select, number: int = 1, per_page: int = PER_PAGE) -> Page:
    """The ``number``-th page (from 1) of ``stmt``'s rows; ``stmt`` must order its rows."""
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    number = min(max(number, 1), pages_for(total, per_page))
    items = db.scalars(stmt.limit(per_page).offset((number - 1) * per_page)).unique().all()
    return Page(items, number, per_page, total)


def pages_for(total: int, per_page: int) -> int:
    """How many pages ``total`` rows fill; an empty list still shows one (empty) page."""
    return max(1, -(-total // per_page))


def matches_text(text: str, *columns) -> ColumnElement[bool] | None:
    """Every word of ``text`` found (case-insensitively) in one of ``columns``; None if no text."""
    words = [w for w in (text or "").split() if w]
    if not words:
        return None
    return and_(*(or_(*(c.ilike(f"%{escape_like(w)}%", escape="\\") for c in columns)) for w in words))


def escape_like(word: str) -> str:
    """The word for a LIKE pattern escaped with a backslash: its %, _ and backslashes match themselves."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
