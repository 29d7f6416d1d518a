"""docker-compose.yml: the production stack's shape, checked without Docker.

Parses the file with PyYAML (which resolves the `<<` merges of the x-connect-* anchors) and checks the
services, ports, start-up dependencies, the Temporal set-up steps, and that the environment given to
CONNECT's services matches `connect.settings.Settings` and validates as a production configuration.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
import yaml

from connect.settings import Environment, Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

SERVICES = {
    "postgresql", "temporal-schema", "temporal", "temporal-setup", "temporal-ui",
    "migrate", "api", "worker",
}
APP_SERVICES = ("migrate", "api", "worker")
ONE_SHOTS = {"temporal-schema", "temporal-setup", "migrate"}
SEARCH_ATTRIBUTES = (
    "ConnectKind", "ReferralStatus", "RoiStatus", "MouStatus",
    "SendingProgram", "ReceivingProgram", "ReceivingRegion", "Escalated",
)
# Settings a production deployment must set: their defaults are empty or only good for development.
PRODUCTION_REQUIRED = ("SECRET_KEY", "PAYLOAD_KEY", "DATABASE_URL", "TEMPORAL_ADDRESS")
SECRETS = ("SECRET_KEY", "PAYLOAD_KEY")
DEPENDS_ON_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}

SETTINGS_ENV_NAMES = {name.upper() for name in Settings.model_fields}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


# --- helpers ------------------------------------------------------------------------------------------

def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # ["NAME=value", ...] form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def container_ports(service: dict) -> set[int]:
    ports = set()
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            ports.add(int(port["target"]))
        else:  # "[host_ip:][host_port:]container_port[/protocol]"
            ports.add(int(str(port).split("/")[0].rsplit(":", 1)[-1]))
    return ports


def depends_on(service: dict) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def all_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from all_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from all_strings(item)


_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}")


class MissingVariable(Exception):
    pass


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation of one string: ${VAR}, ${VAR:-default}, ${VAR:?error}, ... and $$."""

    def one(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        current = env.get(name)
        unset_or_empty = not current
        if op in (":?", "?"):
            if (unset_or_empty if op == ":?" else current is None):
                raise MissingVariable(f"{name}: {arg}")
            return current
        if op in (":-", "-"):
            return arg if (unset_or_empty if op == ":-" else current is None) else current
        if op in (":+", "+"):
            return arg if (not unset_or_empty if op == ":+" else current is not None) else ""
        return current or ""

    parts = value.split("$$")
    return "$".join(_VAR.sub(one, part) for part in parts)


def referenced_variables(text: str) -> set[str]:
    return {m["name"] for m in _VAR.finditer(text.replace("$$", ""))}


def production_dotenv() -> dict[str, str]:
    """A filled-in .env as an operator would write it."""
    return {
        "POSTGRES_PASSWORD": secrets.token_hex(24),
        "CONNECT_DB_PASSWORD": secrets.token_hex(24),
        "TEMPORAL_DB_PASSWORD": secrets.token_hex(24),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PAYLOAD_KEY": secrets.token_hex(32),
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "TWILIO_FROM_NUMBER": "+14065550123",
        "SMTP_HOST": "smtp.example.org",
    }


# --- services, images, ports --------------------------------------------------------------------------

def test_every_service_exists(services):
    assert SERVICES <= set(services), f"missing: {sorted(SERVICES - set(services))}"


def test_published_ports(services):
    assert 8000 in container_ports(services["api"])
    assert 8080 in container_ports(services["temporal-ui"])
    assert 7233 in container_ports(services["temporal"])


def test_no_deprecated_auto_setup_image(services):
    for name, service in services.items():
        assert "auto-setup" not in str(service.get("image", "")), name


def test_temporal_images(services):
    assert services["temporal"]["image"].startswith("temporalio/server:")
    assert services["temporal-schema"]["image"].startswith("temporalio/admin-tools:")
    assert services["temporal-setup"]["image"].startswith("temporalio/admin-tools:")
    assert services["temporal-ui"]["image"].startswith("temporalio/ui:")
    assert services["postgresql"]["image"].startswith("postgres:")


def test_app_services_share_one_image_built_once(services):
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    assert [name for name in APP_SERVICES if "build" in services[name]] == ["migrate"]
    assert services["migrate"]["command"] == ["connect", "migrate"]
    assert services["api"]["command"] == ["connect", "api"]
    assert services["worker"]["command"] == ["connect", "worker"]


def test_worker_can_be_scaled(services):
    worker = services["worker"]
    assert "container_name" not in worker
    assert not worker.get("ports")


# --- start-up order -----------------------------------------------------------------------------------

def test_depends_on_references_existing_services(services):
    for name, service in services.items():
        for dependency, condition in depends_on(service).items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            assert condition in DEPENDS_ON_CONDITIONS, f"{name} -> {dependency}: {condition}"
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"
            if condition == "service_completed_successfully":
                assert dependency in ONE_SHOTS, f"{dependency} is not a one-shot service"


def test_start_up_order(services):
    assert depends_on(services["temporal-schema"]) == {"postgresql": "service_healthy"}
    assert depends_on(services["temporal"]) == {"temporal-schema": "service_completed_successfully"}
    assert depends_on(services["temporal-setup"]) == {"temporal": "service_healthy"}
    assert depends_on(services["migrate"]) == {"postgresql": "service_healthy"}
    for name in ("api", "worker"):
        assert depends_on(services[name]) == {
            "migrate": "service_completed_successfully",
            "temporal-setup": "service_completed_successfully",
        }, name
    for name in ONE_SHOTS:
        assert services[name].get("restart", "no") == "no", name


def test_postgresql_healthcheck_uses_pg_isready(services):
    assert "pg_isready" in " ".join(services["postgresql"]["healthcheck"]["test"])


# --- Temporal -----------------------------------------------------------------------------------------

def test_schema_service_sets_up_both_databases(services):
    schema = services["temporal-schema"]
    script = "\n".join(all_strings(schema))
    for step in ("create-database", "setup-schema", "update-schema"):
        assert step in script
    for db in ("temporal", "temporal_visibility"):
        assert db in script
    assert "/etc/temporal/schema/postgresql/v12/" in script
    assert environment(schema)["SQL_PLUGIN"] == "postgres12"


def test_server_runs_on_postgresql(services):
    env = environment(services["temporal"])
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] == "postgresql"
    assert env["DBNAME"] == "temporal"
    assert env["VISIBILITY_DBNAME"] == "temporal_visibility"
    assert env["POSTGRES_USER"] == environment(services["temporal-schema"])["SQL_USER"]


