"""The workflows name their activities by the methods of the contract classes beside them
(`workflows/*_contracts.py`); the worker registers the methods of the classes in `activities/`
that implement them. Both sides must agree on every name and on what each activity returns, and
no workflow may name an activity by a string."""

from __future__ import annotations

import inspect
import re
import typing
from pathlib import Path

from temporalio import activity

import workflows
from activities.registry import build_activities
from tests.fakes import RecordingEmailSender, RecordingSmsSender
from workflows import (
    fhir_subscription_contracts,
    mou_contracts,
    outbox_contracts,
    recovery_contracts,
    referral_contracts,
    roi_contracts,
    summary_contracts,
    webhook_contracts,
)

CONTRACT_MODULES = (fhir_subscription_contracts, mou_contracts, outbox_contracts, recovery_contracts,
                    referral_contracts, roi_contracts, summary_contracts, webhook_contracts)


def _contracts() -> dict[str, typing.Callable]:
    found = {}
    for module in CONTRACT_MODULES:
        for name, cls in vars(module).items():
            if name.endswith("ActivitiesContract") and inspect.isclass(cls):
                for method_name, method in vars(cls).items():
                    if callable(method) and not method_name.startswith("_"):
                        found[activity._Definition.must_from_callable(method).name] = method
    return found


def test_every_contract_is_implemented_and_registered_under_its_name(settings, session_factory):
    registered = {activity._Definition.must_from_callable(fn).name: fn for fn in build_activities(
        settings, session_factory, RecordingEmailSender(), RecordingSmsSender())}
    contracts = _contracts()
    assert set(registered) == set(contracts)
    for name, declared in contracts.items():
        implemented = registered[name]
        assert typing.get_type_hints(implemented) == typing.get_type_hints(declared), name
        owner = type(implemented.__self__)
        assert declared.__qualname__.split(".")[0] in {base.__name__ for base in owner.__mro__}, name


def test_no_workflow_names_an_activity_by_a_string():
    sources = Path(workflows.__file__).parent.glob("*.py")
    by_string = re.compile(r"(execute|start)_(local_)?activity\(\s*[\"']")
    assert [p.name for p in sources if by_string.search(p.read_text())] == []
