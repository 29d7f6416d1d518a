"""Referral queries and the rules that need the database: the valid-ROI check, the client's
referral chart, who sees which referral, the lists of Parts 5 and 7, and suggestions.

No FastAPI and no Temporal here: the API, the activities and the seed all call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from domain.errors import InvalidTransition, NotAllowed
from domain.matching import fold
from domain.montana import local_midnight
from domain.referral_form import FieldKind, FormField, personal_info_gaps
from domain.referral_permissions import Acting
from domain.referral_status import OPEN_STATES, ReferralState
from domain.roi import RoiState
from domain.state_tones import START, StateLook, Tone, referral_look
from models.accounts.tables import Membership, User
from models.clients.tables import Client
from models.agencies.directory import accepts_referrals
from models.agencies.tables import Program, ProgramService
from models.paging import Page, paginate
from models.referrals.tables import Referral
from models.releases.tables import ReleaseOfInformation, RoiProgram, valid_on

PAGE_SIZE = 25


# --- Consent: the one rule for "may this program refer this client to that program" ----------

def _rois_covering(client_id: int, sending_program_id: int) -> Select:
    # The ROI authorises its sending program to disclose to the programs listed on it (the
    # sending program is always one of them: the internal referral).
    return (
        select(ReleaseOfInformation, RoiProgram.program_id)
        .join(RoiProgram, RoiProgram.roi_id == ReleaseOfInformation.id)
        .where(ReleaseOfInformation.client_id == client_id,
               ReleaseOfInformation.sending_program_id == sending_program_id)
    )


def valid_rois_by_program(db: Session, client_id: int, sending_program_id: int, today: date
                          ) -> dict[int, ReleaseOfInformation]:
    """program id -> the valid ROI (the one lasting longest) letting the sender refer the client there."""
    rows = db.execute(_rois_covering(client_id, sending_program_id).where(valid_on(today))
                      .order_by(ReleaseOfInformation.expires_on)).all()
    return {program_id: roi for roi, program_id in rows}


def require_valid_roi(db: Session, *, client_id: int, sending_program_id: int,
                      receiving_program_id: int, today: date) -> ReleaseOfInformation:
    """The signed, unexpired, unrevoked ROI under which the sending program may refer the client
    to the receiving program; NotAllowed, saying why, when there is none."""
    valid = valid_rois_by_program(db, client_id, sending_program_id, today).get(receiving_program_id)
    if valid is not None:
        return valid
    program = db.get(Program, receiving_program_id)
    name = program.display_name if program else "that program"
    others = [roi for roi, pid in db.execute(_rois_covering(client_id, sending_program_id)).all()
              if pid == receiving_program_id]
    if any(r.revoked_at is not None or r.state == RoiState.REVOKED.value for r in others):
        reason = (f"The client revoked the release of information covering {name}. A new ROI must be "
                  "signed before you can refer them there.")
        code = "roi_revoked"
    elif any(r.state in (RoiState.SIGNED.value, RoiState.EXPIRED.value) for r in others):
        last = max((r.expires_on for r in others if r.expires_on), default=None)
        when = f" on {last:%m/%d/%Y}" if last else ""
        reason = (f"The release of information covering {name} expired{when}. Ask the client to sign "
                  "a new ROI before you refer them there.")
        code = "roi_expired"
    elif others:
        reason = (f"The release of information covering {name} is not signed yet. The client must "
                  "sign it before you can send the referral.")
        code = "roi_not_signed"
    else:
        reason = (f"The client has not signed a release of information that lets your program refer "
                  f"them to {name}. Complete and sign an ROI first.")
        code = "roi_missing"
    raise NotAllowed(reason, code=code)


def duplicate_message(program: Program) -> str:
    """The guide's refusal (Part 4 G.II) of a second open referral to the same program."""
    return (f"You cannot create a new referral to {program.display_name}, since the client has an "
            "active and pending referral there.")


def open_referral(db: Session, client_id: int, receiving_program_id: int) -> Referral | None:
    return db.scalar(select(Referral).where(
        Referral.client_id == client_id, Referral.receiving_program_id == receiving_program_id,
        Referral.state.in_([s.value for s in OPEN_STATES])))


def require_no_open_referral(db: Session, client_id: int, program: Program) -> None:
    if open_referral(db, client_id, program.id) is not None:
        raise InvalidTransition(duplicate_message(program), code="referral_already_open")


# --- The referral form -----------------------------------------------------------------------

def form_fields(program: Program) -> list[FormField]:
    """The program's own tabs and fields, as the pure form rules see them."""
    return [FormField(key=f.key, label=f.label, tab=f.tab, kind=FieldKind(f.kind), required=f.required,
                      choices=tuple(f.choices or ())) for f in program.form_fields]


