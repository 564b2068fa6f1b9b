"""An operator sets a new password for an account (the `reset-password` command)."""

from __future__ import annotations

from application.ports import PasswordHasher, SessionStore, UnitOfWork
from domain.errors import NotFound
from domain.users import User, check_password_policy, normalize_email


class ResetPassword:
    """Give the account with this email a new password and end all its sessions.

    - the new password follows the same policy as at registration (InvalidInput);
    - an unknown email is NotFound; role and active state are left as they are;
    - every session the account had ends: its refresh tokens and access tokens are
      refused from now on, the old password too. The session store is told at once;
      besides, each session carries a stamp of the password it was opened with, so a
      session opened before the reset is refused even by a process whose session
      store this one cannot reach (sessions kept in a server's own memory).
    """

    def __init__(self, uow: UnitOfWork, hasher: PasswordHasher, sessions: SessionStore) -> None:
        self._uow = uow
        self._hasher = hasher
        self._sessions = sessions

    async def __call__(self, email: str, password: str) -> User:
        email = normalize_email(email)
        check_password_policy(password)
        password_hash = await self._hasher.hash(password)
        async with self._uow as uow:
            user = await uow.users.get_by_email(email)
            if user is None:
                raise NotFound(f"no account with the email {email}")
            user = user.with_password_hash(password_hash)
            await uow.users.save(user)
            await uow.commit()
        await self._sessions.end_all(user.id)
        return user
