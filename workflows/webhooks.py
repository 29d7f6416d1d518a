"""Webhook delivery: one workflow per delivery of one event to one endpoint (and per redelivery).

The retries are Temporal's, with exponential backoff from the policy in the input; when they are
exhausted the delivery is dead-lettered, and an administrator may redeliver it from the dead-letter
view, which starts a new round under a new workflow id. The body and its `webhook-id` never change,
so the receiver can drop a repeat.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa
    from workflows.delivery import DB_ACTIVITY
    from workflows.webhook_contracts import (
        DeadLetterWebhook,
        DeliverWebhook,
        DispatchWebhooks,
        PostWebhook,
        WebhookActivitiesContract,
    )


@workflow.defn(name="WebhookDelivery")
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, inp: DeliverWebhook) -> str:
        """Posts the event until the endpoint accepts it; returns "delivered" or "dead"."""
        workflow.upsert_search_attributes([sa.CONNECT_KIND.value_set("webhook")])
        p = inp.policy
        try:
            return await workflow.execute_activity_method(
                WebhookActivitiesContract.post_webhook, PostWebhook(inp.delivery_id, inp.round),
                start_to_close_timeout=timedelta(seconds=p.attempt_timeout_seconds),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=p.initial_interval_seconds),
                    backoff_coefficient=p.backoff_coefficient,
                    maximum_interval=timedelta(seconds=p.maximum_interval_seconds),
                    maximum_attempts=p.maximum_attempts,
                ),
            )
        except ActivityError as err:
            reason = str(err.cause.message if hasattr(err.cause, "message") else err.cause)
            await workflow.execute_activity_method(
                WebhookActivitiesContract.dead_letter_webhook, DeadLetterWebhook(inp.delivery_id, inp.round, reason),
                **DB_ACTIVITY)
            return "dead"


@workflow.defn(name="SweepWebhooks")
class SweepWebhooksWorkflow:
    @workflow.run
    async def run(self, inp: DispatchWebhooks) -> int:
        """Starts the deliveries whose start was missed; returns how many it started."""
        workflow.upsert_search_attributes([sa.CONNECT_KIND.value_set("webhook-sweep")])
        return await workflow.execute_activity_method(WebhookActivitiesContract.dispatch_webhooks, inp, **DB_ACTIVITY)
