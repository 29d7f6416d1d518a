"""A SMART Backend Services client for tests: its own key pair, registered by an administrator
over the JSON API, and signed assertions for the token endpoint (as an EHR's integration does)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from tests.api.test_api_clients import register
from tests.referral_network import bearer
from tests.factories import make_user

TOKEN_URL = "http://testserver/fhir/auth/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def new_key(alg: str = "RS384"):
    """A fresh private key for ``alg`` (RS384 or ES384), with a kid."""
    return RSAKey.generate_key(2048, auto_kid=True) if alg == "RS384" else ECKey.generate_key("P-384", auto_kid=True)


def assertion(client_id: str, key, alg: str = "RS384", *, lifetime: int = 240, aud: str = TOKEN_URL,
              jti: str | None = None) -> str:
    now = int(time.time())
    return jwt.encode({"alg": alg, "kid": key.kid, "typ": "JWT"},
                      {"iss": client_id, "sub": client_id, "aud": aud, "exp": now + lifetime,
                       "jti": jti or str(uuid.uuid4())}, key, algorithms=[alg])


@dataclass
class SmartClient:
    pk: int
    client_id: str
    key: object
    alg: str = "RS384"

    async def token_answer(self, http, scope: str, **overrides):
        form = {"grant_type": "client_credentials", "scope": scope, "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": overrides.pop("signed", None) or assertion(self.client_id, self.key, self.alg)}
        return await http.post("/fhir/auth/token", data=form)

    async def headers(self, http, scope: str) -> dict[str, str]:
        answer = await self.token_answer(http, scope)
        assert answer.status_code == 200, answer.text
        return {"authorization": f"Bearer {answer.json()['access_token']}"}


async def register_smart(http, db, program, scopes: list[str], alg: str = "RS384", name: str = "Clinic EHR"):
    """A new API client of ``program`` with a fresh key pair registered for ``scopes``."""
    admin = make_user(db, f"smart-admin-{uuid.uuid4().hex[:8]}@example.org", state_team=True)
    db.commit()
    admin_headers = bearer(db, admin, None)
    pk, client_id, _secret = await register(http, admin_headers, program, scopes=("read",), name=name)
    key = new_key(alg)
    answer = await http.put(f"/api/v1/admin/api-clients/{pk}/smart", headers=admin_headers,
                            json={"jwks": {"keys": [key.as_dict(private=False)]}, "scopes": scopes})
    assert answer.status_code == 200, answer.text
    return SmartClient(pk, client_id, key, alg), admin_headers
