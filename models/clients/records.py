"""Client records: create and edit with the duplicate guard, view, identity check, merge and
unmerge. Every change writes a ``ClientChange`` (the profile's history, values included) and an
audit event (field names only); every view of details writes an audit event.

No FastAPI here: routes call these functions and map the errors they raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from domain.client_profile import (
    LABELS,
    DUPLICATE_ANSWERS_FREE,
    ClientDetails,
    DuplicateClient,
    NearMatch,
    Phone,
    near_matches_told,
)
from domain.errors import InvalidTransition, NotAllowed, NotFound, TooManyAttempts
from domain.matching import Identity, match, search_keys
from domain.montana import region_of
from domain.referral_status import ReferralState
from models import audit
from models.accounts import throttle
from models.accounts.tables import User
from models.audit import AuditEvent
from models.clients.access import can_see_client
from models.clients.search import remember_names
from models.clients.tables import Client, ClientChange, ClientPhone
from models.agencies.tables import Program
from models.referrals.tables import Referral
from models.releases.tables import ReleaseOfInformation

# The profile's own fields, in the form's order (phones are compared as a list beside them).
PROFILE_FIELDS = (
    "first_name", "last_name", "dob", "gender_identity", "races", "military_service",
    "no_fixed_address", "address", "city", "county", "zip", "best_way_to_reach", "email",
)
IDENTITY_CHECKS_PER_DAY = 5  # per user and client: enough to retype a slip, too few to guess


# --- reading ----------------------------------------------------------------------------------


def identity_of(client: Client) -> Identity:
    """The guide's four points of a stored client, for ``domain.matching.match``: the profile's
    own (`ClientDetails.identity`), so a stored and a typed profile are compared alike."""
    return details_of(client).identity()


def details_of(client: Client) -> ClientDetails:
    """A stored client as the form's normalised details (to prefill the edit form)."""
    return ClientDetails(
        first_name=client.first_name, last_name=client.last_name, dob=client.dob,
        gender_identity=client.gender_identity, races=tuple(client.races),
        military_service=client.military_service, address=client.address, city=client.city,
        county=client.county, zip=client.zip, no_fixed_address=client.no_fixed_address,
        phones=tuple(Phone(p.e164, p.label) for p in client.phones),
        best_way_to_reach=client.best_way_to_reach, email=client.email,
    )


@dataclass
class ClientView:
    """A client as the acting program may see it: ``visible`` says whether beyond the name and
    year of birth. ``merged_into_id`` is set when the profile was merged into another."""

    client: Client
    visible: bool

    @property
    def merged_into_id(self) -> int | None:
        return self.client.merged_into_id


def get_client(db: Session, client_id: int) -> Client:
    """The client record ``client_id`` as stored, a merged profile included (its pages say where
    it went); NotFound if there is none."""
    client = db.get(Client, client_id)
    if client is None:
        raise NotFound("That client was not found.")
    return client


def kept_client(db: Session, client_id: int) -> Client:
    """The record a client's id leads to: the client itself or, for a profile merged into another,
    the kept record (following merges of merges). Referrals and ROIs start from it."""
    client = get_client(db, client_id)
    while client.merged_into_id is not None:
        client = get_client(db, client.merged_into_id)
    return client


def view_client(
    db: Session, client: Client, *, user_id: int, program_id: int, today: date, purpose: str
) -> ClientView:
    """Decide what the acting program sees of ``client`` and record the view in the audit trail.

    ``purpose`` says which screen or call showed it ("profile", "edit", "api").
    """
    visible = can_see_client(db, program_id, client.id, today)
    shown = ["first_name", "last_name", "birth_year"]
    if visible:
        shown = [*PROFILE_FIELDS, "phones"]
    audit.record_client_view(db, client_id=client.id, user_id=user_id, program_id=program_id,
                             via=purpose, purpose=purpose, view="full" if visible else "minimum",
                             fields=shown)
    return ClientView(client, visible)


