"""The shapes of the reports' JSON answers. A report's rows are keyed by its columns' headers
(the CSV download's header line), so each row model is built from the report's column list and
lists every header as a property."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model

from api.reports.tables import AGENCY_COLUMNS, DELAY_COLUMNS, MEASURE_COLUMNS, PARTNER_COLUMNS, Column
from domain.measures import OutcomeGroup

Cell = str | int | float | bool | date | datetime | None


def _name(header: str) -> str:
    return re.sub(r"\W+", "_", header).strip("_").lower()


def row_model(title: str, headers: list[str], description: str) -> type[BaseModel]:
    """A row whose properties are the given headers, each a cell (text, number, time or empty)."""
    fields = {_name(h): (Cell, Field(alias=h)) for h in headers}
    return create_model(title, __config__=ConfigDict(populate_by_name=True), __doc__=description, **fields)


def _headers(columns: tuple[Column, ...]) -> list[str]:
    return [c.header for c in columns]


AgencyRow = row_model("AgencyRow", _headers(AGENCY_COLUMNS), "A program of the Agencies Report.")
DelayRow = row_model("DelayRow", _headers(DELAY_COLUMNS),
                     "A referral and its waits (days and hours as numbers, times in Montana time).")
PartnerReferralRow = row_model("PartnerReferralRow", _headers(PARTNER_COLUMNS), "A referral to or from a partner.")
PartnerRow = row_model("PartnerRow", ["Agency", "Referrals", *OutcomeGroup.ALL],
                       "Per partner agency: its referrals, and how many ended in each outcome group.")
MeasureRow = row_model("MeasureRow", _headers(MEASURE_COLUMNS),
                       "Closed-loop measures of the state, a region or a program (hours; shares from 0 to 1).")

Row = TypeVar("Row")


class RowsPage(BaseModel, Generic[Row]):
    page: int = Field(description="This page's number, from 1.")
    pages: int = Field(description="How many pages there are.")
    total: int = Field(description="How many rows there are on all pages.")
    rows: list[Row]


class ReportLinkOut(BaseModel):
    slug: str
    title: str
    summary: str
    url: str = Field(description="The report's page.")


class ReportsOut(BaseModel):
    reports: list[ReportLinkOut] = Field(description="The reports you may open, as your current program.")


class AgencyNameOut(BaseModel):
    id: int
    name: str


class AgencyNamesOut(BaseModel):
    agencies: list[AgencyNameOut]


class AgenciesReportOut(RowsPage[AgencyRow]):  # type: ignore[valid-type]
    pass


class DelaysReportOut(RowsPage[DelayRow]):  # type: ignore[valid-type]
    scope: str = Field(description="What the report covers, in words.")


class PartnerSummaryOut(RowsPage[PartnerRow]):  # type: ignore[valid-type]
    totals: PartnerRow  # type: ignore[valid-type]


class PartnerReportOut(RowsPage[PartnerReferralRow]):  # type: ignore[valid-type]
    scope: str = Field(description="What the report covers, in words.")
    summary: PartnerSummaryOut = Field(description="A page of the partner agencies (`partners_page`), with "
                                                   "the totals of all.")


class OutcomeCountOut(BaseModel):
    outcome: str
    sent: int
    received: int
    all: int


MonthOut = create_model(
    "MonthOut", __config__=ConfigDict(populate_by_name=True),
    __doc__="Referrals sent in one month, per outcome group.",
    month=(str, Field(description="YYYY-MM")),
    **{_name(g): (int, Field(0, alias=g)) for g in OutcomeGroup.ALL})


class OutcomesReportOut(BaseModel):
    scope: str
    sent_from: date | None
    sent_to: date | None
    outcomes: list[OutcomeCountOut]
    months: list[MonthOut]  # type: ignore[valid-type]


class AckBinOut(BaseModel):
    bin: str
    referrals: int


class DashboardOut(RowsPage[MeasureRow]):  # type: ignore[valid-type]
    scope: str
    sent_from: date | None
    sent_to: date | None
    summary: list[MeasureRow] = Field(description="The whole scope first, then each region.")  # type: ignore[valid-type]
    ack_histogram: list[AckBinOut]
