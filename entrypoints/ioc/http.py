"""What only the HTTP app needs: the acting user of a request, idempotency keys, the mock
provider's pages."""

from __future__ import annotations

from dishka import Provider, Scope, provide
from litestar import Request

from adapters.payments.mock.gateway import MockGateway
from application.auth.authenticate import Authenticate
from application.ports import PaymentGateways
from domain.users import Actor
from entrypoints.http.access_log import remember_user
from entrypoints.http.mock_checkout import MockProvider


class HttpRequestScope(Provider):
    scope = Scope.REQUEST

    @provide
    async def actor(self, request: Request, authenticate: Authenticate) -> Actor:  # type: ignore[type-arg]
        actor = await authenticate(bearer_token(request.headers.get("authorization")))
        remember_user(request.scope, actor.user_id)
        return actor

    @provide(scope=Scope.APP)
    def mock_provider(self, gateways: PaymentGateways) -> MockProvider:
        """The checkout pages exist only while the mock provider is enabled."""
        gateway = gateways.get("mock")
        return MockProvider(gateway if isinstance(gateway, MockGateway) else None)


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None
