"""Run ``opsdesk scheduler`` and ``opsdesk worker`` as real processes against the test's own database.

A :class:`Fleet` starts each process with the test database's URL (the name pytest-django gave it, so the
children see what the test committed), one Redis database of its own, and a settings module that runs the
periodic work every second. Output goes to one log file per process (never a pipe that could fill up and
block the child). ``sigkill`` ends a worker the way a crashed node ends: the RQ worker and the work horse it
forked for the job in hand (the horse sits in its own process group, so killing the worker alone would let
the horse finish its job). ``stop`` ends everything, forcibly after a bound, and is safe to call twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
CHILD_SETTINGS = "tests.sla_processes.child_settings"


def database_url(settings_dict: dict[str, Any]) -> str:
    """A ``postgres://`` URL for the database Django is connected to (the test database during a test)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


def redis_url_with_db(url: str, db: int) -> str:
    """The same Redis server as ``url``, another database number (so a test never shares keys with others)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def child_env(*, database: str, data_dir: Path, redis: str = "", extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPSDESK_DATABASE_URL", "OPSDESK_REDIS_URL", "DJANGO_SETTINGS_MODULE", "OPSDESK_TEST_DATABASE_NAME")}
    env.update({
        "OPSDESK_DATABASE_URL": database,
        "OPSDESK_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": CHILD_SETTINGS,
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
        "PYTHONUNBUFFERED": "1",
        "OPSDESK_CONN_MAX_AGE": "0",
        "OPSDESK_LOG_LEVEL": "INFO",
    })
    if redis:
        env["OPSDESK_REDIS_URL"] = redis
    env.update(extra or {})
    return env


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc), e.g. the RQ work horse of a worker."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def wait_until(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.2,
               what: str = "condition", on_timeout: Callable[[], str] | None = None) -> Any:
    """Poll ``predicate`` until it returns something true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            detail = on_timeout() if on_timeout else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{detail}")
        time.sleep(interval)


@dataclass
class Fleet:
    env: dict[str, str]
    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    strays: set[int] = field(default_factory=set)  # work horses seen, to be sure none outlives the test

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / f"{name}.log", "wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "opsdesk", *args], env=self.env, cwd=ROOT,
                                       stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        self.processes[name] = process
        return process

    def alive(self, name: str) -> bool:
        return self.processes[name].poll() is None

    def horses(self, name: str) -> list[int]:
        found = children_of(self.processes[name].pid)
        self.strays.update(found)
        return found

    def sigkill(self, name: str) -> list[int]:
        """Kill ``name`` and its work horses with SIGKILL, as a power cut would. Returns the horses killed."""
        process = self.processes[name]
        horses = self.horses(name)
        _kill(process.pid, signal.SIGKILL)  # the worker first: it must not notice the horse dying and fail the job
        for horse in horses:
            _kill(horse, signal.SIGKILL)
        process.wait(10)
        return horses

    def log(self, name: str, tail: int = 4000) -> str:
        path = self.log_dir / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return text[-tail:]

    def logs(self, tail: int = 2500) -> str:
        return "\n".join(f"----- {name} (exit {p.poll()}) -----\n{self.log(name, tail)}"
                         for name, p in self.processes.items())

    def stop(self, grace: float = 15) -> None:
        for name, process in self.processes.items():
            if process.poll() is None:
                self.horses(name)
                _kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill(process.pid, signal.SIGKILL)
                process.wait(10)
        for horse in self.strays:
            if _is_opsdesk_horse(horse):  # only a horse of ours: its pid may have been reused since
                _kill(horse, signal.SIGKILL)


def _is_opsdesk_horse(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return False
    process_group = int(stat.rsplit(")", 1)[1].split()[2])
    return process_group == pid and b"opsdesk" in cmdline
