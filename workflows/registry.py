"""Every workflow class the worker runs."""

from workflows.mou import MouRenewalWorkflow
from workflows.outbox import DeliverOutboxWorkflow

WORKFLOWS = [MouRenewalWorkflow, DeliverOutboxWorkflow]
