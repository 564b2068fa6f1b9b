"""Domain errors: what went wrong, in the business's words. No HTTP here."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every rule the domain or a use case refuses."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class InvalidInput(DomainError):
    """Well-formed input that breaks a rule (a name too long, a bad slug)."""

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []

    @classmethod
    def for_field(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", [FieldError(field, message)])


class MalformedInput(InvalidInput):
    """Input that cannot even be read (a body that is not JSON)."""


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does."""


class Conflict(DomainError):
    """The request clashes with the current state: a taken name, a wrong status."""


class AlreadyExists(Conflict):
    """A uniqueness rule: the name, slug or email is taken."""


class InvalidTransition(Conflict):
    """A state machine refused a move."""


class NotAuthenticated(DomainError):
    """No credentials, or credentials that do not prove who the caller is."""


class AccessDenied(DomainError):
    """The caller is known but may not do this."""


class AccountDisabled(AccessDenied):
    """The account was deactivated by an administrator."""


class TooManyRequests(DomainError):
    """A rate limit is exhausted; retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceBusy(DomainError):
    """A bounded resource (the password-hashing pool) is saturated; try again shortly."""


class DependencyUnavailable(DomainError):
    """The database, Redis or a provider cannot be reached."""
