"""Import contracts and migration drift: the architecture's rules, checked."""

from __future__ import annotations

import ast
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

SRC = Path(__file__).resolve().parents[2] / "src" / "opsdesk"
DOMAIN_APPS = {"incidents", "catalog", "calendars", "sla", "cmdb", "reports", "notifications", "api", "ui", "demo"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("layer", ["core", "audit", "accounts"])
def test_kernel_layers_import_no_domain_app(layer: str) -> None:
    offenders = {
        f"{path.relative_to(SRC)} imports {name}"
        for path in (SRC / layer).rglob("*.py")
        for name in _imports(path)
        if name.startswith("opsdesk.") and name.split(".")[1] in DOMAIN_APPS
    }
    assert not offenders, offenders


def test_views_never_save_models_directly() -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("views.py")
        if ".save(" in path.read_text(encoding="utf-8")
    ]
    assert not offenders, f"views must call a service instead of .save(): {offenders}"


@pytest.mark.django_db
def test_models_and_migrations_agree() -> None:
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    assert "No changes detected" in out.getvalue()
