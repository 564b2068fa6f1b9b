"""The wire format: msgspec structs for every request and response body."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from domain.catalog import (
    CATEGORY_NAME_MAX,
    DESCRIPTION_MAX,
    PRODUCT_NAME_MAX,
    SLUG_MAX,
    SLUG_PATTERN,
)
from domain.text import DESCRIPTION_PATTERN, EMAIL_PATTERN, NO_NUL_PATTERN, PLAIN_TEXT_PATTERN
from domain.users import EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from entrypoints.http.money import PriceAmount

# Every stored string is bounded by its column and holds no control character (see
# domain/text.py): the edge refuses the rest with 422 before anything reaches storage,
# and the same constraints are what the OpenAPI document shows.
Email = Annotated[
    str,
    Meta(
        min_length=3,
        max_length=EMAIL_MAX_LENGTH,
        pattern=EMAIL_PATTERN,
        description=(
            "Lower-cased; not trimmed; no spaces, control or invisible characters (the Braille "
            "blank, U+FFFC and U+FFFD included); equal to its Unicode NFKC normalisation; no "
            "local part or domain label starting with a combining mark"
        ),
        examples=["ann@example.com"],
    ),
]
Password = Annotated[
    str,
    Meta(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        pattern=NO_NUL_PATTERN,
        description=f"{PASSWORD_MIN_LENGTH}–{PASSWORD_MAX_LENGTH} characters, any but NUL",
        examples=["correct-horse-battery"],
    ),
]
# Login takes any password a login form can send: one outside the policy is simply wrong (401).
LoginPassword = Annotated[
    str,
    Meta(min_length=1, max_length=1024, pattern=NO_NUL_PATTERN, examples=["correct-horse-battery"]),
]
CategoryName = Annotated[
    str,
    Meta(min_length=1, max_length=CATEGORY_NAME_MAX, pattern=PLAIN_TEXT_PATTERN, examples=["Green tea"]),
]
Slug = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=SLUG_MAX,
        pattern=SLUG_PATTERN,
        description="a-z, 0-9 and '-', at least one letter, not `all`",
        examples=["green-tea"],
    ),
]
# The field types here are deliberate twins: one `Annotated[..., Meta(...)]` per field, each
# with its own bounds, pattern and example for the API document.
ProductName = Annotated[
    str,
    Meta(min_length=1, max_length=PRODUCT_NAME_MAX, pattern=PLAIN_TEXT_PATTERN, examples=["Sencha, 100 g"]),
]
Description = Annotated[
    str,
    Meta(
        max_length=DESCRIPTION_MAX,
        pattern=DESCRIPTION_PATTERN,
        description="Tabs and line breaks allowed, no other control characters",
        examples=["Steamed Japanese green tea."],
    ),
]
Stock = Annotated[
    int,
    Meta(
        ge=0,
        le=2_000_000_000,
        description="Units on the shelf; null: untracked (unlimited)",
        examples=[10],
        # Litestar drops a bound of 0 from the document (it tests the bound for truth).
        extra_json_schema={"extra": {"minimum": 0}},
    ),
]
# Every money field of every body and query is an Amount: its rules are in entrypoints/http/money.py.
Price = Annotated[PriceAmount, Meta(description="Price: greater than 0, at most 99 999 999.99")]
# Any positive integer: one beyond the database's range names nothing that exists, so the
# use cases answer it as they answer any unknown id (404, or 422 for a reference in a body).
Id = Annotated[int, Meta(ge=1, examples=[1])]


class RequestBody(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: a field the API does not know is an error, not ignored."""


# ---- auth ---------------------------------------------------------------------


class RegisterIn(RequestBody, kw_only=True):
    email: Email
    password: Password


class LoginIn(RequestBody, kw_only=True):
    email: Email
    password: LoginPassword


class TokenOut(Struct, kw_only=True):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class RefreshIn(RequestBody, kw_only=True):
    refresh_token: Annotated[str, Meta(min_length=1, max_length=512, pattern=PLAIN_TEXT_PATTERN)]


# ---- catalog ------------------------------------------------------------------


class CategoryIn(RequestBody, kw_only=True):
    name: CategoryName
    slug: Slug


class CategoryPatch(RequestBody, kw_only=True):
    name: CategoryName | UnsetType = UNSET
    slug: Slug | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET


class ProductIn(RequestBody, kw_only=True):
    name: ProductName
    description: Description = ""
    price: Price
    category_id: Id
    stock: Stock | None = None


class ProductPatch(RequestBody, kw_only=True):
    name: ProductName | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    price: Price | UnsetType = UNSET
    category_id: Id | UnsetType = UNSET
    stock: Stock | UnsetType | None = UNSET
    is_active: bool | UnsetType = UNSET


# ---- errors and operations ----------------------------------------------------


class FieldProblem(Struct):
    field: str
    message: str


class Problem(Struct, kw_only=True):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | UnsetType = UNSET


class HealthOut(Struct, kw_only=True):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = msgspec.field(default_factory=dict)


class LoginForm(Struct, kw_only=True):
    """OAuth2 password form: `username` carries the email."""

    username: Email
    password: LoginPassword
