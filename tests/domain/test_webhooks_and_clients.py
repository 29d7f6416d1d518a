"""Pure rules of webhooks (signature, addresses, who manages) and of machine clients (scopes)."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook

from domain.api_clients import ROTATION_OVERLAP, SecretWindow, clean_scopes, retirement_of, scope_allows
from domain.errors import ValidationFailed
from domain.webhooks import check_endpoint_url, event_id, is_internal_address, may_manage, signed_headers

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def test_signature_verifies_with_the_standard_webhooks_package():
    now = int(datetime.now(timezone.utc).timestamp())
    body = '{"data":{"referral_id":1},"type":"referral.sent"}'
    headers = signed_headers(SECRET, "msg_1", now, body)
    assert Webhook(SECRET).verify(body, headers) == {"data": {"referral_id": 1}, "type": "referral.sent"}
    with pytest.raises(Exception):
        Webhook(SECRET).verify(body.replace("1", "2"), headers)


def test_event_ids_are_stable_per_change():
    assert event_id("referral-1:abc") == event_id("referral-1:abc") != event_id("referral-1:abd")


@pytest.mark.parametrize("url, loopback_ok, fine", [
    ("https://ehr.example.org/hooks", False, True),
    ("http://ehr.example.org/hooks", True, False),
    ("http://127.0.0.1:9000/hooks", True, True),
    ("http://[::1]:9000/hooks", True, True),
    ("http://localhost/hooks", False, False),
    ("https://user:pw@ehr.example.org/", False, False),
    ("ftp://ehr.example.org/", True, False),
    ("not a url", True, False),
])
def test_endpoint_addresses(url, loopback_ok, fine):
    if fine:
        assert check_endpoint_url(url, allow_loopback_http=loopback_ok) == url
    else:
        with pytest.raises(ValidationFailed):
            check_endpoint_url(url, allow_loopback_http=loopback_ok)


def test_who_manages_a_programs_webhooks():
    base = dict(program_id=5, program_region=2)
    assert may_manage(state_team=True, admin_regions=set(), gatekeeper_of=set(), **base)
    assert may_manage(state_team=False, admin_regions={2}, gatekeeper_of=set(), **base)
    assert may_manage(state_team=False, admin_regions=set(), gatekeeper_of={5}, **base)
    assert not may_manage(state_team=False, admin_regions={3}, gatekeeper_of={6}, **base)


def test_scopes():
    assert clean_scopes(["write"]) == ["read", "write"]
    assert clean_scopes("read") == ["read"]
    for bad in ([], ["admin"]):
        with pytest.raises(ValidationFailed):
            clean_scopes(bad)
    assert scope_allows("read", "GET") and not scope_allows("read", "POST")
    assert scope_allows("read write", "DELETE")


def test_rotation_window():
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    overlap = SecretWindow(at - timedelta(days=1), retirement_of(at, at_once=False))
    assert overlap.valid_at(at + ROTATION_OVERLAP - timedelta(seconds=1))
    assert not overlap.valid_at(at + ROTATION_OVERLAP)
    assert not SecretWindow(at - timedelta(days=1), retirement_of(at, at_once=True)).valid_at(at)


@pytest.mark.parametrize("address, internal", [
    ("127.0.0.1", True), ("::1", True), ("10.1.2.3", True), ("172.16.0.9", True), ("192.168.1.1", True),
    ("169.254.169.254", True), ("fe80::1%eth0", True), ("224.0.0.251", True), ("0.0.0.0", True),
    ("100.64.0.1", True), ("240.0.0.1", True), ("::ffff:127.0.0.1", True), ("fc00::1", True),
    ("8.8.8.8", False), ("93.184.215.14", False), ("2606:4700:4700::1111", False),
])
def test_internal_addresses(address, internal):
    assert is_internal_address(address) is internal
