"""A FHIR subscription (R5 Backport): one workflow per subscription that sends the handshake, then
looks for changes of the subscribed topic every few seconds and posts an id-only notification for
them, or a heartbeat when nothing changed for the subscription's heartbeat period.

Delivery is retried by Temporal with backoff until the endpoint accepts it: a change is marked as
told only once its notification was delivered, so an endpoint that is down gets every event when
it is back, in order, numbered from the subscription's start.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa
    from workflows.fhir_subscription_contracts import (
        FHIR_SUBSCRIPTION_WORKFLOW,
        ROUNDS_PER_RUN,
        FhirSubscriptionActivitiesContract,
        StepResult,
        SubscriptionInput,
        SubscriptionStep,
    )

DELIVERY = dict(
    start_to_close_timeout=timedelta(seconds=30),
    heartbeat_timeout=timedelta(seconds=10),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                             maximum_interval=timedelta(minutes=5),
                             non_retryable_error_types=["SubscriptionGone"]),
)


@workflow.defn(name=FHIR_SUBSCRIPTION_WORKFLOW)
class FhirSubscriptionWorkflow:
    @workflow.run
    async def run(self, inp: SubscriptionInput) -> str:
        """Runs while the subscription is active; returns its final status (error or off)."""
        workflow.upsert_search_attributes([sa.CONNECT_KIND.value_set("fhir-subscription")])
        step = SubscriptionStep(inp.subscription_id)
        if not inp.handshake_done:
            # The handshake is tried once, as the Backport describes: a failure is the status error.
            result: StepResult = await workflow.execute_activity_method(
                FhirSubscriptionActivitiesContract.fhir_subscription_handshake, step,
                **{**DELIVERY, "retry_policy": RetryPolicy(maximum_attempts=1)})
            if result.status != "active":
                return result.status
        last_sent = workflow.now()
        for _ in range(ROUNDS_PER_RUN):
            result = await workflow.execute_activity_method(
                FhirSubscriptionActivitiesContract.fhir_subscription_notify, step, **DELIVERY)
            if result.status != "active":
                return result.status
            if result.sent:
                last_sent = workflow.now()
            elif workflow.now() - last_sent >= timedelta(seconds=result.heartbeat_seconds or 60):
                result = await workflow.execute_activity_method(
                    FhirSubscriptionActivitiesContract.fhir_subscription_heartbeat, step, **DELIVERY)
                if result.status != "active":
                    return result.status
                last_sent = workflow.now()
            await workflow.sleep(timedelta(seconds=inp.poll_seconds))
        workflow.continue_as_new(SubscriptionInput(inp.subscription_id, inp.poll_seconds, handshake_done=True))
