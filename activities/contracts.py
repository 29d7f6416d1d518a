"""Inputs of activities shared by every workflow."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DeliverMessage:
    outbox_id: int
