"""Delivers emails the API queued (account invitations, password links).

The API writes the outbox row in its own transaction and then starts this workflow, so those
emails go out the one way every CONNECT message does: the `deliver_message` activity, with its
retries for a day when the mail server is down, and a record in the outbox either way.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa
    from workflows.delivery import deliver_all
    from workflows.outbox_contracts import DeliverOutbox


@workflow.defn(name="DeliverOutbox")
class DeliverOutboxWorkflow:
    @workflow.run
    async def run(self, inp: DeliverOutbox) -> None:
        """Hands each queued message to its backend once."""
        workflow.upsert_search_attributes([sa.CONNECT_KIND.value_set("outbox")])
        await deliver_all(inp.outbox_ids)
