"""The texts of the user MOU and the universal agency MOU, one file per version.

A signature keeps the version and the SHA-256 of the exact text shown, so what a person agreed to
can always be shown again. A new version is a new file and a new `MOU_VERSION`; old files stay.
These texts are CONNECT's own drafts, written from the user guide; DPHHS should approve the
wording before production use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from workflows.mou_contracts import MOU_VERSION, MouKind

TEXTS = Path(__file__).with_name("mou_texts")


@dataclass(frozen=True)
class MouDocument:
    kind: MouKind
    version: str
    text: str

    @property
    def title(self) -> str:
        return self.text.split("\n", 1)[0].strip()

    @property
    def paragraphs(self) -> list[str]:
        """The body, without the title line, one entry per paragraph."""
        body = self.text.split("\n", 1)[1]
        return [p.strip() for p in body.split("\n\n") if p.strip()]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@cache
def mou_document(kind: MouKind, version: str = MOU_VERSION) -> MouDocument:
    path = TEXTS / f"{kind.value}-{version}.txt"
    return MouDocument(kind, version, path.read_text(encoding="utf-8"))
