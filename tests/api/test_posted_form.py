"""The one reader of posted forms (`api.forms.PostedForm`)."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from api.forms import PostedForm
from domain.errors import ValidationFailed


def test_reads_texts_lists_boxes_and_prefixed_fields():
    form = PostedForm(FormData([("name", "Ada"), ("races", "white"), ("races", "asian"), ("confirm", "on"),
                                ("field.urgent", "no"), ("field.member_id", "MT-1"), ("csrf_token", "x")]))
    assert (form.text("name"), form.text("missing"), form.texts("races")) == ("Ada", "", ["white", "asian"])
    assert form.ticked("confirm") and not form.ticked("agree")
    assert form.prefixed("field.") == {"urgent": "no", "member_id": "MT-1"}
    assert form.values(("races",)) == {"name": "Ada", "races": ["white", "asian"], "confirm": "on",
                                       "field.urgent": "no", "field.member_id": "MT-1"}


@pytest.mark.parametrize("typed", ["", "abc", "١٢", "-3"])
def test_a_number_that_is_not_one_marks_its_field(typed):
    with pytest.raises(ValidationFailed) as caught:
        PostedForm(FormData([("program_id", typed)])).number("program_id", "Choose the program.")
    assert (caught.value.field, caught.value.reason) == ("program_id", "Choose the program.")
    assert PostedForm(FormData([("program_id", " 42 ")])).number("program_id", "") == 42
