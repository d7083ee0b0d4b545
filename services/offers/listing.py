"""A sorted, filtered list shown a page at a time (UI.md "Tables"): which page, how many
pages, and the links that sort by a column or go to a page while keeping the filters. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

PER_PAGE = 25


@dataclass(frozen=True)
class Listing:
    """``filters`` are the query's other arguments as the form sent them (kept in every link)."""

    path: str
    sort: str
    order: str
    page: int
    total: int
    filters: dict[str, str] = field(default_factory=dict)
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_shown(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_shown(self) -> int:
        return min(self.total, self.page * self.per_page)

    def _link(self, sort: str, order: str, page: int) -> str:
        query = {**self.filters, "sort": sort, "order": order}
        if page > 1:
            query["page"] = str(page)
        return f"{self.path}?{urlencode(query)}"

    def sort_link(self, column: str) -> str:
        """Sort by ``column``: ascending, or descending when it is sorted ascending now (page 1)."""
        order = "desc" if column == self.sort and self.order == "asc" else "asc"
        return self._link(column, order, 1)

    def page_link(self, page: int) -> str:
        return self._link(self.sort, self.order, page)


def page_number(text: str | None, pages: int) -> int:
    """The page asked for, within 1..``pages`` (anything else: the nearest page there is)."""
    try:
        number = int(text or "1")
    except ValueError:
        return 1
    return min(max(number, 1), pages)
