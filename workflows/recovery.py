"""The recovery sweep: a Temporal schedule starts it every minute (and the worker and the API
trigger it when they start); its one activity passes on what was stored while Temporal was
unreachable (see connect.recovery)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa
    from workflows.delivery import DB_ACTIVITY
    from workflows.recovery_contracts import RecoverStranded, RecoveryActivitiesContract, RecoveryReport


@workflow.defn(name="RecoverStranded")
class RecoverStrandedWorkflow:
    @workflow.run
    async def run(self, inp: RecoverStranded) -> RecoveryReport:
        """Passes pending YES texts on and starts the workflows rows are owed."""
        workflow.upsert_search_attributes([sa.CONNECT_KIND.value_set("recovery-sweep")])
        return await workflow.execute_activity_method(RecoveryActivitiesContract.recover_stranded, inp, **DB_ACTIVITY)
