"""Every workflow class the worker runs."""

from workflows.mou import MouRenewalWorkflow
from workflows.referral import ReferralWorkflow
from workflows.roi import RoiWorkflow

WORKFLOWS = [MouRenewalWorkflow, ReferralWorkflow, RoiWorkflow]
