"""Paging of lists already computed in Python, shaped like Flask-SQLAlchemy's Pagination for the macro."""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil


@dataclass
class ListPage:
    """One page of an already computed list."""

    items: list
    page: int
    per_page: int
    total: int

    @classmethod
    def of(cls, rows: list, page: int, per_page: int) -> ListPage:
        """Slice `rows` for page `page` (1-based; out of range → the last page)."""
        pages = max(1, ceil(len(rows) / per_page))
        page = min(max(page, 1), pages)
        return cls(rows[(page - 1) * per_page: page * per_page], page, per_page, len(rows))

    @property
    def pages(self) -> int:
        """Number of pages (at least one)."""
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        """Whether a previous page exists."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether a next page exists."""
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        """The previous page's number."""
        return self.page - 1

    @property
    def next_num(self) -> int:
        """The next page's number."""
        return self.page + 1
