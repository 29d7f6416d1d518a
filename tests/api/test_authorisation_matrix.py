"""Issue #19's closing matrix: every GET route of the app × eight kinds of actor, against one
client of program A with a sent referral, a pending one and a signed ROI.

Unexpected allow, the thing this test exists to catch: an actor with no right to the client's
details (anonymous, a user before the MOU, a gatekeeper of another program, an administrator of
another region) gets an answer that carries them (the client's date of birth, address or phone),
or gets a 2xx from a client/ROI/referral route without a current MOU and program. Every actor,
allowed or not, must never get a 500. ``test_gate.py`` checks the same routes' dependencies
statically; this walk checks the answers.
"""

from __future__ import annotations

import re

from domain.montana import region_of
from tests.api.test_gate import api_routes
from tests.factories import HTML, login, make_program, make_referral, make_user
from tests.referral_network import make_network

SECRETS = ("1990-04-12", "04/12/1990", "12 Last Chance Gulch", "555-1234", "5551234")


def _paths(app, ids: dict[str, int]) -> list[str]:
    """Each GET route with its path ids filled in from ``ids`` by parameter name (else A's client)."""
    out = set()
    for path, methods, _d in api_routes(app):
        if "GET" not in methods or path.startswith(("/static", "/assets", "/docs", "/openapi")):
            continue
        out.add(re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str(ids.get(m.group(1), ids["client_id"])), path))
    return sorted(out)


async def test_no_unexpected_allow_across_routes_and_actors(app, client, db):
    net = make_network(db)
    sent = make_referral(db, net.sending, net.receiving, net.sender, client=net.client)
    make_referral(db, net.sending, net.outside, net.sender, client=net.client, state="pending")
    region = region_of("Lewis and Clark")
    other_program = make_program(db, "Far Away Clinic", county="Yellowstone")
    actors = {
        "anonymous": None,
        "before_mou": make_user(db, provider_of=(net.sending,), mou_signed=False),
        "provider": net.sender,
        "gatekeeper": net.sending_gatekeeper,
        "gatekeeper_elsewhere": make_user(db, gatekeeper_of=(other_program,)),
        "admin_elsewhere": make_user(db, admin_regions=(region % 5 + 1,)),
        "regional_admin": make_user(db, admin_regions=(region,)),
        "state_team": make_user(db, state_team=True),
    }
    denied = {"anonymous", "before_mou", "gatekeeper_elsewhere", "admin_elsewhere"}
    no_program = {"anonymous", "before_mou", "admin_elsewhere"}
    db.commit()
    ids = {"client_id": net.client.id, "referral_id": sent.id, "roi_id": net.roi.id,
           "program_id": net.sending.id, "agency_id": net.sending.agency_id}
    paths = _paths(app, ids)
    assert len(paths) > 50

    from api.deps import is_protected_path

    cells, leaks, gate_allows, errors, shown = 0, [], [], [], set()
    for kind, user in actors.items():
        client.cookies.clear()
        if user is not None:
            await login(client, user.email)
        for path in paths:
            accept = {} if path.startswith("/api/") else HTML
            r = await client.get(path, headers=accept, follow_redirects=False)
            cells += 1
            if r.status_code >= 500:
                errors.append((kind, path, r.status_code))
            if any(s in r.text for s in SECRETS):
                shown.add(kind)
                if kind in denied:
                    leaks.append((kind, path, r.status_code))
            if kind in no_program and is_protected_path(path.split("?")[0]) and r.status_code < 300:
                gate_allows.append((kind, path, r.status_code))
    print(f"\nauthorisation matrix: {cells} cells ({len(paths)} routes x {len(actors)} actors), "
          f"unexpected allows {len(leaks) + len(gate_allows)}, server errors {len(errors)}")
    assert leaks == [] and gate_allows == [] and errors == []
    assert {"provider", "gatekeeper"} <= shown  # the oracle sees details where they are allowed
