from __future__ import annotations

from typing import Annotated

from dishka.integrations.litestar import FromDishka
from litestar import Controller, get, post
from litestar.params import Parameter

from application.auth.users import ActivateUser, DeactivateUser, ListUsers, UserQuery
from application.ports import UserOut
from domain.users import Actor
from entrypoints.http.guards import ADMIN
from entrypoints.http.openapi import BEARER
from entrypoints.http.paging import Limit, Offset


class UserController(Controller):
    path = "/users"
    tags = ["users"]

    @get("/", summary="List users, ordered by id (admin)", security=BEARER, guards=ADMIN)
    async def list_users(
        self,
        actor: FromDishka[Actor],
        list_users: FromDishka[ListUsers],
        email: Annotated[str | None, Parameter(max_length=320, description="Exact email, any case")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> list[UserOut]:
        users = await list_users(actor, UserQuery(email=email, limit=limit, offset=offset))
        return [UserOut.of(user) for user in users]

    # Deactivate and activate are deliberate twins: one route per action, each calling its own
    # use case (`application/auth/users.py`), which holds what differs (as catalog.py's
    # deactivate routes, orders.py's cancel/ship/deliver and payments.py's get).
    @post(
        "/{user_id:int}/deactivate",
        status_code=200,
        summary="Deactivate a user (admin)",
        security=BEARER,
        guards=ADMIN,
    )
    async def deactivate(
        self, user_id: int, actor: FromDishka[Actor], deactivate_user: FromDishka[DeactivateUser]
    ) -> UserOut:
        """Ends all of the user's sessions for good; an admin cannot deactivate themselves (409)."""
        return UserOut.of(await deactivate_user(actor, user_id))

    @post(
        "/{user_id:int}/activate",
        status_code=200,
        summary="Reactivate a user (admin)",
        security=BEARER,
        guards=ADMIN,
    )
    async def activate(
        self, user_id: int, actor: FromDishka[Actor], activate_user: FromDishka[ActivateUser]
    ) -> UserOut:
        """The user logs in again: sessions ended by deactivation stay ended."""
        return UserOut.of(await activate_user(actor, user_id))
