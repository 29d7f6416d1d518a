"""The dev launcher: clear refusal on a busy port; the dev server command it builds."""

from __future__ import annotations

import socket

import pytest

from connect import dev
from connect.settings import Settings
from workflows.search_attributes import ALL


def test_busy_port_is_reported_clearly(monkeypatch, tmp_path, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        monkeypatch.setattr(dev, "API_PORT", s.getsockname()[1])
        with pytest.raises(SystemExit) as stop:
            dev.check_ports(Settings(var_dir=tmp_path, temporal_address="elsewhere:7233"))
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert "is already in use" in err and "the web/API" in err


def test_dev_server_persists_and_registers_search_attributes(tmp_path):
    cmd = dev.temporal_command(Settings(var_dir=tmp_path))
    assert cmd[1:3] == ["server", "start-dev"]
    assert cmd[cmd.index("--db-filename") + 1] == str(tmp_path / "temporal.db")
    assert cmd[cmd.index("--ui-codec-endpoint") + 1].endswith("/codec")
    for key in ALL:
        assert f"{key.name}=Keyword" in cmd


async def test_search_attributes_are_registered(temporal_env, settings, monkeypatch):
    from connect import temporal_setup

    monkeypatch.setattr(settings, "temporal_address", temporal_env.client.service_client.config.target_host)
    assert await temporal_setup.ensure_search_attributes(settings) == []


async def test_openapi_docs_are_served_locally(client):
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "/assets/swagger/swagger-ui-bundle.js" in page.text
    schema = (await client.get("/openapi.json")).json()
    assert schema["info"]["title"] == "CONNECT"