@dataclass
class HistoryEntry:
    """One change of a client's profile, with who made it and as which program."""

    change: ClientChange
    by: str
    program: str


def history(db: Session, client_id: int) -> list[HistoryEntry]:
    """The client's changes, newest first."""
    rows = db.execute(
        select(ClientChange, User.full_name, Program)
        .join(User, User.id == ClientChange.user_id)
        .outerjoin(Program, Program.id == ClientChange.program_id)
        .where(ClientChange.client_id == client_id)
        .order_by(ClientChange.at.desc(), ClientChange.id.desc())
    )
    return [HistoryEntry(change, by, program.display_name if program else "Administration")
            for change, by, program in rows]


# --- the duplicate guard ----------------------------------------------------------------------


def find_duplicates(
    db: Session, identity: Identity, *, exclude_id: int | None = None
) -> tuple[list[int], list[NearMatch]]:
    """Existing clients that are (``exact``) or may be (``near``) the person of ``identity``.

    Every rule of ``domain.matching.match`` needs either the same date of birth or the same
    names, so the candidates are the clients born that day (tens in a million) and those with
    the same folded names (a date-of-birth slip).
    """
    keys = search_keys(identity.first_name, identity.last_name)
    conditions = [
        Client.merged_into_id.is_(None),
        or_(
            Client.dob == identity.dob,
            and_(Client.first_folded == keys["first_folded"],
                 Client.last_folded == keys["last_folded"]),
        ),
    ]
    if exclude_id is not None:
        conditions.append(Client.id != exclude_id)
    exact: list[int] = []
    near: list[NearMatch] = []
    found = select(Client).where(*conditions).options(selectinload(Client.phones)).order_by(Client.id)
    for client in db.scalars(found):
        result = match(identity, identity_of(client))
        if result.kind == "exact":
            exact.append(client.id)
        elif result.kind == "near":
            near.append(NearMatch(client.id, tuple(result.reasons)))
    return exact, near


# --- create and edit --------------------------------------------------------------------------


