"""The SLA settings read from the environment, and the sla app using only the calendars app's public API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import opsdesk.sla

ROOT = Path(__file__).resolve().parents[2]
SLA_SOURCE = Path(opsdesk.sla.__file__).resolve().parent


def lease_in_a_fresh_process(**env: str) -> str:
    code = ("import django; django.setup(); from django.conf import settings; "
            "from opsdesk.sla.services import firing_lease; "
            "print(settings.OPSDESK_SLA_FIRING_LEASE_SECONDS, int(firing_lease().total_seconds()))")
    environment = {key: value for key, value in os.environ.items() if key != "OPSDESK_SLA_FIRING_LEASE_SECONDS"}
    environment.update(DJANGO_SETTINGS_MODULE="opsdesk.config.settings", **env)
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                          check=True, timeout=120).stdout.strip()


def test_the_firing_lease_comes_from_the_environment_with_a_default_of_120_seconds():
    assert lease_in_a_fresh_process(OPSDESK_SLA_FIRING_LEASE_SECONDS="45") == "45 45"
    assert lease_in_a_fresh_process() == "120 120"


def test_the_configuration_docs_name_the_firing_lease():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert "## Service levels" in text and "`OPSDESK_SLA_FIRING_LEASE_SECONDS` | `120`" in text


def test_the_sla_app_reads_no_private_name_of_the_calendars_app():
    private = re.compile(r"calendar\w*\._\w+|from opsdesk\.calendars[\w.]* import [^\n]*\b_\w+")
    offenders = [f"{path.name}: {match.group(0)}" for path in SLA_SOURCE.rglob("*.py")
                 for match in private.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []
