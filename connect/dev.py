"""`connect dev`: the whole system on one machine — migrate, seed once, then run the Temporal dev
server (persisted in var/), the worker and the web/API, until Ctrl-C stops every child."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from connect.settings import Settings, load_settings

BIN = Path(sys.executable).parent
TEMPORAL_PORT, TEMPORAL_UI_PORT, API_PORT = 7233, 8233, 8000


class LaunchError(SystemExit):
    def __init__(self, message: str):
        print(f"connect dev: {message}", file=sys.stderr)
        super().__init__(1)


def port_busy(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def check_ports(settings: Settings) -> None:
    wanted = [(API_PORT, "the web/API")]
    if not settings.temporal_address:
        wanted += [(TEMPORAL_PORT, "the Temporal dev server"), (TEMPORAL_UI_PORT, "the Temporal UI")]
    busy = [f"{port} ({what})" for port, what in wanted if port_busy(port)]
    if busy:
        raise LaunchError(
            "port " + ", ".join(busy) + " is already in use. Stop whatever uses it "
            "(perhaps another `connect dev`) and run again."
        )


def temporal_command(settings: Settings, *, port: int = TEMPORAL_PORT, ui_port: int = TEMPORAL_UI_PORT,
                     api_port: int = API_PORT) -> list[str]:
    """`temporal server start-dev`, persisted in var/, with the codec endpoint and attributes."""
    from workflows.search_attributes import dev_server_flags

    return [
        str(BIN / "temporal"), "server", "start-dev",
        "--db-filename", str(settings.var_dir / "temporal.db"),
        "--sqlite-pragma", "journal_mode=wal",
        "--sqlite-pragma", "synchronous=normal",
        "--ip", "127.0.0.1", "--port", str(port), "--ui-port", str(ui_port),
        "--ui-codec-endpoint", f"http://127.0.0.1:{api_port}/codec",
        "--namespace", settings.temporal_namespace,
        "--log-level", "warn",
        *dev_server_flags(),
    ]


def wait_for_temporal(settings: Settings, timeout: float = 60, address: str | None = None) -> None:
    from connect.temporal import connect_client

    deadline = time.monotonic() + timeout
    while True:
        try:
            asyncio.run(connect_client(settings, address=address))
            return
        except Exception:
            if time.monotonic() > deadline:
                raise LaunchError("the Temporal server did not come up within a minute; see var/temporal.log")
            time.sleep(0.5)


def run_dev() -> None:
    settings = load_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    check_ports(settings)

    from connect.migrate import migrate
    from demo.seed import seed_if_empty

    print("• migrating the database …", flush=True)
    migrate(settings.database_url)
    logins = seed_if_empty(settings)

    children: list[subprocess.Popen] = []
    env = {**os.environ, "VAR_DIR": str(settings.var_dir)}

    def start(cmd: list[str], log: str | None = None) -> subprocess.Popen:
        out = open(settings.var_dir / log, "ab") if log else None
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
                                start_new_session=True)
        children.append(proc)
        return proc

    def stop(*_):
        for proc in reversed(children):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in children:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        if not settings.temporal_address:
            print("• starting the Temporal dev server (persisted in var/temporal.db) …", flush=True)
            start(temporal_command(settings), "temporal.log")
        wait_for_temporal(settings)
        if settings.temporal_address:
            from connect.temporal_setup import ensure_search_attributes

            asyncio.run(ensure_search_attributes(settings))
        print("• starting the worker and the web/API …", flush=True)
        start([sys.executable, "-m", "worker"])
        start([sys.executable, "-m", "uvicorn", "--factory", "api.main:build", "--host", "127.0.0.1",
               "--port", str(API_PORT), "--log-level", "warning",
               "--no-proxy-headers"])  # no proxy in front: X-Forwarded-For is never believed
        from demo.seed import start_demo_workflows

        asyncio.run(start_demo_workflows(settings))
        print(banner(settings, logins), flush=True)
        while all(p.poll() is None for p in children):
            time.sleep(0.5)
        failed = next(p for p in children if p.poll() is not None)
        raise LaunchError(f"`{' '.join(map(str, failed.args[:3]))}` stopped (exit {failed.returncode}).")
    except KeyboardInterrupt:
        print("\nstopping …", flush=True)
    finally:
        stop()


def banner(settings: Settings, logins: list[tuple[str, str, str]]) -> str:
    lines = [
        "",
        "CONNECT is running.",
        f"  Web and API      http://127.0.0.1:{API_PORT}   (API docs: /docs)",
        f"  Dev outbox       http://127.0.0.1:{API_PORT}/outbox   (emails and texts; reply as the client)",
    ]
    if not settings.temporal_address:
        lines.append(f"  Temporal UI      http://127.0.0.1:{TEMPORAL_UI_PORT}")
    lines += ["", "Demo logins (password for all: see below):"]
    for email, role, password in logins:
        lines.append(f"  {email:<38} {role}")
    if logins:
        lines.append(f"  password: {logins[0][2]}")
    lines += ["", "Ctrl-C stops everything; data stays in var/ for the next run."]
    return "\n".join(lines)
