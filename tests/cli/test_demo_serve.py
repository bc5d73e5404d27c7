"""``opsdesk demo`` serves the app with its worker and scheduler, and Ctrl-C stops all of them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .conftest import opsdesk_env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def test_demo_serves_the_api_and_stops_everything_on_ctrl_c(demo_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "demo.log").open("w+")
    demo = subprocess.Popen([sys.executable, "-m", "opsdesk", "demo", "--port", str(port), "--data-dir", str(demo_dir)],
                            env=opsdesk_env(demo_dir), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while "is ready at" not in Path(log.name).read_text():
            assert demo.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, Path(log.name).read_text()
            time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=30) as response:
            assert response.status == 200
            assert "/api/v1/incidents" in json.load(response)["paths"]
        helpers = children_of(demo.pid)
        assert len(helpers) == 3  # the web server, the worker, the scheduler
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=60) == 0, Path(log.name).read_text()
        assert "stopped" in Path(log.name).read_text()
        assert not [pid for pid in helpers if alive(pid)]
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        log.close()
