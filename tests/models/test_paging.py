"""The one page every list returns: the numbers its pager shows."""

from __future__ import annotations

import pytest

from models.paging import Page, pages_for


@pytest.mark.parametrize("total, per_page, pages", [(0, 25, 1), (1, 25, 1), (25, 25, 1), (26, 25, 2), (101, 50, 3)])
def test_pages_for(total, per_page, pages):
    assert pages_for(total, per_page) == pages


def test_page_rows_and_neighbours():
    middle = Page(list(range(10)), 2, 10, 25)
    assert (middle.pages, middle.first_row, middle.last_row, middle.has_previous, middle.has_next) == (3, 11, 20, True, True)
    last = Page(list(range(5)), 3, 10, 25)
    assert (last.first_row, last.last_row, last.has_next) == (21, 25, False)
    empty = Page([], 1, 10, 0)
    assert (empty.pages, empty.first_row, empty.last_row, empty.has_previous, empty.has_next) == (1, 0, 0, False, False)
