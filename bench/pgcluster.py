"""A private, throw-away PostgreSQL cluster whose server log (JSON lines) the benchmark owns.

By default the whole benchmark runs on one (`measuring_settings`: PostgreSQL's durable
defaults, `max_connections` sized for everything the run starts), so that the machine's
shared server, its connections and its other clients are no part of the numbers. The statement
capture runs the API against another, small one (`CAPTURE_SETTINGS`: fsync off, a few
requests) with `log_statement = 'all'`, so that no server's log and settings but its own are
touched.
initdb/pg_ctl come from /usr/lib/postgresql/*/bin (Debian's layout, the newest version) or PATH;
as root the server runs as the `postgres` user, as tests/e2e/test_database_outage.py does.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.servers import free_port

# A capture sends a handful of requests: durability is no part of what it records.
CAPTURE_SETTINGS: Mapping[str, str] = {"fsync": "off", "max_connections": "50"}
SHARED_BUFFERS = "256MB"


def measuring_settings(max_connections: int) -> dict[str, str]:
    """The cluster the benchmark measures on: fsync, synchronous_commit, WAL and checkpoints
    at PostgreSQL's defaults (a commit waits for its WAL flush, as in production); 256 MB of
    shared buffers (the default 128 MB is sized for small machines; the seed's hot rows fit
    either way); room for `max_connections` clients."""
    return {"max_connections": str(max_connections), "shared_buffers": SHARED_BUFFERS}


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server binaries, or no user to run them as."""


def server_binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    raise ClusterUnavailable(
        "the statement capture needs PostgreSQL's server binaries (initdb, pg_ctl): none under "
        "/usr/lib/postgresql/*/bin or on PATH (apt-get install -y postgresql)"
    )


@dataclass
class Cluster:
    bin: Path
    root: Path
    port: int
    user: str | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "log" / "server.json"

    @property
    def admin_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *command: str) -> str:
        result = subprocess.run(  # noqa: S603 - PostgreSQL's own tools with our arguments
            [str(self.bin / command[0]), *command[1:]],
            user=self.user,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{command[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def start(self, settings: Mapping[str, str]) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        merged = {
            "listen_addresses": "127.0.0.1",
            **settings,
            "logging_collector": "on",
            "log_destination": "jsonlog",
            "log_directory": str(self.root / "log"),
            "log_filename": "server.log",
            "log_rotation_size": "0",
        }
        options = f"-p {self.port} -k {self.root} " + " ".join(f"-c {k}={v}" for k, v in merged.items())
        self.run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.root / "pg_ctl.log"), "-o", options, "-w"
        )

    def stop(self) -> None:
        with suppress(RuntimeError):
            self.run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30")

    def log_entries(self) -> list[dict[str, Any]]:
        """The server's log so far, one dict per entry (PostgreSQL's jsonlog fields)."""
        entries: list[dict[str, Any]] = []
        for text in (self.root / "log").glob("server.json*"):
            for line in text.read_text(errors="replace").splitlines():
                if line.strip():
                    entries.append(json.loads(line))
        return entries


@contextmanager
def private_cluster(settings: Mapping[str, str] = CAPTURE_SETTINGS) -> Iterator[Cluster]:
    """A running cluster in a temporary directory (its unix socket there too, TCP on a free
    port of 127.0.0.1); stopped and removed afterwards, also on an error or Ctrl-C."""
    binaries = server_binaries()
    user = None
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise ClusterUnavailable(
                "running as root and there is no `postgres` user to run a private PostgreSQL as"
            ) from None
        user = "postgres"
    root = Path(tempfile.mkdtemp(prefix="storefront-bench-pg-"))
    if user is not None:
        shutil.chown(root, user)
    cluster = Cluster(binaries, root, free_port(), user)
    try:
        cluster.start(settings)
        _wait_accepting(cluster)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def _wait_accepting(cluster: Cluster, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            cluster.run("pg_isready", "-h", "127.0.0.1", "-p", str(cluster.port))
            return
        except RuntimeError:
            time.sleep(0.1)
    raise RuntimeError("the private PostgreSQL cluster did not start accepting connections")