def test_setup_registers_connect_search_attributes(services):
    setup = services["temporal-setup"]
    text = "\n".join(all_strings(setup))
    assert "temporal operator search-attribute create" in text
    assert "--type Keyword" in text
    assert "temporal operator namespace create" in text
    for name in SEARCH_ATTRIBUTES:
        assert re.search(rf"\b{name}\b", text), name


def test_setup_registers_exactly_the_attributes_the_workflows_use(services):
    from temporalio.common import SearchAttributeIndexedValueType

    from workflows import search_attributes

    registered = environment(services["temporal-setup"])["CONNECT_SEARCH_ATTRIBUTES"].split()
    assert sorted(registered) == sorted(key.name for key in search_attributes.ALL)
    assert all(
        key.indexed_value_type is SearchAttributeIndexedValueType.KEYWORD
        for key in search_attributes.ALL
    )


def test_ui_codec_endpoint_is_the_api_codec_route(services):
    env = environment(services["temporal-ui"])
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert env["TEMPORAL_CODEC_ENDPOINT"].endswith("/codec")
    # The API allows exactly TEMPORAL_UI_URL to call /codec; the UI must be served from that origin.
    api_env = environment(services["api"])
    assert env["TEMPORAL_CORS_ORIGINS"] == api_env["TEMPORAL_UI_URL"]