def _json_value(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _profile_values(details: ClientDetails) -> dict:
    return {name: getattr(details, name) for name in PROFILE_FIELDS}


def _phone_list(phones) -> list[list[str]]:
    return [[p.label, p.e164] for p in phones]


def _apply(client: Client, details: ClientDetails) -> None:
    for name, value in _profile_values(details).items():
        setattr(client, name, list(value) if isinstance(value, tuple) else value)
    for name, value in search_keys(details.first_name, details.last_name).items():
        setattr(client, name, value)


def _set_phones(client: Client, phones: tuple[Phone, ...]) -> None:
    client.phones = [ClientPhone(e164=p.e164, label=p.label, position=i)
                     for i, p in enumerate(phones)]


def _duplicate_answer(db: Session, exact: list[int], near: list[NearMatch], *, user_id: int,
                      program_id: int, now: datetime, today: date) -> DuplicateClient:
    """The refusal to give, after counting it against the user's duplicate answers and auditing
    each exact match; the caller commits (so the count and audit survive the refusal)."""
    throttle.record_failure(db, [_duplicate_key(user_id)], now)
    for client_id in exact:
        audit.record(db, action="client.duplicate_refused", entity_type="client", entity_id=client_id,
                     user_id=user_id, program_id=program_id)
    visible = {m.client_id for m in near if can_see_client(db, program_id, m.client_id, today)}
    return DuplicateClient(exact, near_matches_told(near, visible))


def _duplicate_key(user_id: int) -> str:
    return f"duplicates:user:{user_id}"


def _check_duplicate_answers_left(db: Session, user_id: int, now: datetime) -> None:
    wait = throttle.wait_needed(db, [_duplicate_key(user_id)], now,
                                free={_duplicate_key(user_id): DUPLICATE_ANSWERS_FREE})
    if wait.total_seconds() > 0:
        raise TooManyAttempts(f"You were told about many matching clients in a short time. Search for the "
                              f"client, or try again in {int(wait.total_seconds()) + 1} seconds.",
                              code="too_many_duplicate_checks")


def create_client(
    db: Session,
    details: ClientDetails,
    *,
    user_id: int,
    program_id: int,
    now: datetime,
    today: date,
    acknowledge_near_matches: bool = False,
) -> Client:
    """Add a client ("Add Subject"), unless the duplicate guard stops it.

    Raises ``DuplicateClient``: always when an existing client matches on the guide's four
    points; when some only may be the same person, unless ``acknowledge_near_matches``. Only the
    count of duplicate answers and the audit of exact matches are written then (the caller
    commits them). Raises ``TooManyAttempts`` while the user has had too many duplicate answers.
    """
    _check_duplicate_answers_left(db, user_id, now)
    exact, near = find_duplicates(db, details.identity())
    if exact or (near and not acknowledge_near_matches):
        raise _duplicate_answer(db, exact, near, user_id=user_id, program_id=program_id, now=now, today=today)
    client = Client(created_by_program_id=program_id, created_by_user_id=user_id)
    _apply(client, details)
    _set_phones(client, details.phones)
    db.add(client)
    db.flush()
    remember_names(db, client.first_folded, client.last_folded)
    changes = {name: [None, _json_value(value)]
               for name, value in _profile_values(details).items()}
    changes["phones"] = [None, _phone_list(details.phones)]
    db.add(ClientChange(client_id=client.id, user_id=user_id, program_id=program_id,
                        kind="created", changes=changes))
    audit.record(db, action="client.created", entity_type="client", entity_id=client.id,
                 user_id=user_id, program_id=program_id, fields=[*PROFILE_FIELDS, "phones"],
                 near_matches_acknowledged=[m.client_id for m in near])
    return client


def _refuse_if_merged(client: Client) -> None:
    if client.merged_into_id is not None:
        raise InvalidTransition(
            f"This profile was merged into client {client.merged_into_id}; open that profile "
            "instead.",
            code="client_merged",
        )


def update_client(
    db: Session, client: Client, details: ClientDetails, *, user_id: int, program_id: int,
    now: datetime, today: date,
) -> list[str]:
    """Save an edited profile; return the names of the fields that changed (empty: nothing did).

    Raises ``DuplicateClient`` (exact matches only) when the edit would make this profile match
    another one on the four points: an administrator should merge them instead.
    """
    _refuse_if_merged(client)
    _check_duplicate_answers_left(db, user_id, now)
    exact, _ = find_duplicates(db, details.identity(), exclude_id=client.id)
    if exact:
        raise _duplicate_answer(db, exact, [], user_id=user_id, program_id=program_id, now=now, today=today)
    before = {name: _json_value(getattr(client, name)) for name in PROFILE_FIELDS}
    before_phones = _phone_list(client.phones)
    after = {name: _json_value(value) for name, value in _profile_values(details).items()}
    after_phones = _phone_list(details.phones)
    changes = {name: [before[name], after[name]] for name in PROFILE_FIELDS
               if before[name] != after[name]}
    if before_phones != after_phones:
        changes["phones"] = [before_phones, after_phones]
    if not changes:
        return []
    _apply(client, details)
    if "phones" in changes:
        _set_phones(client, details.phones)
    db.flush()
    remember_names(db, client.first_folded, client.last_folded)
    db.add(ClientChange(client_id=client.id, user_id=user_id, program_id=program_id,
                        kind="updated", changes=changes))
    audit.record(db, action="client.updated", entity_type="client", entity_id=client.id,
                 user_id=user_id, program_id=program_id, fields=list(changes))
    return list(changes)


# --- the identity check (FAQ: "have your client tell you") -------------------------------------


def check_identity(
    db: Session,
    client: Client,
    *,
    dob: date,
    phone: str | None,
    address: str | None,
    user_id: int,
    program_id: int,
    now: datetime,
) -> bool:
    """Whether what the client tells the user (date of birth, and phone or address) matches the
    stored profile on the guide's four points. Answers yes or no only, never which point
    differs, and at most ``IDENTITY_CHECKS_PER_DAY`` times a day per user and client."""
    since = now - timedelta(days=1)
    done = db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "client", AuditEvent.entity_id == str(client.id),
        AuditEvent.action == "client.identity_checked", AuditEvent.user_id == user_id,
        AuditEvent.at > since,
    ))
    if done >= IDENTITY_CHECKS_PER_DAY:
        raise TooManyAttempts(
            f"You have checked this client's identity {done} times today. Ask the client to "
            "confirm their details, or add them as a new subject if in doubt.",
            code="too_many_identity_checks",
        )
    typed = Identity(client.first_name, client.last_name, dob, phone=phone, address=address,
                     zip=client.zip)
    matched = match(typed, identity_of(client)).kind == "exact"
    audit.record(db, action="client.identity_checked", entity_type="client", entity_id=client.id,
                 user_id=user_id, program_id=program_id,
                 points=[p for p, v in (("dob", dob), ("phone", phone), ("address", address)) if v],
                 result="match" if matched else "no_match")
    return matched


