"""The codec endpoint decodes a workflow's payloads only for supervisors of its programs' regions
(the state team: all), through the real path: payloads encrypted by the worker and the API, read
from Temporal's history as the Temporal UI sends them, decoded or refused, and audited."""

from __future__ import annotations

import base64
import json

from google.protobuf import json_format
from sqlalchemy import select
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client

from connect.codec import ENCODING, WORKFLOW_ID
from workflows.ids import parse_workflow_id
from models.audit import AuditEvent
from tests.factories import make_user
from tests.referral_network import COMPLETE_FORM, bearer, make_network
from workflows.ids import referral_workflow_id


def _payloads(node) -> list[dict]:
    if isinstance(node, dict):
        if "metadata" in node and "data" in node:
            return [node]
        return [p for value in node.values() for p in _payloads(value)]
    if isinstance(node, list):
        return [p for value in node for p in _payloads(value)]
    return []


async def _stored_payloads(temporal_client, settings, workflow_id: str) -> list[dict]:
    raw = await Client.connect(temporal_client.service_client.config.target_host,
                               namespace=settings.temporal_namespace)  # no codec: what the server stores
    history = await raw.get_workflow_handle(workflow_id).fetch_history()
    return _payloads(json.loads(history.to_json()))


async def test_a_supervisor_decodes_only_workflows_of_their_regions(client, db, temporal_client, settings):
    net = make_network(db)  # every program in Lewis and Clark county: region 4
    created = await client.post("/api/v1/referrals", headers=bearer(db, net.sender, net.sending), json={
        "client_id": net.client.id, "receiving_program_id": net.receiving.id, "send": True,
        "insurance_confirmed": True, **COMPLETE_FORM})
    assert created.status_code == 201, created.text
    workflow_id = referral_workflow_id(created.json()["id"])
    note = await client.post(f"/api/v1/referrals/{created.json()['id']}/notes",
                             headers=bearer(db, net.gatekeeper, net.receiving),
                             json={"contacted_at": "2026-01-05T10:30:00", "method": "phone", "outcome": "reached",
                                   "text": "Spoke with Zelda about her appointment"})
    assert note.status_code == 200, note.text
    stored = await _stored_payloads(temporal_client, settings, workflow_id)
    sealed = [p for p in stored if base64.b64decode(p["metadata"]["encoding"]) == ENCODING]
    assert sealed and all(base64.b64decode(p["metadata"][WORKFLOW_ID]).decode() == workflow_id for p in sealed)
    body = json_format.MessageToJson(Payloads(payloads=[json_format.ParseDict(p, Payload()) for p in sealed]))

    elsewhere = make_user(db, "north@example.org", admin_regions=(1, 2, 3))
    here = make_user(db, "capital@example.org", admin_regions=(4,))
    state = make_user(db, "state@example.org", state_team=True)
    db.commit()
    refused = await client.post("/codec/decode", content=body, headers={**bearer(db, elsewhere, None),
                                                                      "x-namespace": "default"})
    assert refused.status_code == 403 and refused.json()["error"] == "outside_your_regions"
    assert "Zelda" not in refused.text
    db.expire_all()
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "codec.decode_refused"))
    assert event.user_id == elsewhere.id and event.detail["workflows"] == [workflow_id]

    for supervisor in (here, state):
        answer = await client.post("/codec/decode", content=body, headers=bearer(db, supervisor, None))
        assert answer.status_code == 200, answer.text
        assert "Spoke with Zelda" in b"".join(p.data for p in json_format.Parse(answer.text, Payloads()).payloads).decode()
    db.expire_all()
    decodes = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "codec.decode")))
    assert [e.user_id for e in decodes] == [here.id, state.id]
    assert all(e.detail["workflows"] == [workflow_id] for e in decodes)


async def test_a_relabelled_payload_does_not_decode(client, db, settings):
    from temporalio.converter import WorkflowSerializationContext

    from connect.temporal import codec_from_settings

    net = make_network(db)
    other = make_user(db, "capital@example.org", admin_regions=(4,))
    db.commit()
    codec = codec_from_settings(settings).with_context(WorkflowSerializationContext("default", "referral-999999"))
    [sealed] = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"secret"')])
    # Claimed for a workflow of this administrator's region: the label is authenticated, so it fails.
    sealed.metadata[WORKFLOW_ID] = f"agency-mou-{net.sending.id}".encode()
    answer = await client.post("/codec/decode", headers=bearer(db, other, None),
                               content=json_format.MessageToJson(Payloads(payloads=[sealed])))
    assert answer.status_code == 400 and "secret" not in answer.text


async def test_unlabelled_payloads_are_for_the_state_team(client, db, settings):
    from connect.temporal import codec_from_settings

    regional = make_user(db, "capital@example.org", admin_regions=(4,))
    db.commit()
    [sealed] = await codec_from_settings(settings).encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')])
    answer = await client.post("/codec/decode", headers=bearer(db, regional, None),
                               content=json_format.MessageToJson(Payloads(payloads=[sealed])))
    assert answer.status_code == 403


def test_workflow_ids_name_their_record():
    assert parse_workflow_id("referral-12") == ("referral", 12)
    assert parse_workflow_id("webhook-delivery-5-2") == ("webhook-delivery", 5)
    assert parse_workflow_id("user-mou-3") == ("user-mou", 3)
    assert parse_workflow_id("recovery-sweep") is None
    assert parse_workflow_id("referral-12x") is None
