from __future__ import annotations

from dataclasses import dataclass

from application.ports import Clock, PasswordHasher, RateLimit, RateLimiter, UnitOfWork
from domain.users import Role, User, check_password_policy, normalize_email


# Deliberate twin of `login.Credentials` (see there).
@dataclass(frozen=True, slots=True)
class Registration:
    email: str
    password: str
    client_ip: str = ""


class RegisterCustomer:
    """Open a customer account.

    - the email is normalised to lower case and must be unique (AlreadyExists);
    - the password is 8–128 code points, no NUL, and only its hash is stored;
    - every attempt counts against the client IP's registration limit
      (TooManyRequests past it), successful or not.
    """

    def __init__(self, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock, limiter: RateLimiter) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._limiter = limiter

    async def __call__(self, request: Registration) -> User:
        await self._limiter.hit(RateLimit.REGISTRATIONS, request.client_ip)
        email = normalize_email(request.email)
        check_password_policy(request.password)
        password_hash = await self._hasher.hash(request.password)
        async with self._uow as uow:
            user = await uow.users.add(email, password_hash, Role.CUSTOMER, self._clock.now())
            await uow.commit()
        return user
