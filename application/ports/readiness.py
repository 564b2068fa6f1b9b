"""Whether the services the app depends on answer right now (the readiness probe)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Literal, Protocol

DependencyState = Literal["ok", "unavailable", "disabled"]


class Readiness(Protocol):
    @abstractmethod
    async def checks(self) -> dict[str, DependencyState]:
        """Each dependency by name (`database`, `redis`): `ok`, `unavailable` (it did not answer
        in time), or `disabled` (not configured, e.g. no `REDIS_URL`). Never raises."""
