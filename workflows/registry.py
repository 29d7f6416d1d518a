"""Every workflow class the worker runs."""

from workflows.fhir_subscriptions import FhirSubscriptionWorkflow
from workflows.mou import MouRenewalWorkflow
from workflows.outbox import DeliverOutboxWorkflow, SweepHeldOutboxWorkflow
from workflows.recovery import RecoverStrandedWorkflow
from workflows.referral import ReferralWorkflow
from workflows.roi import RoiWorkflow
from workflows.summary import SummariseClosedLoopWorkflow
from workflows.webhooks import SweepWebhooksWorkflow, WebhookDeliveryWorkflow

WORKFLOWS = [MouRenewalWorkflow, DeliverOutboxWorkflow, SweepHeldOutboxWorkflow, ReferralWorkflow, RoiWorkflow,
             SummariseClosedLoopWorkflow, RecoverStrandedWorkflow, WebhookDeliveryWorkflow,
             SweepWebhooksWorkflow, FhirSubscriptionWorkflow]
