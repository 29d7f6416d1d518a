"""Where a webhook address points: its host is resolved, and an address inside a private network
(this machine, the office network, the cloud metadata service) is refused, at registration and
again before each delivery, since what a name resolves to can change.

`WEBHOOK_ALLOW_INTERNAL_ADDRESSES` lifts the guard, for development and tests whose receiver runs
on this machine.
"""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

from domain.webhooks import internal_address_refusal, is_internal_address


async def internal_addresses(url: str) -> list[str]:
    """The internal addresses the URL's host resolves to (none when it does not resolve: the
    delivery then fails as any unreachable address does)."""
    host = urlsplit(url).hostname or ""
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return [info[4][0] for info in found if is_internal_address(info[4][0])]


async def check_public(url: str, *, allow_internal: bool) -> None:
    """Refuses (422 on `url`) an address whose host resolves inside a private network."""
    if allow_internal:
        return
    internal = await internal_addresses(url)
    if internal:
        raise internal_address_refusal(urlsplit(url).hostname or "", internal)
