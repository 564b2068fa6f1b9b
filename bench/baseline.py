"""Another version of the code, measured in the same run: `--baseline <git ref>`.

The ref is checked out into a temporary git worktree (`git worktree add --detach`), its own
environment is synced there (`UV_PROJECT_ENVIRONMENT` inside the temporary directory, its own
uv.lock), its own migrations create the schema of a database of its own, which the benchmark
then seeds exactly like the main one; its API is started the way production starts it, from
that checkout. Worktree, environment and database are removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.servers import PROJECT_ROOT


@dataclass(frozen=True)
class Checkout:
    ref: str
    commit: str
    root: Path  # the worktree
    python: Path  # its environment's interpreter


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    result = subprocess.run(  # noqa: S603 - git and uv with our own arguments
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


@contextmanager
def checkout(ref: str, work_dir: Path) -> Iterator[Checkout]:
    """The ref in a temporary worktree with a synced environment; removed afterwards."""
    commit = _run(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], PROJECT_ROOT).strip()
    root = work_dir / "baseline"
    venv = work_dir / "baseline-venv"
    _run(["git", "worktree", "add", "--detach", str(root), commit], PROJECT_ROOT)
    try:
        uv = shutil.which("uv")
        if uv is None:
            raise RuntimeError("--baseline needs uv to sync the baseline's environment")
        env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)}
        env.pop("VIRTUAL_ENV", None)
        _run([uv, "sync", "--frozen", "--no-dev"], root, env)
        yield Checkout(ref, commit, root, venv / "bin" / "python")
    finally:
        for command in (["git", "worktree", "remove", "--force", str(root)], ["git", "worktree", "prune"]):
            subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, check=False)  # noqa: S603
        shutil.rmtree(venv, ignore_errors=True)


def migrate(code: Checkout, database_url: str) -> None:
    """The baseline's own migrations, by its own CLI."""
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "dev"}
    env.pop("VIRTUAL_ENV", None)
    _run([str(code.python), "-m", "entrypoints.cli", "migrate", "head"], code.root, env, timeout=300)
