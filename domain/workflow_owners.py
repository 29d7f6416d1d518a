"""Whose data a workflow holds: its id names the record (`referral-12`, `roi-3`, ...; read back by
`workflows.ids.parse_workflow_id`), and the record's programs' regions decide which supervisors
may read its payloads."""

from __future__ import annotations

from collections.abc import Iterable

from domain.accounts import AdminScope


def may_decode(scope: AdminScope, regions: Iterable[int]) -> bool:
    """The state team reads every workflow; a designated administrator only those of a program in
    their regions (a workflow of no program, or of an unknown record, is the state team's)."""
    return scope.state_team or bool(scope.regions & set(regions))
