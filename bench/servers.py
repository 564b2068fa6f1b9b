"""Starting the servers under test as subprocesses, and reading their workers' memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A server process tree: one supervisor and its worker processes."""

    name: str
    command: list[str]
    env: Mapping[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    peak_rss: dict[int, int] = field(default_factory=dict)
    cwd: Path = PROJECT_ROOT

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, workers: int) -> None:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self.command,
            cwd=self.cwd,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start-up:\n{self.log_tail()}")
            if self._answers() and len(self.worker_pids()) >= workers:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"{self.name} did not come up within {START_TIMEOUT_SECONDS:.0f} s:\n{self.log_tail()}"
        )

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/health/live", timeout=1) as response:  # noqa: S310
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def worker_pids(self) -> list[int]:
        """The supervisor's worker processes (or the supervisor itself when it serves alone)."""
        assert self.process is not None
        workers = [pid for pid in descendants(self.process.pid) if "resource_tracker" not in cmdline(pid)]
        return workers or [self.process.pid]

    def sample_memory(self) -> dict[int, int]:
        """Each worker's peak resident set (VmHWM) so far, in bytes."""
        for pid in self.worker_pids():
            peak = read_vm_hwm(pid)
            if peak is not None:
                self.peak_rss[pid] = max(self.peak_rss.get(pid, 0), peak)
        return dict(self.peak_rss)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after it.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    stack = list(children.get(pid, []))
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(children.get(child, []))
    return sorted(found)


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def read_vm_hwm(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def api_server(
    env: Mapping[str, str],
    port: int,
    log_path: Path,
    python: str | Path = sys.executable,
    cwd: Path = PROJECT_ROOT,
) -> Server:
    """The project's own `serve` command, exactly as production starts it (from `cwd`, another
    checkout of the code with its own interpreter for a baseline)."""
    return Server("API", [str(python), "-m", "entrypoints.cli", "serve"], env, port, log_path, cwd=cwd)


def floor_server(
    database_dsn: str,
    workers: int,
    port: int,
    log_path: Path,
    pool_size: int,
    extra_env: Mapping[str, str] | None = None,
) -> Server:
    """The floor app on the same ASGI server, with the same worker count and options;
    `extra_env`: the payment start's settings (bench/floor_app.py)."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.floor_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--no-server-header",
        "--log-level",
        "warning",
    ]
    env = {"FLOOR_DATABASE_URL": database_dsn, "FLOOR_POOL_SIZE": str(pool_size), **(extra_env or {})}
    return Server("floor", command, env, port, log_path)
