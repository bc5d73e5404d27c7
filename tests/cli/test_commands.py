"""The ``opsdesk`` command line, run as separate processes the way an operator runs it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from opsdesk.audit.models import AuditEntry
from opsdesk.audit.services import audit_record

from .conftest import copy_of, opsdesk_env, run_opsdesk


def test_python_m_opsdesk_runs_a_django_command(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "opsdesk", "check"], env=opsdesk_env(tmp_path / "var"),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_an_unknown_command_fails_and_says_so(tmp_path: Path) -> None:
    result = run_opsdesk("no_such_command", data_dir=tmp_path / "var")
    assert result.returncode != 0
    assert "Unknown command: 'no_such_command'" in result.stderr


def test_migrate_creates_the_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "somewhere" / "data"
    result = run_opsdesk("migrate", "--verbosity", "0", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    database = data_dir / "opsdesk.sqlite3"
    assert database.is_file()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM django_migrations WHERE app = 'incidents'").fetchone()[0] >= 1


def test_demo_no_serve_migrates_loads_and_lists_the_users_in_its_data_directory(demo_dir: Path) -> None:
    output = (demo_dir / "first-run.txt").read_text()
    assert (demo_dir / "opsdesk.sqlite3").is_file()
    assert str(demo_dir) in output
    for username in ("admin", "desk", "l1", "l2", "l3", "incident_manager", "requester", "requester2", "auditor"):
        assert f"  {username} " in output, username
    assert "password for every one: demo" in output


def test_demo_a_second_time_keeps_the_data_it_has(demo_dir: Path) -> None:
    with sqlite3.connect(demo_dir / "opsdesk.sqlite3") as db:
        before = db.execute("SELECT count(*) FROM incidents_incident").fetchone()[0]
    result = run_opsdesk("demo", "--no-serve", "--data-dir", str(demo_dir), data_dir=demo_dir)
    assert result.returncode == 0, result.stderr
    assert "demo data already loaded" in result.stdout
    with sqlite3.connect(demo_dir / "opsdesk.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM incidents_incident").fetchone()[0] == before > 7


def test_demo_refuses_a_port_in_use(demo_dir: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_opsdesk("demo", "--port", str(port), "--data-dir", str(demo_dir), data_dir=demo_dir)
    assert result.returncode != 0
    assert f"port {port}" in result.stderr


def test_audit_verify_passes_then_names_the_entry_a_raw_update_changed(demo_dir: Path, tmp_path: Path) -> None:
    data_dir = copy_of(demo_dir, tmp_path / "copy")  # the session's demo directory stays intact
    intact = run_opsdesk("audit", "verify", data_dir=data_dir)
    assert intact.returncode == 0, intact.stderr
    assert "audit chain intact" in intact.stdout
    target = sqlite3.connect(data_dir / "opsdesk.sqlite3")
    (victim,) = target.execute(
        "SELECT id FROM audit_auditentry WHERE action = 'incident.resolved' ORDER BY id LIMIT 1").fetchone()
    target.execute("UPDATE audit_auditentry SET actor_name = 'someone-else' WHERE id = ?", (victim,))
    target.commit()
    target.close()
    broken = run_opsdesk("audit", "verify", data_dir=data_dir)
    assert broken.returncode != 0
    assert f"broken at entry {victim}" in broken.stderr


@pytest.mark.django_db
def test_audit_verify_in_process_reports_the_first_tampered_entry(capsys) -> None:
    entries = [audit_record(actor=None, action="test.happened", data={"n": n}) for n in range(3)]
    call_command("audit", "verify")
    assert "3 entries verified" in capsys.readouterr().out
    with connection.cursor() as cursor:
        table = AuditEntry._meta.db_table
        cursor.execute(f"UPDATE {table} SET data = %s WHERE id = %s", ['{"n": 99}', entries[1].pk])
    with pytest.raises(CommandError, match=f"broken at entry {entries[1].pk}"):
        call_command("audit", "verify")


def test_the_scheduler_queues_auto_confirm_and_the_worker_runs_it(demo_dir: Path, tmp_path: Path) -> None:
    data_dir = copy_of(demo_dir, tmp_path / "queue")
    now_stale = {"OPSDESK_AUTO_CONFIRM_DAYS": "0"}  # every resolved incident has waited long enough

    def count(sql: str) -> int:
        with sqlite3.connect(data_dir / "opsdesk.sqlite3") as db:
            return db.execute(sql).fetchone()[0]

    resolved = "SELECT count(*) FROM incidents_incident WHERE state = 'resolved'"
    waiting = count(resolved)
    assert waiting > 0
    queued = run_opsdesk("scheduler", "--once", data_dir=data_dir, extra_env=now_stale)
    assert queued.returncode == 0, queued.stderr
    assert "enqueued: opsdesk.incidents.tasks.auto_confirm_resolved" in queued.stdout
    assert count(resolved) == waiting  # queued, not run
    worked = run_opsdesk("worker", "--burst", data_dir=data_dir, extra_env=now_stale)
    assert worked.returncode == 0, worked.stderr
    assert count(resolved) == 0
    assert count("SELECT count(*) FROM audit_auditentry WHERE action = 'incident.auto_confirmed' "
                 "AND actor_id IS NULL AND source = 'task'") >= waiting
