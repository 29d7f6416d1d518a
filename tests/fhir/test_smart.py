"""SMART Backend Services: a signed assertion for a token, system scopes on every FHIR route, and
everything the token endpoint refuses."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.audit import AuditEvent
from tests.fhir.smart_support import assertion, new_key, register_smart
from tests.factories import make_referral, make_user
from tests.referral_network import bearer, make_network


async def test_a_backend_service_reads_with_its_scopes_only(fhir, db):
    net = make_network(db)
    sent = make_referral(db, net.sending, net.receiving, net.sender, client=net.client)
    db.commit()
    ehr, _admin = await register_smart(fhir, db, net.receiving, ["system/Task.rs", "system/Patient.r"])
    config = (await fhir.get("/fhir/.well-known/smart-configuration")).json()
    assert config["token_endpoint"] == "http://testserver/fhir/auth/token"
    assert config["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    answer = await ehr.token_answer(fhir, "system/Task.rs system/Patient.r")
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "system/Task.rs system/Patient.r"
    headers = {"authorization": f"Bearer {answer.json()['access_token']}"}
    tasks = (await fhir.get("/fhir/Task?status=requested", headers=headers)).json()
    assert [e["resource"]["id"] for e in tasks["entry"]] == [str(sent.id)]
    assert (await fhir.get(f"/fhir/Patient/{net.client.id}", headers=headers)).status_code == 200
    # Read but not search of Patient; nothing of Consent; nothing of the JSON API.
    refused = await fhir.get("/fhir/Patient", headers=headers)
    assert refused.status_code == 403 and "system/Patient.s" in refused.json()["issue"][0]["details"]["text"]
    assert (await fhir.get(f"/fhir/Consent/{net.roi.id}", headers=headers)).status_code == 403
    assert (await fhir.get("/api/v1/referrals/incoming", headers=headers)).status_code == 403
    # Bound to its program: another program's referrals do not exist for it.
    other = make_referral(db, net.sending, net.outside, net.sender)
    db.commit()
    assert (await fhir.get(f"/fhir/Task/{other.id}", headers=headers)).status_code == 404
    db.expire_all()
    done = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "api_client",
                                                                  AuditEvent.entity_id == str(ehr.pk)))]
    assert {"api_client.smart_registered", "api_client.token_issued"} <= set(done)


async def test_es384_keys_work_too(fhir, db):
    net = make_network(db)
    ehr, _ = await register_smart(fhir, db, net.receiving, ["system/*.rs"], alg="ES384")
    headers = await ehr.headers(fhir, "system/Task.rs")
    assert (await fhir.get("/fhir/Task", headers=headers)).status_code == 200


async def test_what_the_token_endpoint_refuses(fhir, db):
    net = make_network(db)
    ehr, _ = await register_smart(fhir, db, net.receiving, ["system/Task.rs"])
    once = assertion(ehr.client_id, ehr.key)
    assert (await ehr.token_answer(fhir, "system/Task.rs", signed=once)).status_code == 200
    replay = await ehr.token_answer(fhir, "system/Task.rs", signed=once)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_client")  # RFC 6749 5.2
    cases = {
        "unregistered key": assertion(ehr.client_id, new_key()),
        "RS256": assertion(ehr.client_id, ehr.key, "RS256"),
        "an hour long": assertion(ehr.client_id, ehr.key, lifetime=3600),
        "expired": assertion(ehr.client_id, ehr.key, lifetime=-120),
        "another audience": assertion(ehr.client_id, ehr.key, aud="http://testserver/oauth/token"),
        "unknown client": assertion("cnc_nobody", ehr.key),
    }
    for why, signed in cases.items():
        answer = await ehr.token_answer(fhir, "system/Task.rs", signed=signed)
        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_client"), (why, answer.text)
    for scope in ["system/Task.cu", "system/Consent.rs", "patient/Task.rs", "system/Task.sr", ""]:
        answer = await ehr.token_answer(fhir, scope)
        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_scope"), (scope, answer.text)
    narrower = await ehr.token_answer(fhir, "system/Task.r")
    assert narrower.status_code == 200
    refused = [e.action for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "api_client.token_refused"))]
    assert len(refused) == 12  # the replay, six bad assertions, five bad scopes
    # A client-secret token of CONNECT's JSON API does not reach the FHIR API.
    from tests.api.test_api_clients import as_bearer, register, token_basic

    admin = bearer(db, make_user(db, "plain-admin@example.org", state_team=True), None)
    _pk, client_id, secret = await register(fhir, admin, net.receiving, scopes=("read",))
    plain = as_bearer(await token_basic(fhir, client_id, secret))
    answer = await fhir.get("/fhir/Task", headers=plain)
    assert answer.status_code == 403 and answer.json()["issue"][0]["diagnostics"] == "insufficient_scope"


@pytest.mark.filterwarnings("ignore:Key size should be")  # the small key is the point
async def test_registering_keys_checks_them(fhir, db):
    net = make_network(db)
    ehr, admin = await register_smart(fhir, db, net.receiving, ["system/Task.rs"])
    url = f"/api/v1/admin/api-clients/{ehr.pk}/smart"
    from joserfc.jwk import RSAKey

    small = RSAKey.generate_key(1024, auto_kid=True).as_dict(private=False)
    private = ehr.key.as_dict(private=True)
    no_kid = {k: v for k, v in ehr.key.as_dict(private=False).items() if k != "kid"}
    for jwks, scopes in [({"keys": [small]}, ["system/Task.rs"]), ({"keys": [private]}, ["system/Task.rs"]),
                         ({"keys": [no_kid]}, ["system/Task.rs"]), ({"nokeys": 1}, ["system/Task.rs"]),
                         ({"keys": [ehr.key.as_dict(private=False)]}, ["system/Nothing.rs"]),
                         ({"keys": [ehr.key.as_dict(private=False)]}, ["user/Task.rs"])]:
        answer = await fhir.put(url, headers=admin, json={"jwks": jwks, "scopes": scopes})
        assert answer.status_code == 422, answer.text
    outsider = bearer(db, net.gatekeeper, net.receiving)
    answer = await fhir.put(url, headers=outsider, json={"jwks": {"keys": [ehr.key.as_dict(private=False)]},
                                                          "scopes": ["system/Task.rs"]})
    assert answer.status_code == 403
