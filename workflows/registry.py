"""Every workflow class the worker runs."""

from workflows.mou import MouRenewalWorkflow
from workflows.roi import RoiWorkflow

WORKFLOWS = [MouRenewalWorkflow, RoiWorkflow]
