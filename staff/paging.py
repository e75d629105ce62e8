"""One page of a long list, and how to read a page number someone typed into a URL."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, math.ceil(self.total / self.per_page)))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def parse_page(raw: str | None) -> int:
    """The page number from a query string.

    Raises:
        ValueError: not a whole number of 1 or more; the message names ``page``.
    """
    value = (raw or "1").strip()
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"page={raw!r} is not valid: expected a whole number, 1 or more")
    return int(value)


Query = TypeVar("Query", bound=Select)


def page_of(session: Session, query: Query, page: int, per_page: int) -> tuple[int, Query]:
    """How many rows ``query`` finds in all, and ``query`` narrowed to one page of them."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return total or 0, query.limit(per_page).offset((page - 1) * per_page)
