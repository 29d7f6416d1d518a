"""SMART Backend Services for the FHIR API: the token endpoint (client credentials with a signed
JWT assertion, `private_key_jwt`, RS384 or ES384), its discovery document, and the scope check
every FHIR route makes of a machine client.

The protocol is authlib's (RFC 6749 client credentials, RFC 7523 JWT client authentication) with
joserfc verifying the signature against the JWKS registered for the client; CONNECT supplies the
client lookup, the replay check of each assertion's `jti`, the SMART scopes and the audit
(`api.integrations.oauth.TokenServer`, which this server extends).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from api.deps import Actor, DbSession, MouActor, Now, SettingsDep
from api.errors import Forbidden
from api.fhir.outcome import PREFIX
from api.fhir.resources import RESOURCES
from api.integrations.oauth import TokenServer, _Client, answer_token_request, token_url
from domain.smart_scopes import ACTIONS, allows, parse_scope, within
from models.accounts.api_clients import (
    find_client,
    is_access_token,
    issue_access_token,
    resolve_access_token,
)
from models.accounts.credentials import token_hash
from models.fhir.clients import (
    SmartTokenGrant,
    grant_of,
    registration_of,
    remember_jti,
    token_row,
)

TOKEN_PATH = f"{PREFIX}/auth/token"
AUTH_METHOD = "private_key_jwt"
ALGORITHMS = ["RS384", "ES384"]
SCOPE_TYPES = (*RESOURCES, "Subscription")
"""The resource types a SMART scope may name."""
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)
"""SMART Backend Services: an assertion expires at most five minutes after it is made."""

router = APIRouter(prefix=PREFIX, tags=["fhir"], include_in_schema=False)


class _SmartClient(_Client):
    def __init__(self, row, registration, now):
        super().__init__(row, now)
        self.registration = registration

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint == "token" and method == AUTH_METHOD

    def check_client_secret(self, client_secret):
        return False  # a SMART client proves itself with its key only

    def get_allowed_scope(self, scope):
        return " ".join(scope_to_list(scope) or [])


class _SmartGrant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [AUTH_METHOD]

    def validate_requested_scope(self):
        asked = scope_to_list(self.request.payload.scope) or []
        if not asked:
            raise InvalidScopeError("Ask for the SMART system scopes you need, such as system/Task.rs.")
        known = SCOPE_TYPES
        for scope in asked:
            try:
                parse_scope(scope, known)
            except Exception as exc:  # ValidationFailed: its reason is the description
                raise InvalidScopeError(str(exc)) from None
        registered = self.request.client.registration.scopes
        if not within(asked, registered):
            raise InvalidScopeError("This client is registered for the scopes: " + " ".join(registered))


class _Assertion(JWTBearerClientAssertion):
    """RFC 7523 client authentication, with SMART's algorithms and assertion lifetime, and each
    `jti` accepted once."""

    CLIENT_AUTH_METHOD = AUTH_METHOD

    def __init__(self, server: "SmartTokenServer"):
        super().__init__(leeway=30)
        self._server = server

    def get_audiences(self):
        return [self._server._url, self._server._url.replace("https://", "http://", 1)]

    def resolve_client_public_key(self, client):
        return KeySet.import_key_set(client.registration.jwks)

    def process_assertion_claims(self, assertion, resolve_key):
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ALGORITHMS)
        except JoseError as exc:
            raise InvalidClientError(description=f"The client assertion is not valid: {exc.description or exc}. "
                                                 f"Sign it with a registered key ({', '.join(ALGORITHMS)}).") from exc
        self.verify_claims(token.claims)
        return token.claims

    def validate_jti(self, claims, jti):
        now = self._server._now
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)):
            return False
        expires = datetime.fromtimestamp(exp, timezone.utc)
        if expires > now + MAX_ASSERTION_LIFETIME + timedelta(seconds=self.leeway):
            raise InvalidClientError(description="The client assertion must expire within five minutes.")
        client = find_client(self._server._db, str(claims.get("sub")))
        return client is not None and remember_jti(self._server._db, client, str(jti), expires, now)


class SmartTokenServer(TokenServer):
    grant = _SmartGrant
    scopes = None  # SMART scopes are checked by the grant, against the client's registration

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_client_auth_method(AUTH_METHOD, _Assertion(self))

    def query_client(self, client_id):
        row = find_client(self._db, client_id)
        if row is None or row.revoked_at is not None:
            return None
        registration = registration_of(self._db, row)
        return _SmartClient(row, registration, self._now) if registration is not None else None

    def _generate(self, grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
        smart = " ".join(scope_to_list(scope) or [])
        # The stored OAuth scope keeps the token off CONNECT's JSON API (it names neither read
        # nor write); its SMART scopes are the grant.
        token, lifetime = issue_access_token(self._db, client.row, "fhir", self._now)
        self._db.flush()
        self._db.add(SmartTokenGrant(token_pk=token_row(self._db, token_hash(token)).id, scope=smart))
        return {"token_type": "Bearer", "access_token": token, "expires_in": lifetime, "scope": smart}


@router.post("/auth/token")
async def smart_token(request: Request, db: DbSession, moment: Now, settings: SettingsDep) -> Response:
    """SMART Backend Services token endpoint: `grant_type=client_credentials`, `scope` (system
    scopes), `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and
    `client_assertion` (a JWT signed with a key of the client's registered JWKS)."""
    return await answer_token_request(SmartTokenServer, request, db, moment, token_url(settings, TOKEN_PATH))


@router.get("/.well-known/smart-configuration")
async def smart_configuration(settings: SettingsDep) -> JSONResponse:
    """SMART's discovery document: where and how a backend service gets a token."""
    return JSONResponse({
        "token_endpoint": settings.public_url.rstrip("/") + TOKEN_PATH,
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": [AUTH_METHOD],
        "token_endpoint_auth_signing_alg_values_supported": ALGORITHMS,
        "scopes_supported": [f"system/{kind}.{p}" for kind in SCOPE_TYPES for p in ("rs", "cu")],
        "capabilities": ["client-confidential-asymmetric"],
    })


def requires(kind: str, action: str, *more: tuple[str, str]):
    """The dependency of a FHIR route doing ``action`` (a letter of c r u d s) on ``kind`` (and
    each of ``more``, pairs of the same): the actor of the JSON API (user MOU, program), and for a
    machine client a SMART token whose scopes allow it. A person is authorised by role, program
    and ROI, as everywhere."""

    async def check(request: Request, actor: MouActor, db: DbSession, moment: Now) -> Actor:
        if actor.client is None:
            return actor
        presented = request.headers.get("authorization", "")[7:].strip()
        token = resolve_access_token(db, presented, moment) if is_access_token(presented) else None
        grant = grant_of(db, token) if token is not None else None
        needed = " ".join(f"system/{k}.{a}" for k, a in ((kind, action), *more))
        if grant is None:
            raise Forbidden(f"The FHIR API takes SMART Backend Services tokens ({TOKEN_PATH}); this token was "
                            "issued for CONNECT's JSON API.", code="insufficient_scope",
                            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'})
        lacking = [(k, a) for k, a in ((kind, action), *more) if not allows(grant.scopes, k, a)]
        if lacking:
            k, a = lacking[0]
            raise Forbidden(f"This token's scopes do not allow {ACTIONS[a]} of {k}: ask for system/{k}.{a}.",
                            code="insufficient_scope",
                            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'})
        return actor

    return Depends(check)

