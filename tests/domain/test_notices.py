import pytest

from domain.notices import told_of_action


@pytest.mark.parametrize(("named", "actor", "told"), [
    ([1, 2, 3], 2, {1, 3}),  # the one who acted is left out
    ([2], 2, set()),
    ([1, 1, None, 0], 5, {1}),  # duplicates and missing people drop out
    ([1, 2], None, {1, 2}),  # nobody acted (a timer): everyone named is told
])
def test_nobody_is_told_of_their_own_action(named, actor, told):
    assert told_of_action(named, actor) == told