def client_gaps(client: Client) -> tuple[str, ...]:
    """What the client's profile lacks for the Personal Info tab."""
    reachable = bool(client.phones or client.email or (client.address and not client.no_fixed_address)
                     or client.best_way_to_reach)
    return personal_info_gaps(has_name=bool(client.first_name and client.last_name),
                              has_dob=client.dob is not None, has_contact=reachable)


# --- The client's referral chart (Part 4 B, C, E, G) ----------------------------------------

@dataclass
class ReferralCard:
    """One box of the client's referral chart: green "Start", blue "Pending", grey "Active"."""

    program: Program
    roi_id: int
    kind: str  # start | pending | active | closed
    referral_id: int | None = None
    can_open: bool = False  # whether the person may open the referral behind the card
    internal: bool = False
    note: str = ""
    referral_state: str | None = None  # the state of the open referral behind the card

    @property
    def look(self) -> StateLook:
        """The box's words and colour: the referral's state, or "Start" when there is none."""
        if self.referral_state is not None:
            return referral_look(self.referral_state)
        if self.kind == "closed":
            return StateLook("Not receiving referrals", Tone.ENDED)
        return START

    @property
    def label(self) -> str:
        return self.look.label


def referral_cards(db: Session, client_id: int, who: Acting, today: date) -> list[ReferralCard]:
    """A card for each program the acting program may refer the client to (a valid ROI covers it),
    always including the acting program itself (an internal referral)."""
    rois = valid_rois_by_program(db, client_id, who.program_id, today)
    if not rois:
        return []
    programs = db.scalars(select(Program).where(Program.id.in_(rois))
                          .options(selectinload(Program.agency))).all()
    open_rows = {r.receiving_program_id: r for r in db.scalars(select(Referral).where(
        Referral.client_id == client_id, Referral.receiving_program_id.in_(rois),
        Referral.state.in_([s.value for s in OPEN_STATES])))}
    visible = set(db.scalars(select(Referral.id).where(
        Referral.id.in_([r.id for r in open_rows.values()]), visible_to(db, who))))
    cards = []
    for program in sorted(programs, key=lambda p: (p.id != who.program_id, p.display_name)):
        card = ReferralCard(program=program, roi_id=rois[program.id].id, kind="start",
                            internal=program.id == who.program_id)
        existing = open_rows.get(program.id)
        if existing is not None:
            card.referral_id = existing.id
            card.referral_state = existing.state
            card.can_open = existing.id in visible
            card.kind = "pending" if existing.state == ReferralState.PENDING.value else "active"
            if card.kind == "active":
                card.note = duplicate_message(program)
            elif not card.can_open:
                card.kind, card.note = "active", duplicate_message(program)
        elif not accepts_referrals(program, today):
            card.kind = "closed"
            card.note = "Its agency MOU is not current, so it cannot receive referrals now."
        cards.append(card)
    return cards


@dataclass
class ChartRoi:
    """An ROI on the profile's Referrals Chart, with the names of the programs it covers."""

    roi: ReleaseOfInformation
    program_names: list[str]


@dataclass
class ReferralChart:
    """The profile's Referrals Chart (guide Parts 3 and 4), the hub of a client's referrals for the
    acting person: a box per program a signed ROI lets them refer the client to, the ROIs of their
    program with the client, and the client's referrals they may see."""

    cards: list[ReferralCard]
    rois: list[ChartRoi]
    referrals: list[Referral]

    @property
    def is_empty(self) -> bool:
        return not self.cards and not self.rois and not self.referrals


def program_rois(db: Session, client_id: int, program_id: int) -> list[ReleaseOfInformation]:
    """The client's ROIs the program sent or is named on, newest first."""
    return list(db.scalars(
        select(ReleaseOfInformation).where(
            ReleaseOfInformation.client_id == client_id,
            or_(ReleaseOfInformation.sending_program_id == program_id,
                ReleaseOfInformation.id.in_(select(RoiProgram.roi_id)
                                            .where(RoiProgram.program_id == program_id))),
        ).order_by(ReleaseOfInformation.created_at.desc(), ReleaseOfInformation.id.desc())
        .options(selectinload(ReleaseOfInformation.programs))
    ))


def referral_chart(db: Session, client_id: int, who: Acting, today: date) -> ReferralChart:
    rois = program_rois(db, client_id, who.program_id)
    names = {p.id: p.display_name for p in db.scalars(select(Program).where(
        Program.id.in_({link.program_id for roi in rois for link in roi.programs}))
        .options(selectinload(Program.agency)))}
    return ReferralChart(
        cards=referral_cards(db, client_id, who, today),
        rois=[ChartRoi(roi, sorted(names[link.program_id] for link in roi.programs if link.program_id in names))
              for roi in rois],
        referrals=client_referrals(db, who, client_id))


