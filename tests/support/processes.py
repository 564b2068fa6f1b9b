"""App servers started the way production starts them: `python -m entrypoints.cli serve`.

Unlike `tests.support.servers` (plain uvicorn, one process), these go through the serve
command, so they apply migrations, honour WORKERS (uvicorn's supervisor forwarding SIGTERM
to its workers), set up logging and the Prometheus multi-process directory. Each server
gets a free port, a log file, and a working directory without a `.env` (only the
environment given here configures it). `terminate()` sends SIGTERM, as `docker stop` does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.isolation import REDIS_KEY_PREFIX

ROOT = Path(__file__).resolve().parents[2]
# Settings that would leak in from the developer's shell and change what is tested.
_SETTINGS_PREFIXES = (
    "APP_ENV",
    "DATABASE_URL",
    "REDIS_",
    "SECRET_KEY",
    "PAYMENT_",
    "ADMIN_",
    "RATE_LIMIT_",
    "WORKERS",
    "HOST",
    "PORT",
    "PROMETHEUS_MULTIPROC_DIR",
    "ACCESS_LOG",
    "LOG_LEVEL",
    "SHUTDOWN_TIMEOUT_SECONDS",
    "DB_POOL_SIZE",
    "BCRYPT_ROUNDS",
    "ORDER_",
)

TEST_SECRET_KEY = "process-test-secret-key-0123456789abcdef0123456789"
TEST_WEBHOOK_SECRET = "whsec-test-0123456789abcdef0123456789abcdef"
TEST_ADMIN_EMAIL = "admin@storefront.test"
TEST_ADMIN_PASSWORD = "admin-password"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_environment(database_url: str, **settings: object) -> dict[str, str]:
    """The environment of a test server: fast bcrypt, an admin, limits off unless given,
    Redis keys under this run's prefix."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SETTINGS_PREFIXES)}
    values: dict[str, object] = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET_KEY,
        "PAYMENT_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
        "ADMIN_EMAIL": TEST_ADMIN_EMAIL,
        "ADMIN_PASSWORD": TEST_ADMIN_PASSWORD,
        "BCRYPT_ROUNDS": 4,
        "RATE_LIMIT_LOGIN": "0",
        "RATE_LIMIT_REGISTER": "0",
        "RATE_LIMIT_API": "0",
        "ORDER_PENDING_LIMIT": 1000,
        "DB_POOL_SIZE": 5,
        "HOST": "127.0.0.1",
        "REDIS_KEY_PREFIX": REDIS_KEY_PREFIX,
    }
    values.update({k.upper(): v for k, v in settings.items()})
    env.update({k: str(v) for k, v in values.items() if v is not None})
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    exit_code: int | None = field(default=None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.logs()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health/ready", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout} s:\n{self.logs()}")

    def terminate(self) -> None:
        """SIGTERM, as `docker stop` sends it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        self.exit_code = self.process.wait(timeout=timeout)
        return self.exit_code

    def stop(self, timeout: float = 40.0) -> int:
        self.terminate()
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        """Last resort: the process group this server started (its workers too)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def start_server(name: str, env: Mapping[str, str], log_dir: Path) -> Server:
    port = free_port()
    workdir = log_dir / name
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "serve"],
            cwd=workdir,
            env={**env, "PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name=name, port=port, process=process, log_path=log_path)


@contextlib.contextmanager
def running(servers: list[Server], ready_timeout: float = 90.0) -> Iterator[list[Server]]:
    """Wait until every server is ready; stop (SIGTERM) the ones still running afterwards."""
    try:
        for server in servers:
            server.wait_ready(ready_timeout)
        yield servers
    finally:
        for server in servers:
            if server.process.poll() is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    server.stop()
