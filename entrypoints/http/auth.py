from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType, ScopeType
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.status_codes import HTTP_204_NO_CONTENT
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils import normalize_path

from application.auth.current_user import GetCurrentUser
from application.auth.login import Credentials, LogIn
from application.auth.logout import LogOut
from application.auth.refresh import RefreshSession
from application.auth.register import RegisterCustomer, Registration
from application.auth.sessions import IssuedTokens
from application.ports import UserOut
from domain.users import Actor
from entrypoints.http.bodies import decode_value, json_body
from entrypoints.http.guards import USER
from entrypoints.http.openapi import BEARER
from entrypoints.http.schemas import (
    Email,
    LoginForm,
    LoginIn,
    LoginPassword,
    RefreshIn,
    RegisterIn,
    TokenOut,
)

# Responses that carry tokens are never stored by a browser or a proxy.
NO_STORE = CacheControlHeader(no_store=True)
_NO_STORE_HEADER = (b"cache-control", b"no-store")


def no_store_middleware(app: ASGIApp, paths: frozenset[str]) -> ASGIApp:
    """`Cache-Control: no-store` on every answer of the routes at `paths` (login, refresh):
    success or error, from the handler, an exception handler or a rate limit before
    routing, since what a credential exchange answers is nobody's to keep."""

    # The paths' last segments first: a cheap test that spares other requests the normalization.
    last_segments = tuple({path.rstrip("/").rsplit("/", 1)[-1] for path in paths})

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != ScopeType.HTTP
            or not scope["path"].rstrip("/").endswith(last_segments)
            or normalize_path(scope["path"]) not in paths
        ):
            await app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"cache-control"]
                message["headers"] = [*headers, _NO_STORE_HEADER]
            await send(message)

        await app(scope, receive, send_no_store)

    return middleware


def _string_schema(annotation: Any) -> Schema:
    """The OpenAPI schema of a constrained string type of schemas.py: the same bounds,
    pattern and examples the decoding enforces."""
    info = msgspec.inspect.type_info(annotation)
    examples: list[Any] | None = None
    if isinstance(info, msgspec.inspect.Metadata):
        examples = list((info.extra_json_schema or {}).get("examples") or []) or None
        info = info.type
    if not isinstance(info, msgspec.inspect.StrType):
        return Schema(type=OpenAPIType.STRING)
    return Schema(
        type=OpenAPIType.STRING,
        min_length=info.min_length,
        max_length=info.max_length,
        pattern=info.pattern,
        examples=examples,
    )


def _string_object(fields: dict[str, Any], required: tuple[str, ...]) -> Schema:
    return Schema(
        type=OpenAPIType.OBJECT,
        properties={name: _string_schema(annotation) for name, annotation in fields.items()},
        required=list(required),
    )


@dataclass
class LoginOperation(Operation):
    """Documents both bodies the login accepts."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={
                "application/json": OpenAPIMediaType(
                    schema=_string_object({"email": Email, "password": LoginPassword}, ("email", "password"))
                ),
                RequestEncodingType.URL_ENCODED.value: OpenAPIMediaType(
                    schema=_string_object(
                        {"username": Email, "password": LoginPassword, "grant_type": str, "scope": str},
                        ("username", "password"),
                    )
                ),
            },
        )


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/register", status_code=201, summary="Register a customer account")
    async def register(
        self, request: Request[Any, Any, Any], data: RegisterIn, register: FromDishka[RegisterCustomer]
    ) -> UserOut:
        """Email is lower-cased and unique (409); the password is 8–128 characters.
        Registrations per client IP are limited (429)."""
        user = await register(
            Registration(email=data.email, password=data.password, client_ip=client_ip(request))
        )
        return UserOut.of(user)

    @post(
        "/login",
        status_code=200,
        summary="Log in with JSON or the OAuth2 password form",
        description=(
            "Accepts `{email, password}` as JSON, or `username=&password=` as "
            "`application/x-www-form-urlencoded` (Swagger's Authorize button)."
        ),
        operation_class=LoginOperation,
        cache_control=NO_STORE,
    )
    async def login(self, request: Request[Any, Any, Any], log_in: FromDishka[LogIn]) -> TokenOut:
        issued = await log_in(await _credentials(request))
        return _token_out(issued)

    @post("/refresh", status_code=200, summary="Trade a refresh token for a new pair", cache_control=NO_STORE)
    async def refresh(self, data: RefreshIn, refresh_session: FromDishka[RefreshSession]) -> TokenOut:
        """The old refresh token stops working. Presenting one that was already
        used ends its whole session (401)."""
        return _token_out(await refresh_session(data.refresh_token))

    @post(
        "/logout", status_code=HTTP_204_NO_CONTENT, summary="End this session", security=BEARER, guards=USER
    )
    async def logout(self, actor: FromDishka[Actor], log_out: FromDishka[LogOut]) -> None:
        """This session's refresh token and access token stop working at once."""
        await log_out(actor)

    @get("/me", summary="The current user", security=BEARER, guards=USER)
    async def me(self, actor: FromDishka[Actor], current_user: FromDishka[GetCurrentUser]) -> UserOut:
        return UserOut.of(await current_user(actor))


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The peer address as the ASGI server reports it (uvicorn applies trusted proxy headers)."""
    return request.client.host if request.client else ""


def _token_out(issued: IssuedTokens) -> TokenOut:
    return TokenOut(
        access_token=issued.access.token,
        refresh_token=issued.refresh_token,
        expires_in=issued.access.expires_in,
    )


async def _credentials(request: Request[Any, Any, Any]) -> Credentials:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == RequestEncodingType.URL_ENCODED:
        form = await request.form()
        fields = {key: form.get(key) for key in ("username", "password")}
        form_in = decode_value(fields, LoginForm)
        return Credentials(email=form_in.username, password=form_in.password, client_ip=client_ip(request))
    json_in = await json_body(request, LoginIn)
    return Credentials(email=json_in.email, password=json_in.password, client_ip=client_ip(request))