# --- CONNECT's environment ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment_is_connect_settings(services, name):
    env = environment(services[name])
    unknown = set(env) - SETTINGS_ENV_NAMES
    assert not unknown, f"{name} sets variables Settings does not read: {sorted(unknown)}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment_sets_what_production_needs(services, name):
    env = environment(services[name])
    assert interpolate(env["ENVIRONMENT"], {}) == Environment.PRODUCTION.value  # without .env too
    missing = [var for var in PRODUCTION_REQUIRED if not env.get(var)]
    assert not missing, f"{name} does not set {missing}"
    for var in SECRETS:  # required from .env, never a default baked into the file
        assert re.fullmatch(rf"\$\{{{var}:\?[^}}]*\}}", env[var]), env[var]
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://connect:")
    assert env["DATABASE_URL"].endswith("@postgresql:5432/connect")
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"


def test_app_environment_validates_as_production_settings(services):
    dotenv = production_dotenv()
    env = {k: interpolate(v, dotenv) for k, v in environment(services["api"]).items()}
    settings = Settings(**{k.lower(): v for k, v in env.items()})
    assert settings.environment is Environment.PRODUCTION
    assert settings.secret_key == dotenv["SECRET_KEY"]
    assert settings.payload_key == dotenv["PAYLOAD_KEY"]
    assert settings.database_url == (
        f"postgresql+psycopg://connect:{dotenv['CONNECT_DB_PASSWORD']}@postgresql:5432/connect"
    )
    assert settings.temporal_address == "temporal:7233"
    assert not settings.is_sqlite
    # the browser-facing codec endpoint is the API's public address
    ui = environment(services["temporal-ui"])
    assert interpolate(ui["TEMPORAL_CODEC_ENDPOINT"], dotenv) == settings.public_url.rstrip("/") + "/codec"


@pytest.mark.parametrize("secret", ["SECRET_KEY", "PAYLOAD_KEY", "CONNECT_DB_PASSWORD"])
def test_compose_refuses_to_start_without_a_secret(services, secret):
    dotenv = production_dotenv()
    dotenv[secret] = ""
    with pytest.raises(MissingVariable):
        for value in environment(services["api"]).values():
            interpolate(value, dotenv)


def test_every_service_interpolates_with_a_filled_in_env(compose):
    dotenv = production_dotenv()
    for value in all_strings(compose):
        interpolate(value, dotenv)  # raises MissingVariable if something required is not in .env


# --- the file as text ---------------------------------------------------------------------------------

def test_env_example_documents_every_variable(compose):
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.M))
    used = set().union(*(referenced_variables(value) for value in all_strings(compose)))
    assert used - documented == set(), f"not in .env.example: {sorted(used - documented)}"
    settings_in_env_file = documented & SETTINGS_ENV_NAMES
    fixed = {"DATABASE_URL", "TEMPORAL_ADDRESS", "VAR_DIR"}
    assert fixed.isdisjoint(settings_in_env_file), "fixed in docker-compose.yml; .env would not apply"


def test_shell_dollars_are_escaped_for_compose(compose):
    """In the container scripts a literal `$` must be written `$$`; `${...}` is Compose's."""
    for value in all_strings(compose):
        stripped = value.replace("$$", "")
        stray = re.findall(r"\$(?!\{)", stripped)
        assert not stray, f"unescaped $ in: {value[:80]!r}"


def test_production_is_the_default_everywhere(services):
    """The dev outbox exists in development only: compose, .env.example and the image run production."""
    env_file = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", ENV_EXAMPLE.read_text(), re.M))
    assert env_file["ENVIRONMENT"] == "production"
    for name in APP_SERVICES:
        value = environment(services[name])["ENVIRONMENT"]
        assert interpolate(value, {}) == interpolate(value, {"ENVIRONMENT": ""}) == "production"
    assert re.search(r"^\s+ENVIRONMENT=production\b", (ROOT / "Dockerfile").read_text(), re.M)


def test_forwarded_addresses_are_trusted_from_configured_proxies_only(services):
    assert ENV_EXAMPLE.read_text().count("\nTRUSTED_PROXIES=\n") == 1  # documented, empty by default
    value = environment(services["api"])["TRUSTED_PROXIES"]
    assert interpolate(value, {}) == ""
    assert Settings(trusted_proxies=interpolate(value, {})).proxy_options == {"proxy_headers": False}
    assert Settings(trusted_proxies=" 10.0.0.2, 10.0.0.3 ").proxy_options == {
        "proxy_headers": True, "forwarded_allow_ips": "10.0.0.2,10.0.0.3"}
