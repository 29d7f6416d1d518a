"""The API describes itself: every account and administration route is in the schema."""


async def test_openapi_lists_the_account_api(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ["/api/v1/password", "/api/v1/password/forgot", "/api/v1/password/reset", "/api/v1/mou",
                 "/api/v1/agency/mou/{program_id}", "/api/v1/profile", "/api/v1/tokens",
                 "/api/v1/notifications", "/api/v1/admin/programs/{program_id}/fields",
                 "/api/v1/admin/users/{user_id}/deactivate", "/api/v1/admin/mou"]:
        assert path in paths, path
    assert not any(p.startswith(("/admin", "/password/", "/mou")) for p in paths)  # pages stay out


async def _schema(client) -> dict:
    return (await client.get("/openapi.json")).json()


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            yield path, method, op


async def test_every_operation_says_how_it_authenticates(client):
    schema = await _schema(client)
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["in"] == "cookie" and schemes["csrfToken"]["in"] == "header"
    for path, method, op in _operations(schema):
        assert "security" in op, (method, path)
    signed_in = schema["paths"]["/api/v1/referrals/{referral_id}"]["get"]["security"]
    assert {"bearerToken": []} in signed_in and {"sessionCookie": [], "csrfToken": []} in signed_in
    assert schema["paths"]["/healthz"]["get"]["security"] == []
    assert schema["paths"]["/codec/decode"]["post"]["security"]  # it checks the caller itself


OWN_SHAPES = {("/oauth/token", "400"): "OAuthErrorOut", ("/oauth/token", "401"): "OAuthErrorOut",
              ("/readyz", "503"): "Ready"}


async def test_every_error_answer_is_the_documented_shape(client):
    schema = await _schema(client)
    error = schema["components"]["schemas"]["Error"]
    assert {"error", "detail", "field", "fields"} <= set(error["properties"])
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, method, op in _operations(schema):
        codes = {c for c in op["responses"] if c[0] in "45"}
        assert {"422", "500"} <= codes, (method, path)
        if op["security"]:
            assert {"401", "403", "404"} <= codes, (method, path)
        if method != "get":
            assert {"409", "413", "503"} <= codes, (method, path)
        for code in codes:
            # Two answers have a standard's own shape: RFC 6749's token errors (as OAuth client
            # libraries expect them) and the readiness probe's report of what is not ready.
            expected = OWN_SHAPES.get((path, code), "Error")
            assert op["responses"][code]["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{expected}"}, (method, path, code)


def _loose(schema: dict, op: dict) -> bool:
    ok = next(v for c, v in op["responses"].items() if c.startswith("2"))
    content = ok.get("content", {})
    if "application/json" not in content:
        return False  # a file (PDF, CSV)
    body = content["application/json"]["schema"]
    return body == {} or body.get("additionalProperties") is True


async def test_operations_have_typed_answers(client):
    schema = await _schema(client)
    loose = [(m, p) for p, m, op in _operations(schema) if _loose(schema, op)]
    assert loose == []
    # A download says what it is.
    csv = schema["paths"]["/api/v1/reports/outcomes.csv"]["get"]["responses"]["200"]["content"]
    assert list(csv) == ["text/csv"]


async def test_ids_and_limits_are_declared(client):
    schema = await _schema(client)
    param = schema["paths"]["/api/v1/referrals/{referral_id}"]["get"]["parameters"][0]
    assert (param["schema"]["minimum"], param["schema"]["maximum"]) == (1, 2**63 - 1)
    components = schema["components"]["schemas"]
    assert components["ProgressIn"]["properties"]["text"]["maxLength"] == 4000
    assert components["ReasonIn"]["properties"]["reason"]["maxLength"] == 4000
    assert components["StartRoisIn"]["properties"]["program_ids"]["maxItems"] == 100
    directory = {p["name"]: p for p in schema["paths"]["/api/v1/roi/directory"]["get"]["parameters"]}
    assert "mental_health" in directory["service"]["schema"]["items"]["enum"]
    assert directory["page"]["schema"]["minimum"] == 1 and directory["per_page"]["schema"]["maximum"] == 100
    for p in directory.values():
        assert p.get("description"), p["name"]


async def test_every_polled_list_pages_and_filters_by_update_time(client):
    schema = await _schema(client)
    for path in ["/api/v1/referrals/sent", "/api/v1/referrals/incoming", "/api/v1/clients",
                 "/api/v1/notifications"]:
        params = schema["paths"][path]["get"]["parameters"]
        assert {"page", "per_page", "updated_since"} <= {p["name"] for p in params}, path
        assert all(p.get("description") for p in params), path


async def test_every_parameter_is_described(client):
    schema = await _schema(client)
    parameters = schema["components"].get("parameters", {})
    bare = [(m, p, param["name"]) for p, m, op in _operations(schema) for param in op.get("parameters", [])
            if not (parameters[param["$ref"].rsplit("/", 1)[1]] if "$ref" in param else param).get("description")]
    assert bare == []


async def test_report_rows_name_their_columns(client):
    schema = await _schema(client)
    rows = schema["components"]["schemas"]["DelayRow"]
    assert {"Referral", "Days since sent", "Hours unacknowledged"} <= set(rows["properties"])
    dashboard = schema["paths"]["/api/v1/reports/dashboard"]["get"]["responses"]["200"]["content"]
    assert dashboard["application/json"]["schema"] == {"$ref": "#/components/schemas/DashboardOut"}
