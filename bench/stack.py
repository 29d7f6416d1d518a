"""Starts a private CONNECT stack for a benchmark: Temporal dev server (persisted to a file, as
`make run` does), N workers and an API server, on free loopback ports, with its own var/."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from connect.dev import temporal_command, wait_for_temporal
from connect.settings import Settings, load_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    settings: Settings
    api_url: str
    temporal_address: str
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    var_dir: Path = Path(".")
    env: dict[str, str] = field(default_factory=dict)
    commands: dict[str, list[str]] = field(default_factory=dict)

    def start(self, name: str, cmd: list[str] | None = None) -> None:
        """Starts (or starts again) process ``name``, logging to var/<name>.log."""
        cmd = self.commands.setdefault(name, cmd or [])
        log = open(self.var_dir / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def kill(self, name: str) -> None:
        """SIGKILL to the process and its children (the chaos tests' crash), then reaps it."""
        proc = self.procs[name]
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def pids(self, prefix: str) -> list[int]:
        return [p.pid for name, p in self.procs.items() if name.startswith(prefix)]


def start_stack(var_dir: Path, database_url: str, *, workers: int = 1, api_workers: int = 1) -> Stack:
    var_dir.mkdir(parents=True, exist_ok=True)
    t_port, ui_port, api_port = free_port(), free_port(), free_port()
    env_values = {
        "VAR_DIR": str(var_dir), "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": f"127.0.0.1:{t_port}", "TEMPORAL_TASK_QUEUE": "connect-bench",
        "PUBLIC_URL": f"http://127.0.0.1:{api_port}",
    }
    settings = load_settings(**{k.lower(): v for k, v in env_values.items()})
    env = {**os.environ, **env_values, "SECRET_KEY": settings.secret_key, "PAYLOAD_KEY": settings.payload_key}
    stack = Stack(settings, f"http://127.0.0.1:{api_port}", f"127.0.0.1:{t_port}", var_dir=var_dir, env=env)
    start = stack.start

    try:
        from connect.migrate import migrate

        migrate(database_url)
        start("temporal", temporal_command(settings, port=t_port, ui_port=ui_port, api_port=api_port))
        wait_for_temporal(settings, address=stack.temporal_address)
        for i in range(workers):
            start(f"worker-{i}", [sys.executable, "-m", "worker"])
        start("api", [sys.executable, "-m", "uvicorn", "--factory", "api.main:build", "--host", "127.0.0.1",
                      "--port", str(api_port), "--log-level", "warning", "--workers", str(api_workers)])
        wait_for_api(stack)
    except BaseException:
        stack.stop()
        raise
    return stack


def wait_for_api(stack: Stack, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{stack.api_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the API did not become ready; see {stack.var_dir}/api.log")
        time.sleep(0.3)


def rss_now_mb(pid: int) -> float:
    """Current resident memory of a process and its children, in MiB (for samples over time)."""
    return _memory_mb(pid, "VmRSS:")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MiB (Linux /proc)."""
    return _memory_mb(pid, "VmHWM:")  # peak resident set size


def _memory_mb(pid: int, field_name: str) -> float:
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(field_name):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024
