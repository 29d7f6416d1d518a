"""A program's one-line address split into the parts a directory standard asks for, and joined
back: "12 Last Chance Gulch, Suite 3, Helena, MT 59601" is street lines, city, state and ZIP."""

from __future__ import annotations

import re
from dataclasses import dataclass

_STATE_ZIP = re.compile(r"^(?P<state>[A-Za-z]{2})\s+(?P<zip>\d{5}(?:-\d{4})?)$")


@dataclass(frozen=True)
class PostalAddress:
    address_1: str
    address_2: str
    city: str
    state: str
    postal_code: str

    def one_line(self) -> str:
        """The address as CONNECT stores it (the inverse of `parse_address`)."""
        street = ", ".join(p for p in (self.address_1, self.address_2) if p)
        return f"{street}, {self.city}, {self.state} {self.postal_code}"


def parse_address(text: str) -> PostalAddress | None:
    """The parts of "street[, line 2], city, ST 12345"; None when the text is not of that shape
    (then there is no postal address to publish, only the text)."""
    parts = [" ".join(p.split()) for p in (text or "").split(",")]
    parts = [p for p in parts if p]
    if len(parts) < 3:
        return None
    found = _STATE_ZIP.match(parts[-1])
    if not found:
        return None
    street = parts[:-2]
    return PostalAddress(address_1=street[0], address_2=", ".join(street[1:]), city=parts[-2],
                         state=found["state"].upper(), postal_code=found["zip"])
