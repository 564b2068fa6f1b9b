"""Driving a server with wrk and reading its results."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "lua"
THREADS = 2
WRK_MISSING = (
    "wrk is not installed. The benchmark drives the server with wrk: install it with\n"
    "    apt-get install -y wrk        (Debian/Ubuntu; `brew install wrk` on macOS)\n"
    "and run `uv run just bench` again."
)


class WrkMissing(RuntimeError):
    pass


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissing(WRK_MISSING)
    return path


@dataclass(frozen=True, slots=True)
class Load:
    """What to send: a wrk script and its environment (path, headers, body…)."""

    path: str
    script: str = "fixed.lua"
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""
    connections: int = 64
    extra_env: tuple[tuple[str, str], ...] = ()
    # Where to send it instead of the server under test (a provider's double measured alone).
    base_url: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    # The errors by kind: status >= 400, socket errors, timeouts.
    by_kind: tuple[int, int, int] = (0, 0, 0)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def start(base_url: str, load: Load, seconds: float) -> subprocess.Popen[str]:
    """Start wrk in the background; `finish` waits for it and reads its result."""
    headers = [("Content-Type", "application/json")] if load.body or load.method != "GET" else []
    headers += list(load.headers)
    env = {
        **os.environ,
        "BENCH_LUA_DIR": str(LUA_DIR),
        "BENCH_METHOD": load.method,
        "BENCH_BODY": load.body,
        "BENCH_HEADERS": "\n".join(f"{name}: {value}" for name, value in headers),
        "BENCH_PATH": load.path,
        "BENCH_THREADS": str(threads(load)),
        **dict(load.extra_env),
    }
    command = [
        wrk_path(),
        f"--threads={threads(load)}",
        f"--connections={load.connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        f"--script={LUA_DIR / load.script}",
        (load.base_url or base_url) + load.path,
    ]
    return subprocess.Popen(  # noqa: S603 - wrk with our own arguments
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(process: subprocess.Popen[str]) -> Result:
    output, _ = process.communicate()
    for line in output.splitlines():
        if line.startswith("BENCH_RESULT "):
            data = json.loads(line.removeprefix("BENCH_RESULT "))
            return Result(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                p50_ms=data["p50_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                errors=data["status_errors"] + data["socket_errors"] + data["timeouts"],
                by_kind=(data["status_errors"], data["socket_errors"], data["timeouts"]),
            )
    raise RuntimeError(f"wrk printed no result (exit {process.returncode}):\n{output}")


def run(base_url: str, load: Load, seconds: float) -> Result:
    return finish(start(base_url, load, seconds))


def threads(load: Load) -> int:
    return min(THREADS, load.connections)
