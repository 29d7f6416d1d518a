"""Reports -> Blank ROI: choose one or more regions; a printable PDF lists every program of those
regions in the directory with a box to tick, and the authorisation text, for signing on paper."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import CurrentActor, DbSession, Now
from api.forms import render
from documents.blank_roi import BlankRoiProgram, blank_roi_pdf
from domain.errors import ValidationFailed
from domain.montana import REGIONS, local_date, region_name
from models.agencies.directory import directory_programs_in_regions

router = APIRouter(tags=["reports"])


def _regions(values: list[str]) -> list[int]:
    chosen = sorted({int(v) for v in values if v.strip().isdigit()})
    if not chosen or len(chosen) != len({v.strip() for v in values if v.strip()}):
        raise ValidationFailed("Choose one or more regions (1 to 5).", field="region", code="region_missing")
    for number in chosen:
        region_name(number)  # refuses an unknown region
    return chosen


@router.get("/reports/blank-roi", include_in_schema=False)
async def blank_roi_form(request: Request, actor: CurrentActor, region: list[str] = Query(default=[])):  # noqa: B008
    chosen = {int(r) for r in region if r.isdigit()}
    return render(request, "reports/blank_roi.html", {"regions": REGIONS, "chosen": chosen})


@router.get("/reports/blank-roi.pdf", summary="The Blank ROI of the chosen regions, as a PDF")
async def blank_roi(actor: CurrentActor, db: DbSession, moment: Now,
                    region: list[str] = Query(default=[], description="A region, 1 to 5 (repeat for several)")):  # noqa: B008
    regions = _regions(region)
    today = local_date(moment)
    programs = [BlankRoiProgram(p.display_name, p.region, p.phone, p.is_part2)
                for p in directory_programs_in_regions(db, regions, today)]
    pdf = blank_roi_pdf(programs, regions, today)
    name = "blank-roi-region-" + "-".join(map(str, regions)) + ".pdf"
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})
