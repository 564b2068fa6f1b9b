"""This installation of the store: its identity at the payment providers."""

from __future__ import annotations

import re
from abc import abstractmethod
from dataclasses import dataclass
from typing import Protocol

INSTALLATION_ID = re.compile(r"[0-9a-f]{16}")
"""16 lowercase hex digits (64 random bits): short enough that a provider reference built from it
fits YooKassa's 64-character `Idempotence-Key`."""


@dataclass(frozen=True, slots=True)
class Installation:
    """One database of the store. `id` is random, made once when the database is created and kept
    in it (migration 0013), so that two stores on one provider account (staging and production),
    or one store after its database was reset, never share a provider reference: a provider
    keeps an idempotency key for hours or days and would answer another store's payment."""

    id: str

    def __post_init__(self) -> None:
        if not INSTALLATION_ID.fullmatch(self.id):
            raise ValueError(f"an installation id is 16 lowercase hex digits, not {self.id!r}")


class InstallationStore(Protocol):
    @abstractmethod
    async def installation(self) -> Installation:
        """The installation's identity, made (and stored) on first use if the database lacks one.
        Read once per process, at start-up."""
