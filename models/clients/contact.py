"""Changing a client's contact details from the "Complete ROI" tab (the guide: "If you need to
update client information (such as phone number) you may do so here").

Each field is checked by the profile's own rule (`domain.client_profile`: the same address, city,
county, ZIP code and email checks as Add Subject and Edit), and each change is kept in ClientChange
and audited with field names only.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy.orm import Session

from domain.client_profile import check_address, check_city, check_county, check_email, check_zip
from domain.phones import NO_PHONE, has_no_phone, is_no_phone, normalize_phone
from models import audit
from models.clients.tables import Client, ClientChange, ClientPhone


@dataclass
class ContactChanges:
    """What staff typed; None leaves a field as it is. The one list of the contact details an ROI
    lets staff correct: the JSON body (`api.clients.forms.ContactIn`) and the ROI page's form are
    made from these fields (`CONTACT_FIELDS`)."""

    mobile_phone: str | None = None
    email: str | None = None
    address: str | None = None
    city: str | None = None
    county: str | None = None
    zip: str | None = None


CONTACT_FIELDS = tuple(f.name for f in fields(ContactChanges))
"""The contact fields, in the form's order: the mobile phone, then the profile fields of the same
name."""


def client_mobile(client: Client) -> ClientPhone | None:
    """The number to text: the first phone labelled mobile, unless it is the "no phone" value."""
    for phone in client.phones:
        if phone.label == "mobile" and not is_no_phone(phone.e164):
            return phone
    return None


def textable_phones(client: Client) -> list[ClientPhone]:
    """The client's numbers on file that a text could reach (not the "no phone" value)."""
    return [phone for phone in client.phones if not is_no_phone(phone.e164)]


def check_contact_changes(changes: ContactChanges) -> dict[str, str]:
    """The changes in stored form; ValidationFailed (with the field) for the first wrong one.
    An empty mobile phone leaves the numbers as they are; an empty email removes it."""
    out: dict[str, str] = {}
    if changes.mobile_phone is not None and changes.mobile_phone.strip():
        out["mobile_phone"] = normalize_phone(changes.mobile_phone)
    for name, check in _PROFILE_CHECKS.items():
        value = getattr(changes, name)
        if value is not None:
            out[name] = check(value)
    return out


_PROFILE_CHECKS = {"email": check_email, "address": check_address, "city": check_city,
                   "county": check_county, "zip": check_zip}


def update_client_contact(db: Session, client: Client, changes: ContactChanges, *, user_id: int,
                          program_id: int) -> list[str]:
    """Applies the changes that differ from what is stored; returns the changed field names.

    Everything is checked before anything is written, so a refused change writes nothing.
    """
    wanted = check_contact_changes(changes)
    diff: dict[str, list] = {}
    mobile = client_mobile(client)
    if "mobile_phone" in wanted and (mobile is None or mobile.e164 != wanted["mobile_phone"]):
        before = [p.e164 for p in client.phones]
        diff["mobile_phone"] = [mobile.e164 if mobile else None, wanted["mobile_phone"]]
        if mobile is None:
            client.phones.insert(0, ClientPhone(e164=wanted["mobile_phone"], label="mobile"))
        else:
            mobile.e164 = wanted["mobile_phone"]
        if not is_no_phone(wanted["mobile_phone"]):
            # A number that reaches the client ends "no phone": the all-nines entry goes.
            client.phones[:] = [p for p in client.phones if not is_no_phone(p.e164)]
        for position, phone in enumerate(client.phones):
            phone.position = position
        if has_no_phone(before) and any(is_no_phone(n) for n in before):
            diff["mobile_phone"][0] = NO_PHONE  # the history reads "No phone -> the new number"
    for f in fields(ContactChanges):
        if f.name != "mobile_phone" and f.name in wanted and getattr(client, f.name) != wanted[f.name]:
            diff[f.name] = [getattr(client, f.name), wanted[f.name]]
            setattr(client, f.name, wanted[f.name])
    if diff:
        db.add(ClientChange(client_id=client.id, user_id=user_id, program_id=program_id, kind="updated",
                            changes=diff))
        audit.record(db, action="client.updated", entity_type="client", entity_id=client.id,
                     user_id=user_id, program_id=program_id, fields=sorted(diff), via="roi")
        db.flush()
    return sorted(diff)
