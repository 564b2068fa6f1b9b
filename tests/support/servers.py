"""Real app processes for tests that need several instances (uvicorn on free ports).

    with serve({"DATABASE_URL": url, "REDIS_URL": redis}) as server:
        httpx.get(f"{server.base_url}/health/live")

Each server applies no migrations (the fixtures' databases are migrated already),
runs in an empty working directory (no `.env`) with no setting inherited from the
shell, and is stopped with SIGTERM, then killed if it lingers. Its output goes to
a log file whose tail is shown when it fails to start.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

import httpx

from entrypoints.settings import Settings
from tests.support.isolation import REDIS_KEY_PREFIX

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60.0
TEST_ENV = {
    "APP_ENV": "dev",
    "BCRYPT_ROUNDS": "4",
    "RATE_LIMIT_LOGIN": "0",
    "RATE_LIMIT_REGISTER": "0",
    "RATE_LIMIT_API": "0",
    "ORDER_PENDING_LIMIT": "1000",
    "WORKERS": "1",
    "LOG_LEVEL": "WARNING",
    "REDIS_KEY_PREFIX": REDIS_KEY_PREFIX,
}


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, size: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-size:]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(env: Mapping[str, str]) -> Iterator[Server]:
    """One app process on a free port, with `env` over the test defaults over `os.environ`."""
    port = free_port()
    settings = {field.name.upper() for field in fields(Settings)}
    inherited = {key: value for key, value in os.environ.items() if key not in settings}
    environ = {**inherited, **TEST_ENV, **env, "HOST": "127.0.0.1", "PORT": str(port)}
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environ.get("PYTHONPATH")]))
    workdir = tempfile.mkdtemp(prefix=f"storefront-{port}-")
    log_file = tempfile.NamedTemporaryFile(prefix=f"storefront-{port}-", suffix=".log", delete=False)  # noqa: SIM115
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "entrypoints.http.app:app_from_env",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=workdir, env=environ, stdout=log_file, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, Path(log_file.name))
    try:
        _wait_until_live(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log_file.close()
        Path(log_file.name).unlink(missing_ok=True)
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def serve_many(count: int, env: Mapping[str, str]) -> Iterator[list[Server]]:
    with ExitStack() as stack:
        yield [stack.enter_context(serve(env)) for _ in range(count)]


def _wait_until_live(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the app exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.base_url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the app did not start within {START_TIMEOUT_SECONDS} s:\n{server.log_tail()}")
