"""Every workflow class the worker runs."""

from workflows.mou import MouRenewalWorkflow

WORKFLOWS = [MouRenewalWorkflow]