# --- Who sees which referral ------------------------------------------------------------------

def agency_program_ids(db: Session, program_id: int) -> list[int]:
    agency_id = db.scalar(select(Program.agency_id).where(Program.id == program_id))
    return list(db.scalars(select(Program.id).where(Program.agency_id == agency_id)))


def visible_to(db: Session, who: Acting):
    """SQL condition: the referrals ``who`` may see while acting as their program.

    Everyone sees the referrals they sent from this program and the sent ones assigned to them in
    it; gatekeepers also see every referral sent or received by any program of their agency
    (Part 7 C). The receiving side never sees an unsent (pending) referral.
    """
    sent = Referral.sent_at.is_not(None)
    mine = or_(
        and_(Referral.sending_program_id == who.program_id, Referral.sender_user_id == who.user_id),
        and_(Referral.receiving_program_id == who.program_id, Referral.assigned_provider_id == who.user_id,
             sent),
    )
    if not who.is_gatekeeper:
        return mine
    agency = agency_program_ids(db, who.program_id)
    return or_(mine, Referral.sending_program_id.in_(agency),
               and_(Referral.receiving_program_id.in_(agency), sent))


def visible_referral(db: Session, who: Acting, referral_id: int) -> Referral | None:
    """The referral if ``who`` may see it, else None (the caller answers 404: as if it did not exist)."""
    return db.scalar(select(Referral).where(Referral.id == referral_id, visible_to(db, who)))


# --- Lists: Agency -> Referrals (incoming) and Sent Referrals (Part 5, Part 7) -----------------

STATUS_OPEN = "open"
STATUS_ANY = "any"


def status_choices() -> list[tuple[str, str]]:
    """The Status filter: open ones by default, each state, and "Any Status" (the only choice that
    shows closed and declined referrals together, Part 7 B)."""
    return [(STATUS_OPEN, "Open (pending, active, assigned)"),
            *[(s.value, s.label) for s in ReferralState], (STATUS_ANY, "Any Status")]


@dataclass
class ReferralFilters:
    status: str = STATUS_OPEN
    date_from: date | None = None
    date_to: date | None = None
    program_id: int | None = None  # the other end: receiving program (sent list), sender (incoming)
    staff_id: int | None = None  # gatekeepers only: the sender (sent list) or the assignee (incoming)
    q: str = ""  # a referral number, or the start of the client's first or last name
    page: int = 1
    per_page: int = PAGE_SIZE
    updated_since: datetime | None = None  # an integrator's poll: only what changed since then


def _when():
    return func.coalesce(Referral.sent_at, Referral.created_at)


def _filtered(query: Select, f: ReferralFilters, *, program_col, staff_col, may_filter_staff: bool) -> Select:
    if f.status == STATUS_OPEN:
        query = query.where(Referral.state.in_([s.value for s in OPEN_STATES]))
    elif f.status != STATUS_ANY:
        query = query.where(Referral.state == ReferralState(f.status).value)
    if f.date_from:
        query = query.where(_when() >= local_midnight(f.date_from))
    if f.date_to:
        query = query.where(_when() < local_midnight(f.date_to + timedelta(days=1)))
    if f.program_id:
        query = query.where(program_col == f.program_id)
    if f.updated_since:
        query = query.where(Referral.updated_at >= f.updated_since)
    if f.staff_id and may_filter_staff:
        query = query.where(staff_col == f.staff_id)
    text = f.q.strip().lstrip("#")
    if text.isdigit():
        query = query.where(Referral.id == int(text))
    elif text:
        words = [fold(w) for w in text.split() if fold(w)]
        query = query.join(Client, Client.id == Referral.client_id)
        for word in words:
            query = query.where(or_(Client.first_folded.startswith(word), Client.last_folded.startswith(word)))
    return query


def _page(db: Session, query: Select, f: ReferralFilters) -> Page[Referral]:
    return paginate(db, query.order_by(_when().desc(), Referral.id.desc()).options(
        selectinload(Referral.client), selectinload(Referral.assignee), selectinload(Referral.sender),
        selectinload(Referral.sending_program).selectinload(Program.agency),
        selectinload(Referral.receiving_program).selectinload(Program.agency)), f.page, f.per_page)


def incoming_referrals(db: Session, who: Acting, f: ReferralFilters) -> Page[Referral]:
    """Agency -> Referrals: referrals sent to the acting program; a provider sees those assigned
    to them, a gatekeeper all (and may filter by the assigned staff member)."""
    query = select(Referral).where(Referral.receiving_program_id == who.program_id,
                                   Referral.sent_at.is_not(None))
    if not who.is_gatekeeper:
        query = query.where(Referral.assigned_provider_id == who.user_id)
    query = _filtered(query, f, program_col=Referral.sending_program_id,
                      staff_col=Referral.assigned_provider_id, may_filter_staff=who.is_gatekeeper)
    return _page(db, query, f)


