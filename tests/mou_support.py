"""Signing an MOU through its workflow as the MOU pages do (connect.workflow_client.update)."""

from __future__ import annotations

from connect.workflow_client import mou_run, update
from workflows.mou import MouRenewalWorkflow
from workflows.mou_contracts import MouKind, MouSigned, SignMou
from workflows.policy import TimerPolicy


async def sign_mou(client, settings, kind: MouKind, subject_id: int, request: SignMou,
                   policy: TimerPolicy | None = None, *, update_id: str | None = None) -> MouSigned:
    return await update(client, settings, mou_run(kind, subject_id, policy=policy), MouRenewalWorkflow.sign,
                        request, update_id=update_id)
