"""The Blank ROI report as a printable PDF (fpdf2): every directory program of the chosen regions
with a box to tick, then the authorisation text with blanks, for a client to sign on paper."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fpdf import FPDF

from documents.roi import render_blank_roi
from domain.montana import region_name

# The core PDF fonts cover Latin-1 only; map the few typographic characters our text uses.
_LATIN1 = str.maketrans({"—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "•": "*", "…": "..."})


def _text(value: str) -> str:
    return value.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class BlankRoiProgram:
    name: str
    region: int
    phone: str = ""
    is_part2: bool = False


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, _text(f"CONNECT Blank ROI - page {self.page_no()}/{{nb}}"), align="C")


def blank_roi_pdf(programs: list[BlankRoiProgram], regions: list[int], generated_on: date) -> bytes:
    pdf = _Document(format="Letter")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_title("CONNECT Blank ROI")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 8, "CONNECT - Release of Information (Blank ROI)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    names = ", ".join(f"{r} {region_name(r)}" for r in regions)
    pdf.multi_cell(0, 5, _text(f"Regions: {names}. Printed {generated_on:%m/%d/%Y}. Tick each program you agree "
                               "to share your information with; only ticked programs are included in this ROI. "
                               "Every ticked program will see the others."), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for region in regions:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, _text(f"Region {region}: {region_name(region)}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        listed = [p for p in programs if p.region == region]
        if not listed:
            pdf.cell(0, 6, "(no program of this region is in the directory)", new_x="LMARGIN", new_y="NEXT")
        for program in listed:
            if pdf.will_page_break(6):
                pdf.add_page()
            x, y = pdf.get_x(), pdf.get_y()
            pdf.rect(x + 1, y + 1.2, 3.6, 3.6)  # the box to tick
            pdf.set_x(x + 7)
            label = program.name + (" (42 CFR Part 2 program)" if program.is_part2 else "")
            if program.phone:
                label += f"  {program.phone}"
            pdf.multi_cell(0, 6, _text(label), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.add_page()
    pdf.set_font("Helvetica", size=9.5)
    for paragraph in render_blank_roi().split("\n"):
        pdf.multi_cell(0, 4.6, _text(paragraph) or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
