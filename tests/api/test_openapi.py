"""The API describes itself: every account and administration route is in the schema."""


async def test_openapi_lists_the_account_api(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ["/api/v1/password", "/api/v1/password/forgot", "/api/v1/password/reset", "/api/v1/mou",
                 "/api/v1/agency/mou/{program_id}", "/api/v1/profile", "/api/v1/tokens",
                 "/api/v1/notifications", "/api/v1/admin/programs/{program_id}/fields",
                 "/api/v1/admin/users/{user_id}/deactivate", "/api/v1/admin/mou"]:
        assert path in paths, path
    assert not any(p.startswith(("/admin", "/password/", "/mou")) for p in paths)  # pages stay out
