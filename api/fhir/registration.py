"""Registering an API client for SMART Backend Services: its public keys (a JWKS) and the SMART
system scopes it may ask for. The administrator who manages the client's program does it (as
they register the client itself, `api.integrations.api_clients`); every registration is audited."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import BaseModel, Field

from api.deps import AdminActor, DbSession, Now, Scope, SettingsDep
from api.fhir.smart import ALGORITHMS, SCOPE_TYPES, TOKEN_PATH
from api.integrations.api_clients import api_client_in_scope, audit_api_client
from api.schema_types import Id
from domain.errors import ValidationFailed
from domain.smart_scopes import clean_scopes
from models.fhir.clients import register_keys

router = APIRouter(tags=["administration"])

PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MAX_KEYS = 10


class SmartIn(BaseModel):
    jwks: dict = Field(description='The client\'s public keys as a JWK Set: {"keys": [...]}, each with a '
                                   '"kid"; RSA keys of 2048 bits or more (RS384) or EC P-384 keys (ES384).')
    scopes: list[str] = Field(max_length=50, description="SMART system scopes, such as system/Task.rs and "
                                                          "system/Task.cu.")


class SmartOut(BaseModel):
    client_id: str = Field(description="The `iss` and `sub` of the client's assertions.")
    token_endpoint: str = Field(description="Where the client asks for tokens (the assertion's `aud`).")
    scopes: list[str]
    key_ids: list[str] = Field(description="The `kid` of each registered key.")
    registered_at: datetime


def check_jwks(jwks: dict) -> list[str]:
    """The key ids of a JWK Set fit for SMART Backend Services; ValidationFailed says what is wrong."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys:
        raise ValidationFailed('Send the public keys as a JWK Set: {"keys": [...]}.', field="jwks", code="invalid_jwks")
    if len(keys) > MAX_KEYS:
        raise ValidationFailed(f"Register at most {MAX_KEYS} keys.", field="jwks", code="invalid_jwks")
    kids = []
    for key in keys:
        if not isinstance(key, dict) or not key.get("kid"):
            raise ValidationFailed('Every key needs a "kid", which the assertions name.', field="jwks",
                                   code="invalid_jwks")
        if PRIVATE_MEMBERS & set(key):
            raise ValidationFailed(f"Key {key['kid']} holds private material: register the public key only.",
                                   field="jwks", code="invalid_jwks")
        if key.get("alg") and key["alg"] not in ALGORITHMS:
            raise ValidationFailed(f"Key {key['kid']}: alg is one of {', '.join(ALGORITHMS)}.", field="jwks",
                                   code="invalid_jwks")
        kids.append(str(key["kid"]))
    try:
        imported = KeySet.import_key_set(jwks)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ValidationFailed(f"The JWK Set cannot be read: {exc}.", field="jwks", code="invalid_jwks") from None
    for key in imported.keys:
        fit = (key.key_type == "RSA" and key.raw_value.key_size >= 2048) or (
            key.key_type == "EC" and key.get("crv") == "P-384")
        if not fit:
            raise ValidationFailed(f"Key {key.kid}: use an RSA key of 2048 bits or more, or an EC P-384 key.",
                                   field="jwks", code="invalid_jwks")
    if len(set(kids)) != len(kids):
        raise ValidationFailed("Two keys share a kid.", field="jwks", code="invalid_jwks")
    return kids


@router.put("/api/v1/admin/api-clients/{client_pk}/smart", summary="Register an API client's keys and SMART scopes")
async def register_smart(client_pk: Id, body: SmartIn, actor: AdminActor, scope: Scope, db: DbSession,
                         moment: Now, settings: SettingsDep) -> SmartOut:
    client = api_client_in_scope(db, scope, client_pk)
    if client.revoked_at is not None:
        raise ValidationFailed("That API client was revoked; register a new one.", code="client_revoked")
    kids = check_jwks(body.jwks)
    scopes = clean_scopes(body.scopes, SCOPE_TYPES)
    registration = register_keys(db, client, jwks=body.jwks, scopes=scopes, by=actor.user.id, now=moment)
    audit_api_client(db, actor, client, "smart_registered", scopes=scopes, key_ids=kids)
    db.commit()
    return SmartOut(client_id=client.client_id, token_endpoint=settings.public_url.rstrip("/") + TOKEN_PATH,
                    scopes=registration.scopes, key_ids=kids, registered_at=registration.registered_at)
