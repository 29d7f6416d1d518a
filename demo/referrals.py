"""Demo referrals: a few made-up clients of Lewis and Clark Public Health with signed ROIs, and
referrals in every state — pending, sent, assigned and worked, closed, declined — plus one that
nobody acknowledged for eight business days. Its workflow, started by `start_demo_workflows`,
finds the escalation deadline passed and raises the alert: it shows in the escalation queue of
the state team and of region 4's administrator."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.business_days import is_business_day
from domain.calendar import add_years
from domain.matching import search_keys
from domain.montana import local_instant
from domain.referral_status import FINAL_STATES, ContactMethod, ContactOutcome, ServiceStatus
from models.accounts.tables import User
from models.clients.tables import Client, ClientPhone
from models.agencies.tables import Program
from models.referrals.queries import alternative_programs
from models.referrals.tables import Escalation, Referral, ReferralNote, ReferralProgress
from models.releases.tables import ReleaseOfInformation, RoiProgram

SENDER_PROGRAM = "Lewis and Clark Public Health"
FOOD = "Helena Food Share"
BEHAVIORAL = "PureView Health Center — Behavioral Health"
HOUSING = "Rocky Mountain Development Council — Housing Services"
FOOD_BANK = "Montana Food Bank Network"

# first, last, date of birth, phone
CLIENTS = [
    ("Avery", "Demoperson", date(1988, 3, 14), "+14065550111"),
    ("Blake", "Samplesworth", date(1975, 11, 2), "+14065550112"),
    ("Casey", "Exampleton", date(1992, 6, 30), "+14065550113"),
    ("Devon", "Placeholder", date(2001, 1, 9), "+14065550114"),
]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour``:``minute`` Montana time on ``day``, never later than half an hour ago."""
    moment = local_instant(day, hour, minute)
    return min(moment, datetime.now(timezone.utc) - timedelta(minutes=30))


def _business_days_before(day: date, n: int) -> date:
    while n:
        day -= timedelta(days=1)
        n -= is_business_day(day)
    return day


def _client(db: Session, program: Program, user: User, first: str, last: str, dob: date, phone: str) -> Client:
    client = Client(first_name=first, last_name=last, dob=dob, gender_identity="prefer_not_to_say",
                    races=["prefer_not_to_say"], military_service="never_served", address="100 Demo Street",
                    city="Helena", county="Lewis and Clark", zip="59601", best_way_to_reach="Text after 3 pm",
                    created_by_program_id=program.id, created_by_user_id=user.id, **search_keys(first, last))
    client.phones = [ClientPhone(e164=phone, label="mobile")]
    db.add(client)
    db.flush()
    return client


def _roi(db: Session, client: Client, sending: Program, receiving: list[Program], user: User, signed_on: date
         ) -> ReleaseOfInformation:
    roi = ReleaseOfInformation(
        client_id=client.id, sending_program_id=sending.id, created_by_user_id=user.id, state="signed",
        information_types=["contact_information", "demographics", "reason_for_referral"],
        purpose="Referral for services", authorizer_kind="self", authorizer_name=client.full_name,
        signature_method="esign", signature_name=client.full_name, signed_at=_at(signed_on, 10),
        expires_on=add_years(signed_on), rendered_text="(demo)", text_sha256="demo")
    roi.programs = [RoiProgram(program_id=p.id) for p in {sending, *receiving}]
    db.add(roi)
    db.flush()
    return roi


def seed_referrals(db: Session, today: date, programs: dict[str, Program], users: dict[str, User]) -> None:
    sending = programs[SENDER_PROGRAM]
    provider = users["provider@connect.demo"]
    therapist, foodshare = users["pureview.provider@connect.demo"], users["foodshare@connect.demo"]
    receivers = [programs[n] for n in (FOOD, BEHAVIORAL, HOUSING, FOOD_BANK)]
    clients = [_client(db, sending, provider, *row) for row in CLIENTS]
    rois = [_roi(db, c, sending, receivers, provider, today - timedelta(days=20)) for c in clients]

    def referral(i: int, to: str, state: str, sent_days_ago: int | None, **extra) -> Referral:
        sent_day = _business_days_before(today, sent_days_ago) if sent_days_ago is not None else None
        row = Referral(client_id=clients[i].id, roi_id=rois[i].id, sending_program_id=sending.id,
                       receiving_program_id=programs[to].id, sender_user_id=provider.id, state=state,
                       reason="Demo: the client asked for help with this.", insurance_confirmed=state != "pending",
                       created_at=_at(sent_day or today, 9), sent_at=_at(sent_day, 10) if sent_day else None,
                       **extra)
        db.add(row)
        db.flush()
        return row

    referral(0, FOOD, "pending", None)
    referral(0, BEHAVIORAL, "sent", 0)
    worked = referral(1, BEHAVIORAL, "assigned", 3, assigned_provider_id=therapist.id,
                      assigned_by_user_id=users["pureview.gk@connect.demo"].id,
                      service_status=ServiceStatus.ENROLLED_IN_SERVICES.value,
                      acknowledged_at=_at(_business_days_before(today, 2), 11),
                      enrolled_at=_at(_business_days_before(today, 1), 14))
    db.add(ReferralNote(referral_id=worked.id, contacted_at=_at(_business_days_before(today, 2), 13),
                        user_id=therapist.id, method=ContactMethod.PHONE.value,
                        outcome=ContactOutcome.LEFT_MESSAGE.value, text="Left a voicemail."))
    db.add(ReferralNote(referral_id=worked.id, contacted_at=_at(_business_days_before(today, 1), 9),
                        user_id=therapist.id, method=ContactMethod.PHONE.value,
                        outcome=ContactOutcome.REACHED.value, text="Intake scheduled."))
    db.add(ReferralProgress(referral_id=worked.id, at=worked.enrolled_at, user_id=therapist.id,
                            status=ServiceStatus.ENROLLED_IN_SERVICES.value, text="Attended intake."))
    closed = referral(2, FOOD, "closed", 10, assigned_provider_id=foodshare.id, assigned_by_user_id=foodshare.id,
                      service_status=ServiceStatus.CLOSED_SUCCESSFUL_COMPLETION.value,
                      acknowledged_at=_at(_business_days_before(today, 9), 10),
                      closed_at=_at(_business_days_before(today, 6), 16))
    db.add(ReferralProgress(referral_id=closed.id, at=closed.closed_at, user_id=foodshare.id,
                            status=closed.service_status, text="Picked up a food box; enrolled for monthly boxes."))
    referral(2, HOUSING, "declined", 7, declined_at=_at(_business_days_before(today, 6), 15),
             decline_reason="No openings in the client's county this month.")
    late = referral(3, FOOD, "sent", 8, nudged_at=_at(_business_days_before(today, 7), 17))
    db.add(Escalation(referral_id=late.id, region=programs[FOOD].region, raised_at=_at(today, 8),
                      suggestions=alternative_programs(db, late, today)))
    db.flush()


async def start_referral_workflows(client, settings, db: Session) -> None:
    """Starts every open demo referral's workflow from the database (those already running are
    kept; the late one escalates). Final ones get no run: a run would only end at once, and each
    stack start would add another to `referral-<id>`'s history."""
    from connect.workflow_client import ensure_started, referral_run

    for row in db.scalars(select(Referral).where(Referral.state.not_in([s.value for s in FINAL_STATES]))
                          .order_by(Referral.id)):
        await ensure_started(client, settings, referral_run(row))
