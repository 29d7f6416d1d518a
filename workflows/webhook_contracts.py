"""Contracts of webhook delivery: the workflow's input, its retry policy, the activities' inputs."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import activity


@dataclass
class WebhookPolicy:
    """How long a delivery keeps trying. The defaults retry for about 13 hours (30 s doubling to
    an hourly attempt, 20 attempts in all) before the delivery is dead-lettered, so a receiver down
    overnight still gets its events; tests pass short ones."""

    initial_interval_seconds: float = 30.0
    backoff_coefficient: float = 2.0
    maximum_interval_seconds: float = 3600.0
    maximum_attempts: int = 20
    attempt_timeout_seconds: float = 30.0


@dataclass
class DeliverWebhook:
    delivery_id: int
    round: int = 1
    """1 for the first delivery, then one more for each redelivery from the dead-letter view."""
    policy: WebhookPolicy = field(default_factory=WebhookPolicy)


@dataclass
class PostWebhook:
    delivery_id: int
    round: int


@dataclass
class DeadLetterWebhook:
    delivery_id: int
    round: int
    error: str


@dataclass
class DispatchWebhooks:
    """Start the deliveries queued but not started (the API or worker could not reach Temporal)."""

    limit: int = 200


WEBHOOK_SWEEP_SCHEDULE_ID = "webhook-sweep"

class WebhookActivitiesContract:
    """The webhook workflows' activities: named by method in the workflow, implemented by
    `activities.webhooks.WebhookActivities` (docs/retries.md)."""

    @activity.defn
    async def post_webhook(self, request: PostWebhook) -> str:
        raise NotImplementedError

    @activity.defn
    async def dead_letter_webhook(self, request: DeadLetterWebhook) -> None:
        raise NotImplementedError

    @activity.defn
    async def dispatch_webhooks(self, request: DispatchWebhooks) -> int:
        raise NotImplementedError
