"""One name and one colour for each referral and ROI state, wherever a page shows it.

The guide colours a client's referral boxes green ("Start": nothing sent yet), blue ("Pending":
saved, not sent) and grey ("Active": sent, nothing left to do for the sender). Every tag, card and
box of a referral or ROI takes its words from the state's label and its colour from the tone here,
so the profile, the lists and the green boxes cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.referral_status import ReferralState
from domain.roi import RoiState

__all__ = ["StateLook", "Tone", "referral_look", "roi_look", "START"]


class Tone(StrEnum):
    """A colour with a meaning; the style sheet gives each one its colour."""

    GO = "go"  # green: ready, you may go ahead
    WAITING = "waiting"  # blue: waiting for someone (the sender, the client)
    ACTIVE = "active"  # grey: under way, nothing to do here now
    ENDED = "ended"  # dark grey: over
    REFUSED = "refused"  # red: turned down


@dataclass(frozen=True)
class StateLook:
    """How a state reads on a page: its words and its colour."""

    label: str
    tone: Tone


_REFERRAL_TONES: dict[ReferralState, Tone] = {
    ReferralState.PENDING: Tone.WAITING,
    ReferralState.SENT: Tone.ACTIVE,
    ReferralState.ASSIGNED: Tone.ACTIVE,
    ReferralState.CLOSED: Tone.ENDED,
    ReferralState.WITHDRAWN: Tone.ENDED,
    ReferralState.DECLINED: Tone.REFUSED,
}

_ROI_TONES: dict[RoiState, Tone] = {
    RoiState.DRAFT: Tone.WAITING,
    RoiState.AWAITING_SIGNATURE: Tone.WAITING,
    RoiState.SIGNED: Tone.GO,
    RoiState.EXPIRED: Tone.ENDED,
    RoiState.REVOKED: Tone.ENDED,
    RoiState.ABANDONED: Tone.ENDED,
}

# A green box with no referral behind it yet (guide Part 4 C).
START = StateLook("Start", Tone.GO)


def referral_look(state: str | ReferralState) -> StateLook:
    """The words and colour of a referral state (``ValueError`` for an unknown state)."""
    member = ReferralState(state)
    return StateLook(member.label, _REFERRAL_TONES[member])


def roi_look(state: str | RoiState) -> StateLook:
    """The words and colour of an ROI state (``ValueError`` for an unknown state)."""
    member = RoiState(state)
    return StateLook(member.label, _ROI_TONES[member])
