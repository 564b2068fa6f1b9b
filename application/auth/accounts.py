"""Reading accounts on the hot path: every authenticated request looks its caller up."""

from __future__ import annotations

from application.ports import AccountReadModel, UnitOfWork
from domain.users import User


class AccountsInUnitOfWork(AccountReadModel):
    """The read model over the unit of work: one short transaction per lookup."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def user(self, user_id: int) -> User | None:
        async with self._uow as uow:
            return await uow.users.get(user_id)
