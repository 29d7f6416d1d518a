"""Paged lists: one page of a query's rows and the numbers a pager needs."""

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
    items: Sequence[T]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

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
    pages = max(1, -(-total // per_page))
    number = min(max(number, 1), pages)
    items = db.scalars(stmt.limit(per_page).offset((number - 1) * per_page)).unique().all()
    return Page(items, number, per_page, total)


def matches_text(text: str, *columns) -> ColumnElement[bool] | None:
    """Every word of ``text`` found (case-insensitively) in one of ``columns``; None if no text."""
    words = [w for w in (text or "").split() if w]
    if not words:
        return None
    return and_(*(or_(*(c.ilike(f"%{_escape(w)}%", escape="\\") for c in columns)) for w in words))


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
