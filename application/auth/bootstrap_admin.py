from __future__ import annotations

from application.ports import Clock, PasswordHasher, UnitOfWork
from domain.errors import AlreadyExists, InvalidInput
from domain.users import Role, User, check_password_policy, normalize_email


class EnsureAdmin:
    """Create the administrator, or promote (and reactivate) an existing account.

    Idempotent: running it at every start-up, from any number of instances at
    once, leaves exactly one account with that email, an admin. An existing
    account keeps its own password: the setting only seeds a new one.
    """

    def __init__(self, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock

    async def __call__(self, email: str, password: str | None) -> User:
        email = normalize_email(email)
        for _ in range(3):
            async with self._uow as uow:
                user = await uow.users.get_by_email(email)
                if user is not None:
                    if user.is_admin and user.is_active:
                        return user
                    user = user.promoted()
                    await uow.users.save(user)
                    await uow.commit()
                    return user
            if password is None:
                raise InvalidInput.for_field("password", "is required to create a new admin")
            check_password_policy(password)
            password_hash = await self._hasher.hash(password)
            async with self._uow as uow:
                try:
                    user = await uow.users.add(email, password_hash, Role.ADMIN, self._clock.now())
                except AlreadyExists:
                    continue  # another instance created it a moment ago: promote that one
                await uow.commit()
                return user
        raise AlreadyExists(f"could not create or promote {email}")
