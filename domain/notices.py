"""Who is told of what happened in CONNECT (the bell and its emails)."""

from __future__ import annotations

from collections.abc import Iterable


def told_of_action(user_ids: Iterable[int | None], actor_id: int | None) -> set[int]:
    """The people to tell of an action: those named, less the person who did it (nobody needs a
    bell for what they just did). ``actor_id`` is None when nobody acted (a timer, the system)."""
    return {u for u in user_ids if u and u != actor_id}
