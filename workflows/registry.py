"""Every workflow class the worker runs."""

from workflows.mou import MouRenewalWorkflow
from workflows.referral import ReferralWorkflow

WORKFLOWS = [MouRenewalWorkflow, ReferralWorkflow]