# --- merge and unmerge (administrators) -------------------------------------------------------


def may_merge(user: User, *clients: Client) -> bool:
    """State team: any client; a designated administrator: clients living in their regions."""
    if user.is_state_team:
        return True
    regions = user.region_numbers
    return bool(regions) and all(region_of(c.county) in regions for c in clients)


def _open_referral_programs(db: Session, client_id: int) -> set[int]:
    open_states = (ReferralState.PENDING.value, ReferralState.SENT.value,
                   ReferralState.ASSIGNED.value)
    return set(db.scalars(select(Referral.receiving_program_id).where(
        Referral.client_id == client_id, Referral.state.in_(open_states))))


def merge_clients(
    db: Session, survivor: Client, duplicate: Client, *, user: User, program_id: int | None
) -> ClientChange:
    """Merge ``duplicate`` into ``survivor``: its referrals, ROIs, phones (those the survivor
    lacks) and history move to the survivor; ``duplicate`` stays, marked ``merged_into_id``.

    The merge record on the survivor lists every row moved, so ``unmerge_client`` can put each
    back. Raises ``NotAllowed`` outside the administrator's regions and ``InvalidTransition``
    when the merge is impossible.
    """
    if not may_merge(user, survivor, duplicate):
        raise NotAllowed(
            "Only the state team, or a designated administrator of the regions where both "
            "clients live, can merge these profiles.",
            code="merge_not_allowed",
        )
    if survivor.id == duplicate.id:
        raise InvalidTransition("Choose two different profiles to merge.", code="merge_same")
    for client in (survivor, duplicate):
        _refuse_if_merged(client)
    both = _open_referral_programs(db, survivor.id) & _open_referral_programs(db, duplicate.id)
    if both:
        raise InvalidTransition(
            "Both profiles have an open referral to the same program; close, decline or "
            "withdraw one of them before merging.",
            code="merge_open_referrals",
        )
    moved = {
        "referral": list(db.scalars(select(Referral.id).where(Referral.client_id == duplicate.id))),
        "roi": list(db.scalars(select(ReleaseOfInformation.id)
                               .where(ReleaseOfInformation.client_id == duplicate.id))),
        "client_change": list(db.scalars(select(ClientChange.id)
                                         .where(ClientChange.client_id == duplicate.id))),
    }
    kept = {p.e164 for p in survivor.phones}
    position = len(survivor.phones)
    moved["client_phone"] = []
    for phone in list(duplicate.phones):
        if phone.e164 not in kept:
            moved["client_phone"].append(phone.id)
            kept.add(phone.e164)
    _move(db, moved, duplicate.id, survivor.id)
    for offset, phone_id in enumerate(moved["client_phone"]):
        db.execute(update(ClientPhone).where(ClientPhone.id == phone_id)
                   .values(position=position + offset))
    duplicate.merged_into_id = survivor.id
    record = ClientChange(client_id=survivor.id, user_id=user.id, program_id=program_id,
                          kind="merged", changes={"merged_client_id": duplicate.id, "moved": moved})
    db.add(record)
    db.add(ClientChange(client_id=duplicate.id, user_id=user.id, program_id=program_id,
                        kind="merged", changes={"merged_into_id": survivor.id}))
    db.flush()
    audit.record(db, action="client.merged", entity_type="client", entity_id=survivor.id,
                 user_id=user.id, program_id=program_id, merged_client_id=duplicate.id,
                 moved={table: len(ids) for table, ids in moved.items()})
    db.expire_all()
    return record


