"""Create or update the project's virtual environment (``.venv``) with nothing but Python 3.11+.

Used by ``scripts/demo`` and ``scripts/test``. The install is skipped when
``pyproject.toml``, the extras and the Python version are the same as at the
last successful install (a stamp file in the venv records them).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("OPSDESK_VENV", ROOT / ".venv"))
MINIMUM_PYTHON = (3, 11)


def say(message: str) -> None:
    print(f"[opsdesk] {message}", flush=True)


def check_python() -> None:
    if sys.version_info < MINIMUM_PYTHON:
        sys.exit(f"opsdesk needs Python {'.'.join(map(str, MINIMUM_PYTHON))} or newer; "
                 f"this is {sys.version.split()[0]}. Run the command with python3.11 (or newer) instead of python3.")


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _fingerprint(extras: str) -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(f"|{extras}|{sys.version_info[:2]}".encode())
    return digest.hexdigest()


def _run(command: list[str]) -> None:
    say("$ " + " ".join(command))
    subprocess.run(command, check=True, cwd=ROOT)


def ensure_venv(extras: str = "") -> Path:
    """The venv's python, with the project installed (editable) with ``extras``; built when needed."""
    check_python()
    python = venv_python()
    if python.exists() and subprocess.run([python, "-c", "pass"], capture_output=True).returncode != 0:
        say(f"{VENV} is broken (its Python does not start): rebuilding it")
        python.unlink()
    if not python.exists():
        say(f"creating the virtual environment {VENV}")
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        except (OSError, subprocess.CalledProcessError) as error:
            sys.exit(f"could not create {VENV}: {error}. On Debian or Ubuntu install the python3-venv "
                     "package (apt-get install python3-venv) and run this again.")
    stamp = VENV / ".opsdesk-installed"
    wanted = _fingerprint(extras)
    if stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    target = f".[{extras}]" if extras else "."
    say(f"installing opsdesk{f'[{extras}]' if extras else ''} and its pinned dependencies (first time: a minute or two)")
    try:
        _run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target])
    except subprocess.CalledProcessError as error:
        sys.exit(f"installing failed (exit code {error.returncode}); see pip's messages above.")
    stamp.write_text(wanted + "\n")
    return python
