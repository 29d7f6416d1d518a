"""Helpers for ROI tests: a sending and a receiving program with staff, a client, a draft ROI
whose workflow runs, and the requests that drive it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.client import Client as TemporalClient
from temporalio.client import WorkflowHandle

from models.accounts.credentials import keyed_hash
from connect.settings import Settings
from connect.workflow_client import ensure_started, roi_run
from models.accounts.tables import User
from models.clients.tables import Client
from models.messages.tables import OutboxMessage
from models.agencies.tables import Program
from models.releases.queries import create_roi_drafts
from models.releases.tables import ReleaseOfInformation
from tests.factories import (
    eventually,  # noqa: F401 (tests import it from here)
    make_client,
    make_program,
    make_user,
    montana_today,
)
from workflows.ids import roi_workflow_id
from workflows.policy import TimerPolicy
from workflows.roi import RoiWorkflow
from workflows.roi_contracts import CompleteRoi, RoiActor


@dataclass
class RoiScene:
    sender: Program
    receiver: Program
    user: User
    receiver_gatekeeper: User
    client: Client

    @property
    def actor(self) -> RoiActor:
        return RoiActor(self.user.id, self.sender.id)


def make_scene(db: Session, *, phone: str | None = "+14065551234", part2: bool = False) -> RoiScene:
    sender = make_program(db, "Helena Food Share")
    receiver = make_program(db, "Gateway Recovery", services=("substance_use",), part2=part2)
    user = make_user(db, name="Pat Provider", provider_of=(sender,))
    gk = make_user(db, name="Gabe Gatekeeper", gatekeeper_of=(receiver,))
    client = make_client(db, sender, user, first_name="Marisol", last_name="Quintanilla",
                         dob=date(1988, 7, 14), phone=phone)
    db.commit()
    return RoiScene(sender, receiver, user, gk, client)


async def start_draft(db: Session, temporal: TemporalClient, settings: Settings, scene: RoiScene,
                      policy: TimerPolicy | None = None) -> tuple[ReleaseOfInformation, WorkflowHandle]:
    [roi] = create_roi_drafts(db, client=scene.client, sending_program_id=scene.sender.id,
                              user_id=scene.user.id, program_ids=[scene.receiver.id], one_per_program=False,
                              today=montana_today())
    db.commit()
    await ensure_started(temporal, settings, roi_run(roi.id, scene.sender.id, policy))
    return roi, temporal.get_workflow_handle(roi_workflow_id(roi.id))


def complete_request(scene: RoiScene, **changes) -> CompleteRoi:
    fields = dict(actor=scene.actor, information_types=["contact_information", "reason_for_referral"],
                  sensitive_consent=[], purpose="Referral for recovery support", authorizer_kind="self",
                  authorizer_name=scene.client.full_name, authorizer_relationship="")
    fields.update(changes)
    return CompleteRoi(**fields)


async def complete(handle: WorkflowHandle, scene: RoiScene, **changes):
    return await handle.execute_update(RoiWorkflow.complete, complete_request(scene, **changes))


def code_hmac(settings: Settings, code: str) -> str:
    return keyed_hash(settings.secret_key, code)




CODE = re.compile(r"security code for release of information #\d+: (\d{6})")


def texts_to(db: Session, phone: str) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(OutboxMessage.body).where(OutboxMessage.channel == "sms",
                                                            OutboxMessage.direction == "out",
                                                            OutboxMessage.to_address == phone)
                           .order_by(OutboxMessage.id)))


def codes_sent(db: Session, phone: str) -> list[str]:
    return [m.group(1) for body in texts_to(db, phone) if (m := CODE.search(body))]


async def code_texted(db: Session, handle: WorkflowHandle, phone: str) -> str:
    """The security code texted after a YES, once the workflow holds it too.

    The activity writes the code's text before the workflow records the code, so a test that
    enters a code as soon as the text appears races the workflow (it failed under load); this
    waits for both."""
    import asyncio

    codes = await eventually(lambda: codes_sent(db, phone))
    for _ in range(300):
        if (await handle.query(RoiWorkflow.state)).code_expires_at is not None:
            return codes[-1]
        await asyncio.sleep(0.05)
    raise AssertionError("the workflow never recorded the code it texted")


def all_delivered(db: Session) -> bool:
    """Every queued email and text has been handed to its backend (nothing in flight)."""
    db.expire_all()
    return db.scalar(select(OutboxMessage.id).where(OutboxMessage.status == "queued").limit(1)) is None


async def signed_in(http, scene: RoiScene) -> dict[str, str]:
    """Signs the scene's provider in; returns the headers a JSON call needs (the CSRF token)."""
    from tests.factories import login

    csrf = await login(http, scene.user.email)
    return {"x-csrf-token": csrf}


COMPLETE_BODY = {
    "information_types": ["contact_information", "reason_for_referral"],
    "purpose": "Referral for recovery support",
    "authorizer_kind": "self",
}


def pdf_bytes(text: str = "Signed ROI") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


def twilio_signed(settings: Settings, path: str, params: dict[str, str]) -> dict[str, str]:
    """The X-Twilio-Signature Twilio would send for these params to PUBLIC_URL + path."""
    from twilio.request_validator import RequestValidator

    url = settings.public_url.rstrip("/") + path
    return {"x-twilio-signature": RequestValidator(settings.twilio_auth_token).compute_signature(url, params)}


def twilio_yes(settings: Settings, sid: str, body: str = "YES",
               phone: str = "+14065551234") -> tuple[dict[str, str], dict[str, str]]:
    """The form Twilio posts for a text from ``phone``, and its signature headers."""
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "1" * 32, "From": phone,
              "To": "+14065550199", "Body": body, "NumMedia": "0"}
    return params, twilio_signed(settings, "/twilio/sms", params)


async def awaiting_yes(http, scene: RoiScene) -> int:
    """An ROI of the scene, completed, that has texted the client for their YES; its id."""
    headers = await signed_in(http, scene)
    r = await http.post("/api/v1/roi", json={"client_id": scene.client.id, "program_ids": [scene.receiver.id]},
                        headers=headers)
    roi_id = r.json()["rois"][0]["id"]
    assert (await http.post(f"/api/v1/roi/{roi_id}/complete", json=COMPLETE_BODY, headers=headers)).status_code == 200
    assert (await http.post(f"/api/v1/roi/{roi_id}/sign/sms", json={}, headers=headers)).status_code == 200
    return roi_id


async def signed_by_upload(http, scene: RoiScene, headers: dict[str, str], scan: bytes):
    """A new ROI of the scene, completed, marked pending upload and signed by uploading ``scan``
    (a PDF); the upload's answer."""
    r = await http.post("/api/v1/roi", json={"client_id": scene.client.id, "program_ids": [scene.receiver.id]},
                        headers=headers)
    roi_id = r.json()["rois"][0]["id"]
    await http.post(f"/api/v1/roi/{roi_id}/complete", json=COMPLETE_BODY, headers=headers)
    await http.post(f"/api/v1/roi/{roi_id}/sign/upload", headers=headers)
    answer = await http.post(f"/api/v1/roi/{roi_id}/attachments", headers=headers,
                             files={"file": ("roi.pdf", scan, "application/pdf")})
    assert answer.status_code == 201, answer.text
    return answer
