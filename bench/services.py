"""Where the benchmark's PostgreSQL and Redis run: by default, servers of its own.

The machine's shared PostgreSQL (max_connections = 100, shared with test runs) cannot hold two
APIs, the floor app and pgbench's 64 clients, and other clients' load would be part of the
numbers. So unless `--admin-url` names an existing server, the bench runs a private cluster
(bench/pgcluster.py, `measuring_settings`) whose `max_connections` is the run's own budget
(`connections_needed`), and unless `--redis-url` names one, a private `redis-server` on a free
port (no persistence) when one is installed. Both are stopped and removed when the run ends,
also on an error, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from bench import pgcluster
from bench.servers import free_port

# Connections a worker of the API may hold besides its two pools (the job worker's listener,
# a migration's at start-up): a margin, not a measurement.
EXTRA_PER_WORKER = 4
# Our own short-lived connections (seeding, preparing rows, counting free connections).
OWN = 10


@dataclass(frozen=True)
class Budget:
    """What one run holds open at once, in connections."""

    workers: int  # per API
    pool_size: int  # the API's DB_POOL_SIZE, and the floor app's pool per worker
    apis: int  # running at the same time: ours, and the baseline's with --baseline
    pgbench_clients: int

    @property
    def per_api_worker(self) -> int:
        """SQLAlchemy's pool (2 × DB_POOL_SIZE, no overflow), the read models' asyncpg pool
        (DB_POOL_SIZE), and a margin."""
        return self.pools_per_api_worker + EXTRA_PER_WORKER

    @property
    def pools_per_api_worker(self) -> int:
        return 3 * self.pool_size

    @property
    def required(self) -> int:
        """The pools full and pgbench's clients, without margins: what a server of someone
        else's (`--admin-url`) must have free."""
        apis = self.apis * self.workers * self.pools_per_api_worker
        return apis + self.workers * self.pool_size + self.pgbench_clients

    @property
    def total(self) -> int:
        return self.required + self.apis * self.workers * EXTRA_PER_WORKER + OWN

    def describe(self) -> str:
        return (
            f"{self.apis} API(s) × {self.workers} workers × {self.per_api_worker} + the floor app "
            f"{self.workers} × {self.pool_size} + pgbench {self.pgbench_clients} + {OWN} of the "
            f"bench's own = {self.total}"
        )


def max_connections(budget: Budget) -> int:
    """The private cluster's max_connections: the budget with half again as much to spare
    (rounded up to 50), and PostgreSQL's 3 superuser slots on top."""
    return -(-budget.total * 3 // 2 // 50) * 50 + 3


@contextmanager
def postgres(budget: Budget) -> Iterator[pgcluster.Cluster]:
    with pgcluster.private_cluster(pgcluster.measuring_settings(max_connections(budget))) as cluster:
        yield cluster


def redis_server_path() -> str | None:
    return shutil.which("redis-server")


@contextmanager
def redis() -> Iterator[str]:
    """A redis-server of the run's own on a free port of 127.0.0.1: its URL (database 0)."""
    path = redis_server_path()
    if path is None:
        raise RuntimeError("no redis-server installed")
    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix="storefront-bench-redis-"))
    log = (directory / "redis.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - the installed redis-server with our arguments
        [
            path,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--maxclients",
            "10000",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    try:
        _wait_for_pong(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)


def _wait_for_pong(port: int, process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited at start-up (status {process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"redis-server on port {port} did not answer PING within {timeout:.0f} s")


@contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt while inside (as Ctrl-C does), so that every `finally`
    runs: servers stopped, the private cluster and the baseline's worktree removed."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
