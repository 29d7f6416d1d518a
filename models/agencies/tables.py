"""Agencies, their programs, what each program offers, and the agency MOU."""

from __future__ import annotations

from datetime import date, datetime
from uuid import uuid4

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


def new_hsds_id() -> str:
    return str(uuid4())


class Agency(Base):
    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Its Open Referral HSDS id: made once, kept for ever (an imported agency keeps the source's).
    hsds_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_hsds_id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    programs: Mapped[list["Program"]] = relationship(back_populates="agency", order_by="Program.name")


def program_display_name(agency: str, program: str) -> str:
    """A program as people read it: "Agency — Program", or the one name when they are the same."""
    return program if program == agency else f"{agency} — {program}"


class Program(Base):
    __tablename__ = "program"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    region: Mapped[int] = mapped_column(Integer, index=True)
    phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    is_part2: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Projection of the agency MOU workflow: the directory shows only programs whose MOU is valid.
    mou_expires_on: Mapped[date | None] = mapped_column(index=True)
    # Its HSDS service and location ids (made once; an imported program keeps the source's), and
    # the HSDS data set it was imported from (None: entered in CONNECT).
    hsds_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_hsds_id)
    hsds_location_id: Mapped[str] = mapped_column(String(36), default=new_hsds_id)
    hsds_source: Mapped[str | None] = mapped_column(String(100), index=True)
    # Capacity (domain.program_status.Capacity; "" not said) and when its gatekeeper last confirmed
    # its details (by whom; an imported program keeps the source's assurer email).
    capacity: Mapped[str] = mapped_column(String(30), default="")
    assured_on: Mapped[date | None] = mapped_column(index=True)
    assured_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    assurer_email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)

    agency: Mapped[Agency] = relationship(back_populates="programs")
    services: Mapped[list["ProgramService"]] = relationship(cascade="all, delete-orphan")
    counties: Mapped[list["ProgramCounty"]] = relationship(cascade="all, delete-orphan")
    insurances: Mapped[list["ProgramInsurance"]] = relationship(cascade="all, delete-orphan")
    form_fields: Mapped[list["ProgramFormField"]] = relationship(
        cascade="all, delete-orphan", order_by="(ProgramFormField.tab, ProgramFormField.position)"
    )

    @property
    def display_name(self) -> str:
        return program_display_name(self.agency.name, self.name)


class ProgramService(Base):
    __tablename__ = "program_service"
    __table_args__ = (Index("ix_program_service_code", "service", "program_id"),)

    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"), primary_key=True)
    service: Mapped[str] = mapped_column(String(50), primary_key=True)


class ProgramCounty(Base):
    __tablename__ = "program_county"
    __table_args__ = (Index("ix_program_county_county", "county", "program_id"),)

    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"), primary_key=True)
    county: Mapped[str] = mapped_column(String(40), primary_key=True)
    telemedicine: Mapped[bool] = mapped_column(Boolean, default=False)


class ProgramInsurance(Base):
    __tablename__ = "program_insurance"
    __table_args__ = (Index("ix_program_insurance_code", "insurance", "program_id"),)

    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"), primary_key=True)
    insurance: Mapped[str] = mapped_column(String(50), primary_key=True)


class ProgramFormField(Base):
    """An extra field of a program's referral form, shown on its own tab after "Personal Info"."""

    __tablename__ = "program_form_field"
    __table_args__ = (UniqueConstraint("program_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"), index=True)
    tab: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # text | choice | date | yesno
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class AgencyMou(Base):
    """One signature of the universal agency MOU for one program (kept for every year)."""

    __tablename__ = "agency_mou"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    signed_name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(20))
    text_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime]
    expires_on: Mapped[date]
