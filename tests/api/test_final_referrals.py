"""A refused action on a final referral is refused from the projection: no new run of
`referral-<id>` starts for it (only a reopen may start one)."""

from __future__ import annotations

from temporalio.client import Client

from tests.referral_network import COMPLETE_FORM, bearer, make_network
from workflows.ids import referral_workflow_id

API = "/api/v1/referrals"


async def _runs(temporal_client: Client, rid: int) -> list:
    return [w async for w in temporal_client.list_workflows(f'WorkflowId = "{referral_workflow_id(rid)}"')]


async def test_refusals_on_a_declined_referral_start_no_run(client, db, temporal_client):
    net = make_network(db)
    sender = bearer(db, net.sender, net.sending)
    gatekeeper = bearer(db, net.gatekeeper, net.receiving)
    body = {"client_id": net.client.id, "receiving_program_id": net.receiving.id, "send": True,
            "insurance_confirmed": True, **COMPLETE_FORM}
    sent = await client.post(API, json=body, headers=sender)
    assert sent.status_code == 201, sent.text
    rid = sent.json()["id"]
    declined = await client.post(f"{API}/{rid}/decline", json={"reason": "No openings"}, headers=gatekeeper)
    assert declined.status_code == 200, declined.text
    await temporal_client.get_workflow_handle(referral_workflow_id(rid)).result()  # the run ends

    attempts = [
        (f"{API}/{rid}/withdraw", {"reason": "x"}, sender),
        (f"{API}/{rid}/decline", {"reason": "again"}, gatekeeper),
        (f"{API}/{rid}/notes", {"contacted_at": "2026-01-05T10:30:00", "method": "phone",
                                "outcome": "left_message"}, gatekeeper),
        (f"{API}/{rid}/reopen", {"reason": "Client came back"}, gatekeeper),
    ]
    for url, payload, headers in attempts:
        answer = await client.post(url, json=payload, headers=headers)
        assert answer.status_code == 409, (url, answer.text)
        assert "declined it" in answer.json()["detail"]
    assert len(await _runs(temporal_client, rid)) == 1
