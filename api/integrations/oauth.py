"""The OAuth 2.0 token endpoint for machine clients: the client credentials grant (RFC 6749 §4.4).

The protocol is authlib's: its `AuthorizationServer` with the `ClientCredentialsGrant` parses the
request, authenticates the client (`client_secret_basic` or `client_secret_post`), checks the grant
type and the requested scope, and writes the RFC's token and error answers. CONNECT supplies the
pieces the library leaves to the application: finding a client, checking a secret against the
stored hashes, making and storing the opaque token, and the audit of every issue and refusal.
"""

from __future__ import annotations

import json
from datetime import datetime

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6749.errors import InsecureTransportError, InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.util import extract_basic_authorization, scope_to_list
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from api.deps import DbSession, Now, SettingsDep
from connect.settings import Environment
from domain.api_clients import SCOPES
from models import audit
from models.accounts.api_clients import ApiClient, find_client, issue_access_token, secret_matches

router = APIRouter(tags=["oauth"])


class TokenOut(BaseModel):
    """RFC 6749 §5.1: the access token, to send as `Authorization: Bearer <access_token>`."""
    token_type: str
    access_token: str
    expires_in: int
    """Seconds the token is valid for."""
    scope: str


class OAuthErrorOut(BaseModel):
    """RFC 6749 §5.2: the token endpoint's own error shape (not CONNECT's `Error`), as OAuth
    client libraries expect it."""
    model_config = ConfigDict(extra="allow")
    error: str
    """invalid_request, invalid_client, invalid_grant, unauthorized_client,
    unsupported_grant_type or invalid_scope."""
    error_description: str | None = None


OAUTH_ERRORS = {400: {"model": OAuthErrorOut, "description": "The request is not a valid token request."},
                401: {"model": OAuthErrorOut, "description": "The client could not be authenticated."}}

AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class _Client(ClientMixin):
    """What authlib asks of a client, answered from an `ApiClient` row."""

    def __init__(self, row: ApiClient, now: datetime):
        self.row = row
        self._now = now

    def get_client_id(self):
        return self.row.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        # No scope asked: every scope of the registration (RFC 6749 §3.3 lets us choose a default).
        if not scope:
            return self.row.scope
        return " ".join(s for s in self.row.scopes if s in scope_to_list(scope))

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return secret_matches(self.row, client_secret, self._now)

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint == "token" and method in AUTH_METHODS

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == ClientCredentialsGrant.GRANT_TYPE


class _Grant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def validate_requested_scope(self):
        super().validate_requested_scope()  # known scopes only
        # A scope beyond the registration is refused rather than silently narrowed, so an
        # integrator asking for `write` on a read-only client learns it at once.
        asked = set(scope_to_list(self.request.payload.scope) or [])
        if not asked <= set(self.request.client.row.scopes):
            raise InvalidScopeError("This client is registered for the scopes: " + self.request.client.row.scope)


class _FormRequest(OAuth2Request):
    """The token request with the form Starlette already parsed (authlib reads `form`)."""

    def __init__(self, uri: str, headers, form: dict):
        super().__init__("POST", uri, headers=headers)
        self.payload = BasicOAuth2Payload(form)
        self._posted = form

    @property
    def form(self):
        return self._posted


class TokenServer(AuthorizationServer):
    """One request's authorization server, bound to its database session and clock."""

    grant: type[ClientCredentialsGrant] = _Grant
    scopes: list[str] | None = list(SCOPES)

    def __init__(self, db: Session, now: datetime, token_url: str, address: str):
        super().__init__(scopes_supported=self.scopes)
        self._db, self._now, self._url, self._address = db, now, token_url, address
        self.register_grant(self.grant)
        self.register_token_generator("default", self._generate)

    def query_client(self, client_id):
        row = find_client(self._db, client_id)
        # A revoked client is "unknown": authlib then answers invalid_client like a wrong secret.
        return _Client(row, self._now) if row is not None and row.revoked_at is None else None

    def _generate(self, grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
        scope = client.get_allowed_scope(scope)
        token, lifetime = issue_access_token(self._db, client.row, scope, self._now)
        return {"token_type": "Bearer", "access_token": token, "expires_in": lifetime, "scope": scope}

    def save_token(self, token, request):
        client = request.client.row
        audit.record(self._db, action="api_client.token_issued", entity_type="api_client",
                     entity_id=client.id, user_id=client.user_id, program_id=client.program_id,
                     scope=token["scope"], address=self._address)
        self._db.commit()

    def create_oauth2_request(self, request: dict) -> OAuth2Request:
        return _FormRequest(self._url, request["headers"], request["form"])

    def handle_response(self, status, body, headers):
        return Response(json.dumps(body), status_code=status, headers=dict(headers),
                        media_type="application/json")

    def handle_error_response(self, request, error):
        presented = (request.client.row.client_id if request.client else
                     _presented_client_id(request))[:40]
        found = find_client(self._db, presented) if presented else None
        self._db.rollback()
        audit.record(self._db, action="api_client.token_refused", entity_type="api_client",
                     entity_id=found.id if found else presented or "-",
                     program_id=found.program_id if found else None,
                     error=error.error, address=self._address)
        self._db.commit()
        return super().handle_error_response(request, error)

    def send_signal(self, name, *args, **kwargs):
        pass


def _presented_client_id(request: OAuth2Request) -> str:
    basic_id, _ = extract_basic_authorization(request.headers)
    return basic_id or str(request.payload.data.get("client_id") or "")


def token_url(settings, path: str) -> str:
    """The token endpoint's URL as authlib checks it (and as a signed assertion's `aud` names it)."""
    url = settings.public_url.rstrip("/") + path
    if settings.environment is not Environment.PRODUCTION:
        # RFC 6749 requires TLS, and authlib enforces it on the URL; development and test run on
        # plain http (loopback), so there the rule is lifted. In production PUBLIC_URL decides.
        url = "https://" + url.split("://", 1)[-1]
    return url


async def answer_token_request(server_class: type[TokenServer], request: Request, db: Session, moment: datetime,
                               url: str) -> Response:
    """One token request answered by ``server_class`` (this endpoint's, or the FHIR API's SMART one)."""
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    server = server_class(db, moment, url, request.client.host if request.client else "unknown")
    try:
        return server.create_token_response({"headers": request.headers, "form": data})
    except InsecureTransportError as err:
        return server.handle_response(*err())


@router.post("/oauth/token", response_model=TokenOut, responses=OAUTH_ERRORS)
async def token(request: Request, db: DbSession, moment: Now, settings: SettingsDep) -> Response:
    """Issues an access token to a machine client (OAuth 2.0 client credentials grant).

    Form-encoded `grant_type=client_credentials` and optionally `scope` (`read`, `write`); the
    client authenticates with HTTP Basic or with `client_id` and `client_secret` in the form."""
    return await answer_token_request(TokenServer, request, db, moment, token_url(settings, "/oauth/token"))
