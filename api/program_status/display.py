"""How the directory shows a program's capacity and freshness when a user chooses programs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.program_status import capacity_label, needs_verification
from models.agencies.tables import Program


@dataclass(frozen=True)
class DirectoryStatus:
    capacity: str  # its label, or ""
    stale: str  # "Not verified since ...", "Never verified", or "" when verified within a year


def directory_status(program: Program, today: date) -> DirectoryStatus:
    stale = ""
    if needs_verification(program.assured_on, today):
        stale = (f"Not verified since {program.assured_on.strftime('%b %Y')}" if program.assured_on
                 else "Never verified")
    return DirectoryStatus(capacity=capacity_label(program.capacity), stale=stale)
