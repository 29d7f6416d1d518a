from datetime import date

import pytest

from domain.calendar import add_years


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (date(2025, 3, 14), 1, date(2026, 3, 14)),
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2023, 2, 28), 1, date(2024, 2, 28)),
        (date(2024, 12, 31), 1, date(2025, 12, 31)),
        (date(2025, 1, 1), 0, date(2025, 1, 1)),
    ],
)
def test_add_years(start, years, expected):
    assert add_years(start, years) == expected
