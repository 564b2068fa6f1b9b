"""Reading accounts on the hot path: every authenticated request looks its caller up."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

from domain.users import User


class AccountReadModel(Protocol):
    """Read-only lookups of accounts, for authentication and display.

    An implementation that the composition root scopes to one request may remember
    what it read, so that the request's authentication and its use case share one lookup.
    """

    @abstractmethod
    async def user(self, user_id: int) -> User | None: ...
