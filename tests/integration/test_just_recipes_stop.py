"""SIGTERM to `just serve` / `just worker` stops the Python process the recipe started.

`just` runs each recipe line through `sh -cu` and passes SIGTERM on to that child; a recipe
line without `exec` leaves the shell between them, which dies of the signal while Python, its
child, lives on as an orphan. The recipes `exec` Python, so the signal reaches it and it stops
cleanly (`docker stop`, systemd and `uv run just …` in a terminal all send SIGTERM to `just`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.processes import ROOT, free_port, server_environment

JUST = Path(sys.executable).parent / "just"


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        found += [int(child) for child in children]
        todo += [int(child) for child in children]
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def python_descendants(pid: int) -> list[int]:
    pythons = []
    for child in descendants(pid):
        with contextlib.suppress(OSError):
            if "entrypoints.cli" in Path(f"/proc/{child}/cmdline").read_text():
                pythons.append(child)
    return pythons


@pytest.mark.skipif(not JUST.exists() or not Path("/proc").is_dir(), reason="needs just and /proc")
@pytest.mark.parametrize("recipe", ["worker", "serve"])
def test_sigterm_to_just_stops_the_python_process(recipe: str, tmp_path: Path) -> None:
    env = server_environment(
        f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}", port=free_port(), admin_email=None, admin_password=None
    )
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    log_path = tmp_path / "just.log"
    with log_path.open("wb") as log:
        just = subprocess.Popen(
            [str(JUST), "--justfile", str(ROOT / "justfile"), recipe],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        started = "job worker" if recipe == "worker" else "Uvicorn running"
        while started not in log_path.read_text(errors="replace"):
            assert just.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        pythons = python_descendants(just.pid)
        assert pythons, log_path.read_text()
        just.send_signal(signal.SIGTERM)
        just.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in pythons) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [pid for pid in pythons if alive(pid)]
        assert not left, f"python left running after SIGTERM to just: {left}\n{log_path.read_text()}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(just.pid, signal.SIGKILL)  # the session this test started, orphans included
        just.wait(timeout=10)
