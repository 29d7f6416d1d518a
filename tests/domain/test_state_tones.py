"""One name and one colour per referral and ROI state."""

from __future__ import annotations

import pytest

from domain.referral_status import ReferralState
from domain.roi import RoiState
from domain.state_tones import START, Tone, referral_look, roi_look


@pytest.mark.parametrize("state", list(ReferralState))
def test_every_referral_state_has_its_label_and_a_tone(state):
    look = referral_look(state.value)
    assert look.label == state.label and isinstance(look.tone, Tone)


@pytest.mark.parametrize("state", list(RoiState))
def test_every_roi_state_has_its_label_and_a_tone(state):
    look = roi_look(state)
    assert look.label == state.label and isinstance(look.tone, Tone)


def test_the_guides_colours():
    # Part 4: green "Start", blue "Pending", a sent referral greyed out as "Active".
    assert (START.label, START.tone) == ("Start", Tone.GO)
    assert (referral_look("pending").label, referral_look("pending").tone) == ("Pending", Tone.WAITING)
    assert (referral_look("sent").label, referral_look("sent").tone) == ("Active", Tone.ACTIVE)
    # A signed ROI stands out; a revoked or expired one no longer does.
    assert roi_look("signed").tone is Tone.GO
    assert roi_look("revoked").tone is roi_look("expired").tone is Tone.ENDED


def test_an_unknown_state_is_refused():
    with pytest.raises(ValueError):
        referral_look("lost")
