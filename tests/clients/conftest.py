"""Shared setup for the client tests: a program with a signed-in provider, helpers to post."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.factories import login, make_program, make_user

VALID = {
    "first_name": "Alex",
    "last_name": "Rivera",
    "dob": "1990-04-12",
    "gender_identity": "non_binary",
    "races": ["white"],
    "military_service": "never_served",
    "address": "12 Last Chance Gulch",
    "city": "Helena",
    "county": "Lewis and Clark",
    "zip": "59601",
    "phones": [{"number": "(406) 555-1234", "label": "mobile"}],
}


def page_form(values: dict | None = None, **changes) -> dict:
    """The two-page form's fields as the browser posts them."""
    data = {**VALID, **(values or {}), **changes}
    phones = data.pop("phones")
    form = {k: v for k, v in data.items() if v is not None and k != "races"}
    form["races"] = data["races"]
    form["phone_number"] = [p["number"] for p in phones]
    form["phone_label"] = [p["label"] for p in phones]
    return form


@dataclass
class Session:
    http: httpx.AsyncClient
    csrf: str
    program: object
    user: object

    async def api(self, method: str, url: str, **kwargs) -> httpx.Response:
        headers = {"x-csrf-token": self.csrf, **kwargs.pop("headers", {})}
        return await self.http.request(method, url, headers=headers, **kwargs)

    async def page(self, method: str, url: str, data: dict | None = None, **kwargs) -> httpx.Response:
        headers = {"accept": "text/html", **kwargs.pop("headers", {})}
        if method == "POST":
            data = {**(data or {}), "csrf_token": self.csrf}
            return await self.http.post(url, data=data, headers=headers, **kwargs)
        return await self.http.get(url, headers=headers, **kwargs)


@pytest.fixture
async def staff(client, db) -> Session:
    """A provider of "Helena Food Share", signed in, MOU signed."""
    program = make_program(db, "Helena Food Share")
    user = make_user(db, "pat@example.org", name="Pat Provider", provider_of=(program,))
    db.commit()
    csrf = await login(client, user.email)
    return Session(client, csrf, program, user)
