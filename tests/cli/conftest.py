"""Helpers for running ``opsdesk`` as a user would: a separate process, on a scratch SQLite data directory."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def opsdesk_env(data_dir: Path) -> dict[str, str]:
    """The environment of a child ``opsdesk``: SQLite in ``data_dir``, never the test run's own database."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPSDESK_DATABASE_URL", "OPSDESK_REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env["OPSDESK_DATA_DIR"] = str(data_dir)
    return env


def run_opsdesk(*args: str, data_dir: Path, timeout: float = 300,
                extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    data_dir.parent.mkdir(parents=True, exist_ok=True)  # the working directory; opsdesk makes data_dir itself
    env = {**opsdesk_env(data_dir), **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "opsdesk", *args], env=env, cwd=data_dir.parent,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def copy_of(demo_dir: Path, target: Path) -> Path:
    """A data directory holding a copy of the demo's database, to change without touching the original."""
    target.mkdir(parents=True)
    with sqlite3.connect(demo_dir / "opsdesk.sqlite3") as source, sqlite3.connect(target / "opsdesk.sqlite3") as copy:
        source.backup(copy)
    return target


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory where ``opsdesk demo --no-serve`` has migrated and loaded a small demo."""
    data_dir = tmp_path_factory.mktemp("cli") / "demo-data"
    result = run_opsdesk("demo", "--no-serve", "--incidents", "7", "--data-dir", str(data_dir), data_dir=data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    (data_dir / "first-run.txt").write_text(result.stdout)
    return data_dir
