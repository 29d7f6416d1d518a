import pytest

from domain.wording import counted


@pytest.mark.parametrize("number, text", [(0, "0 agencies"), (1, "1 agency"), (2, "2 agencies")])
def test_counted(number, text):
    assert counted(number, "agency", "agencies") == text
