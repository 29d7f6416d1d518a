"""Whose data a workflow holds: its id names the record (`referral-12`, `roi-3`, ...), and the
record's programs' regions decide which supervisors may read its payloads."""

from __future__ import annotations

import re
from collections.abc import Iterable

from domain.accounts import AdminScope

# The ids of workflows that hold a record's data, as workflows.ids spells them (a webhook delivery
# adds its round). Any other workflow (sweeps, schedules) belongs to no program.
_OWNED = re.compile(r"^(referral|roi|user-mou|agency-mou|outbox|webhook-delivery)-([0-9]{1,18})(?:-[0-9]+)?$")


def parse_workflow_id(workflow_id: str) -> tuple[str, int] | None:
    """The kind of record and its id, or None for a workflow of no record."""
    match = _OWNED.match(workflow_id)
    return (match.group(1), int(match.group(2))) if match else None


def may_decode(scope: AdminScope, regions: Iterable[int]) -> bool:
    """The state team reads every workflow; a designated administrator only those of a program in
    their regions (a workflow of no program, or of an unknown record, is the state team's)."""
    return scope.state_team or bool(scope.regions & set(regions))
