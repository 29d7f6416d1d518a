"""The text of a release of information: rendered from one template, kept with its SHA-256.

The template holds the elements a valid authorisation needs under 45 CFR 164.508(c) (what is
disclosed, by whom, to whom, for what purpose, when it expires, the right to revoke, that treatment
does not depend on it, and the redisclosure statement), plus the 42 CFR Part 2 notice when a Part 2
program is on the ROI. The same template, with `blank`, is the paper form of the Blank ROI report.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from domain.roi import AuthorizerKind, InformationType

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=StrictUndefined,
    autoescape=False,  # plain text, never served as HTML unescaped (pages escape it)
    keep_trailing_newline=True,
    trim_blocks=False,
)
TEMPLATE = "roi_authorization.txt"
DOB_FORMAT = "%m/%d/%Y"
# The template's client line, for showing the text without the full date of birth.
_DOB = re.compile(r"Date of birth: \d{2}/\d{2}/(\d{4})")


@dataclass(frozen=True)
class DocumentProgram:
    name: str
    is_sender: bool = False
    is_part2: bool = False


@dataclass(frozen=True)
class RoiDocument:
    text: str
    sha256: str


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def render_roi(
    *,
    roi_id: int,
    client_name: str,
    client_dob: str,
    programs: list[DocumentProgram],
    information_types: list[str],
    purpose: str,
    authorizer_kind: str,
    authorizer_name: str,
    authorizer_relationship: str,
) -> RoiDocument:
    """The text the client agrees to, and its hash (kept as evidence)."""
    kind = AuthorizerKind(authorizer_kind)
    text = _ENV.get_template(TEMPLATE).render(
        blank=False,
        roi_id=roi_id,
        client_name=client_name,
        client_dob=client_dob,
        programs=programs,
        types=[InformationType(t) for t in information_types],
        all_types=list(InformationType),
        purpose=purpose,
        part2=any(p.is_part2 for p in programs),
        authorizer_kind=kind.value,
        authorizer_kind_label=kind.label,
        authorizer_name=authorizer_name,
        authorizer_relationship=authorizer_relationship,
    )
    return RoiDocument(text=text, sha256=sha256_of(text))


def with_birth_year_only(text: str) -> str:
    """The ROI text as a program that may see only the client's name and year of birth reads it.

    The stored text (and its hash) keep the full date: it identifies the client to the programs
    that receive the signed ROI. Until then the program preparing it sees the year, like in search.
    """
    return _DOB.sub(r"Year of birth: \1", text)


def render_blank_roi() -> str:
    """The authorisation text of the paper form, with blanks and tick boxes."""
    return _ENV.get_template(TEMPLATE).render(
        blank=True, roi_id=None, programs=[], types=[], all_types=list(InformationType), part2=False,
        purpose="", authorizer_kind="", authorizer_kind_label="", authorizer_name="",
        authorizer_relationship="", client_name="", client_dob="",
    )
