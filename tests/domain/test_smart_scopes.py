"""SMART system scopes: parsing, what they allow, and what a token may ask of its registration."""

from __future__ import annotations

import pytest

from domain.errors import ValidationFailed
from domain.smart_scopes import allows, clean_scopes, parse_scope, within

TYPES = ("Task", "Patient", "Consent")


@pytest.mark.parametrize(("scope", "parsed"), [
    ("system/Task.rs", ("Task", "rs")), ("system/Task.cu", ("Task", "cu")), ("system/*.cruds", ("*", "cruds")),
    ("system/Patient.read", ("Patient", "rs")), ("system/Task.write", ("Task", "cud")), ("system/Task.*", ("Task", "cruds")),
])
def test_system_scopes(scope, parsed):
    assert parse_scope(scope, TYPES) == parsed


@pytest.mark.parametrize("scope", ["patient/Task.rs", "user/Task.rs", "system/Task.sr", "system/Task.rr",
                                   "system/Task.x", "system/Task.", "system/Nothing.rs", "Task.rs", "system/task.rs"])
def test_scopes_that_are_refused(scope):
    with pytest.raises(ValidationFailed):
        parse_scope(scope, TYPES)


@pytest.mark.parametrize(("granted", "kind", "action", "ok"), [
    (["system/Task.rs"], "Task", "r", True), (["system/Task.rs"], "Task", "s", True),
    (["system/Task.rs"], "Task", "u", False), (["system/Task.rs"], "Patient", "r", False),
    (["system/*.rs"], "Patient", "s", True), (["system/Task.read"], "Task", "s", True),
    (["system/Task.cu", "system/Task.rs"], "Task", "u", True), ([], "Task", "r", False),
])
def test_what_scopes_allow(granted, kind, action, ok):
    assert allows(granted, kind, action) is ok


@pytest.mark.parametrize(("asked", "registered", "ok"), [
    (["system/Task.r"], ["system/Task.rs"], True), (["system/Task.rs"], ["system/Task.r"], False),
    (["system/Patient.rs"], ["system/*.rs"], True), (["system/*.rs"], ["system/Task.rs"], False),
    (["system/Task.read"], ["system/Task.rs"], True), (["system/Task.cu"], ["system/Task.rs"], False),
])
def test_a_token_asks_no_more_than_registered(asked, registered, ok):
    assert within(asked, registered) is ok


def test_a_registration_keeps_its_order_without_repeats():
    assert clean_scopes(["system/Task.rs", "system/Task.rs", "system/Patient.r"], TYPES) == [
        "system/Task.rs", "system/Patient.r"]
    with pytest.raises(ValidationFailed):
        clean_scopes([], TYPES)
