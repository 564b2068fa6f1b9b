"""Reading accounts: the lookup every authenticated request makes of its caller (a port), and
the account as the API shows it (`UserOut`, built from the domain `User` by `UserOut.of`).

Adding a field to an account: the domain (`domain/users.py`), the table and its migration, and
a field here (filled in `of`) if the API shows it; `tests/unit/test_view_shapes.py` holds the
view and the table together.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Literal, Protocol

import msgspec

from domain.users import User

RoleName = Literal["customer", "admin"]


class UserOut(msgspec.Struct, kw_only=True):
    """An account as the API shows it: never its password hash (the component name is the wire
    format's)."""

    id: int
    email: str
    role: RoleName
    is_active: bool
    created_at: datetime

    # Views are deliberate twins of their entities and of each other: one view per resource,
    # its `of` copying the entity field by field (test_view_shapes.py holds each view to its table).
    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            role=user.role.value,
            is_active=user.is_active,
            created_at=user.created_at,
        )


class AccountReadModel(Protocol):
    """Read-only lookups of accounts, for authentication and display.

    An implementation that the composition root scopes to one request may remember
    what it read, so that the request's authentication and its use case share one lookup.
    """

    @abstractmethod
    async def user(self, user_id: int) -> User | None: ...