def sent_referrals(db: Session, who: Acting, f: ReferralFilters) -> Page[Referral]:
    """Sent Referrals: a provider sees their own; a gatekeeper every referral sent from their
    agency, and may filter by the staff member who sent it (Part 7 C)."""
    if who.is_gatekeeper:
        query = select(Referral).where(Referral.sending_program_id.in_(agency_program_ids(db, who.program_id)))
    else:
        query = select(Referral).where(Referral.sending_program_id == who.program_id,
                                       Referral.sender_user_id == who.user_id)
    query = _filtered(query, f, program_col=Referral.receiving_program_id,
                      staff_col=Referral.sender_user_id, may_filter_staff=who.is_gatekeeper)
    return _page(db, query, f)


def client_referrals(db: Session, who: Acting, client_id: int) -> list[Referral]:
    """The client's referrals the acting person may see, newest first (the profile's "Sent")."""
    return list(db.scalars(select(Referral).where(Referral.client_id == client_id, visible_to(db, who))
                           .order_by(_when().desc())
                           .options(selectinload(Referral.receiving_program).selectinload(Program.agency),
                                    selectinload(Referral.assignee))))


def staff_of(db: Session, program_ids: Sequence[int]) -> list[User]:
    """People with a role in any of the programs (for the staff filter), by name."""
    members = select(Membership.user_id).where(Membership.program_id.in_(program_ids))
    return list(db.scalars(select(User).where(User.id.in_(members)).order_by(User.full_name)))


def assignable_people(db: Session, program_id: int) -> list[User]:
    """Who a referral to the program can be assigned to: its providers, and its gatekeepers, who
    may take a referral themselves (Part 5 A.VII). Active accounts only."""
    return list(db.scalars(select(User).join(Membership).where(
        Membership.program_id == program_id, User.is_active,
        or_(Membership.is_provider, Membership.is_gatekeeper)).order_by(User.full_name)))


def member_program_ids(db: Session, user_id: int) -> list[int]:
    """The programs where the person may be assigned referrals."""
    return list(db.scalars(select(Membership.program_id).join(User).where(
        Membership.user_id == user_id, User.is_active,
        or_(Membership.is_provider, Membership.is_gatekeeper))))


def partner_programs(db: Session, program_ids: list[int], *, outgoing: bool) -> list[Program]:
    """The programs that ``program_ids`` sent referrals to (``outgoing``) or received them from,
    for the lists' program filter. Not every program of the network: a state's thousands would
    make a 600 KB page that takes half a second to build (measured at 10,000 programs), and a
    partner never referred to would only ever filter to an empty list."""
    own, other = ((Referral.sending_program_id, Referral.receiving_program_id) if outgoing
                  else (Referral.receiving_program_id, Referral.sending_program_id))
    partners = select(other).where(own.in_(program_ids)).distinct()
    return list(db.scalars(select(Program).where(Program.id.in_(partners))
                           .options(selectinload(Program.agency)).order_by(Program.name)))


# --- Escalation: where else the client could go ------------------------------------------------

def alternative_programs(db: Session, referral: Referral, today: date) -> list[int]:
    """Programs offering a service of the unresponsive program that the client's signed ROI
    already lets the sender refer them to (and that have no open referral of the client)."""
    needs = select(ProgramService.service).where(ProgramService.program_id == referral.receiving_program_id)
    candidates = valid_rois_by_program(db, referral.client_id, referral.sending_program_id, today)
    skip = {referral.receiving_program_id, referral.sending_program_id}
    ids = [pid for pid in candidates if pid not in skip]
    if not ids:
        return []
    matching = db.scalars(select(Program).where(
        Program.id.in_(ids),
        Program.id.in_(select(ProgramService.program_id).where(ProgramService.service.in_(needs))),
    ).order_by(Program.id)).all()
    busy = set(db.scalars(select(Referral.receiving_program_id).where(
        Referral.client_id == referral.client_id, Referral.state.in_([s.value for s in OPEN_STATES]))))
    return [p.id for p in matching if accepts_referrals(p, today) and p.id not in busy]


def programs_named(db: Session, ids: Sequence[int]) -> list[Program]:
    if not ids:
        return []
    found = {p.id: p for p in db.scalars(select(Program).where(Program.id.in_(ids))
                                         .options(selectinload(Program.agency)))}
    return [found[i] for i in ids if i in found]