_MOVABLE = {
    "referral": Referral,
    "roi": ReleaseOfInformation,
    "client_change": ClientChange,
    "client_phone": ClientPhone,
}


def _move(db: Session, moved: dict[str, list[int]], from_id: int, to_id: int) -> dict[str, list[int]]:
    """Point the listed rows still on client ``from_id`` at ``to_id``; return those moved."""
    done: dict[str, list[int]] = {}
    for table, ids in moved.items():
        model = _MOVABLE[table]
        if not ids:
            done[table] = []
            continue
        still = list(db.scalars(select(model.id).where(model.id.in_(ids),
                                                        model.client_id == from_id)))
        if still:
            db.execute(update(model).where(model.id.in_(still)).values(client_id=to_id))
        done[table] = still
    return done


def merge_record(db: Session, duplicate: Client) -> ClientChange | None:
    """The survivor's record of the merge that absorbed ``duplicate`` (the latest one)."""
    if duplicate.merged_into_id is None:
        return None
    for change in db.scalars(select(ClientChange).where(
            ClientChange.client_id == duplicate.merged_into_id, ClientChange.kind == "merged")
            .order_by(ClientChange.id.desc())):
        if change.changes.get("merged_client_id") == duplicate.id:
            return change
    return None


def unmerge_client(
    db: Session, duplicate: Client, *, user: User, program_id: int | None
) -> ClientChange:
    """Undo the merge of ``duplicate``: every row the merge moved and still on the survivor goes
    back, one by one, and the profile is live again. Rows added to the survivor since stay."""
    record = merge_record(db, duplicate)
    if record is None:
        raise InvalidTransition("This profile is not merged into another.", code="not_merged")
    survivor = db.get(Client, duplicate.merged_into_id)
    if not may_merge(user, survivor, duplicate):
        raise NotAllowed(
            "Only the state team, or a designated administrator of the regions where both "
            "clients live, can undo this merge.",
            code="merge_not_allowed",
        )
    moved_back = _move(db, record.changes["moved"], survivor.id, duplicate.id)
    duplicate.merged_into_id = None
    change = ClientChange(client_id=survivor.id, user_id=user.id, program_id=program_id,
                          kind="unmerged",
                          changes={"unmerged_client_id": duplicate.id, "moved_back": moved_back})
    db.add(change)
    db.add(ClientChange(client_id=duplicate.id, user_id=user.id, program_id=program_id,
                        kind="unmerged", changes={"unmerged_from_id": survivor.id}))
    db.flush()
    remember_names(db, duplicate.first_folded, duplicate.last_folded)
    audit.record(db, action="client.unmerged", entity_type="client", entity_id=duplicate.id,
                 user_id=user.id, program_id=program_id, survivor_id=survivor.id,
                 moved_back={table: len(ids) for table, ids in moved_back.items()})
    db.expire_all()
    return change


def field_label(name: str) -> str:
    """The guide's label of a profile field, for the history."""
    return LABELS.get(name, name.replace("_", " ").capitalize())
