"""Delivers emails the API queued (account invitations, password links).

The API writes the outbox row in its own transaction and then starts `DeliverOutbox`, so those
emails go out the one way every CONNECT message does: the `deliver_message` activity, with its
retries for a day when the mail server is down, and a record in the outbox either way.

If Temporal cannot be reached at that moment the API marks the row "held"; the outbox sweep, a
workflow a Temporal schedule starts every few minutes, claims held rows and delivers them, so
an invitation queued during an outage still goes out once Temporal is back.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa
    from workflows.delivery import DB_ACTIVITY, deliver_all
    from workflows.outbox_contracts import DeliverOutbox, MessagingActivitiesContract, SweepOutbox


@workflow.defn(name="DeliverOutbox")
class DeliverOutboxWorkflow:
    @workflow.run
    async def run(self, inp: DeliverOutbox) -> None:
        """Hands each queued message to its backend once."""
        workflow.upsert_search_attributes([sa.CONNECT_KIND.value_set("outbox")])
        await deliver_all(inp.outbox_ids)


@workflow.defn(name="SweepHeldOutbox")
class SweepHeldOutboxWorkflow:
    @workflow.run
    async def run(self, inp: SweepOutbox) -> int:
        """Claims the held messages and delivers them; returns how many."""
        workflow.upsert_search_attributes([sa.CONNECT_KIND.value_set("outbox-sweep")])
        ids = await workflow.execute_activity_method(MessagingActivitiesContract.claim_held_messages, inp,
                                                     **DB_ACTIVITY)
        await deliver_all(ids)
        return len(ids)
