"""Schemathesis over the whole OpenAPI document, in process against the app: every operation,
unauthenticated and with a gatekeeper's token, with valid and invalid input generated from the
schema. No answer may be a server error, and every answer must match what the schema declares
(status code, content type, body schema).

The examples are bounded (two per operation and mode, one valid one past a time budget) so the
whole run stays well under a minute; the test prints its figures, which a failure repeats.
"""

from __future__ import annotations

import time
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.referral_network import bearer, make_network

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 2, GenerationMode.NEGATIVE: 2}
# A readiness probe's documented 503 ("not ready: a dependency is unreachable") is its contract,
# not a server error: on a loaded machine the probe's 3-second Temporal health check can miss.
PROBE_PATHS = {"/readyz"}
# Past this many seconds of a run (a busy machine), each remaining operation gets one valid example.
RUN_BUDGET = 20.0


def _cases(operation, mode: GenerationMode, count: int) -> list:
    """Up to ``count`` cases Hypothesis draws for the operation (sent afterwards, on the test's
    own event loop, where the app's Temporal client lives)."""
    drawn = []

    @given(operation.as_strategy(generation_mode=mode))
    @settings(max_examples=count, database=None, deadline=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def collect(case):
        drawn.append(case)

    try:
        collect()
    except Unsatisfiable:  # no invalid input exists (an operation without parameters or body)
        pass
    return drawn[:count]


async def _run(client, schema, headers: dict[str, str]) -> tuple[Counter, list[str]]:
    figures, failures = Counter(operations=0, examples=0, **{"5xx": 0}, violations=0), []
    deadline = time.monotonic() + RUN_BUDGET
    for result in schema.get_all_operations():
        operation = result.ok()
        figures["operations"] += 1
        examples = EXAMPLES if time.monotonic() < deadline else {GenerationMode.POSITIVE: 1}
        for mode, count in examples.items():
            for case in _cases(operation, mode, count):
                kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
                kwargs.pop("follow_redirects", None)
                if isinstance(kwargs.get("data"), bytes | str):  # a raw body: httpx calls it content
                    kwargs["content"] = kwargs.pop("data")
                cookies = kwargs.pop("cookies", None)
                if cookies:  # per request, as a header (httpx keeps per-request cookies no more)
                    kwargs["headers"] = {**(kwargs.get("headers") or {}),
                                         "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
                request = client.build_request(**kwargs)
                request.read()  # a multipart body streams; the checks read it again
                response = await client.send(request)
                figures["examples"] += 1
                probe_not_ready = operation.path in PROBE_PATHS and response.status_code == 503
                figures["5xx"] += response.status_code >= 500 and not probe_not_ready
                checks = [c for c in CHECKS if c is not not_a_server_error] if probe_not_ready else CHECKS
                try:
                    case.validate_response(response, checks=checks)
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 (all are reported)
                    figures["violations"] += 1
                    failures.append(f"{case.method} {operation.path} -> {response.status_code}: "
                                    f"{' '.join(str(exc).split())[:300]}")
    return figures, failures


async def test_the_whole_api_answers_what_its_schema_says(client, app, db):
    net = make_network(db)
    schema = schemathesis.openapi.from_dict(app.openapi())
    started = time.monotonic()
    anonymous, anonymous_failures = await _run(client, schema, {})
    gatekeeper, gatekeeper_failures = await _run(client, schema, bearer(db, net.gatekeeper, net.receiving))
    elapsed = time.monotonic() - started
    report = (f"unauthenticated: {dict(anonymous)}; gatekeeper: {dict(gatekeeper)}; {elapsed:.1f} s")
    print(report)
    failures = anonymous_failures + gatekeeper_failures
    assert not failures, report + "\n" + "\n".join(failures[:25])
    assert anonymous["operations"] > 100 and anonymous["examples"] > 200
    assert anonymous["5xx"] == gatekeeper["5xx"] == 0
