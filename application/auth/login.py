from __future__ import annotations

from dataclasses import dataclass

from application.auth.sessions import IssuedTokens, open_session
from application.ports import PasswordHasher, RateLimit, RateLimiter, SessionStore, TokenIssuer, UnitOfWork
from domain.errors import InvalidInput, NotAuthenticated
from domain.users import PASSWORD_MAX_LENGTH, normalize_email

_BAD_CREDENTIALS = "incorrect email or password"

__all__ = ["Credentials", "IssuedTokens", "LogIn"]


# Deliberate twin of `register.Registration`: the same three inputs for another use case,
# which may take more of them later.
@dataclass(frozen=True, slots=True)
class Credentials:
    email: str
    password: str
    client_ip: str = ""


class LogIn:
    """Exchange an email and password for an access token and a refresh token.

    - an unknown email and a wrong password fail alike (NotAuthenticated) and take
      about the same time: unknown emails burn one dummy verification;
    - every failure counts against the (email, client IP) pair, whether the email
      is known or not; a success does not reset the count; once the pair is past
      the limit it is refused (TooManyRequests) even with the right password,
      until the window passes;
    - the limit is taken before the password is checked: each attempt reserves a
      slot atomically, keeps it if it fails and gives it back otherwise (success,
      a disabled account, a busy hasher, an outage), so parallel guesses get at
      most the limit's worth of failures and successes never count;
    - a deactivated account is refused (AccountDisabled) even with the right password;
    - each login opens a new session (a refresh-token family).
    """

    # Stores its collaborators, as every use case's constructor does (alike by shape only).
    def __init__(
        self,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        tokens: TokenIssuer,
        sessions: SessionStore,
        limiter: RateLimiter,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._tokens = tokens
        self._sessions = sessions
        self._limiter = limiter

    async def __call__(self, credentials: Credentials) -> IssuedTokens:
        try:
            email = normalize_email(credentials.email)
        except InvalidInput:
            email = None
        attempt = f"{email or credentials.email.strip().lower()}|{credentials.client_ip}"
        # The slot is taken before the password is checked, in one atomic step, so that a
        # burst of parallel guesses cannot all pass a check made before any of them failed.
        await self._limiter.hit(RateLimit.FAILED_LOGINS, attempt)
        failed = False
        try:
            password = credentials.password
            async with self._uow as uow:
                user = await uow.users.get_by_email(email) if email else None
            if user is None or len(password) > PASSWORD_MAX_LENGTH:
                await self._hasher.burn(password[:PASSWORD_MAX_LENGTH])
                failed = True
                raise NotAuthenticated(_BAD_CREDENTIALS)
            if not await self._hasher.verify(password, user.password_hash):
                failed = True
                raise NotAuthenticated(_BAD_CREDENTIALS)
            user.ensure_active()
            return await open_session(user, self._uow, self._sessions, self._tokens)
        finally:
            if not failed:
                await self._limiter.give_back(RateLimit.FAILED_LOGINS, attempt)
