"""OpenAPI pieces shared by the controllers."""

from __future__ import annotations

from litestar.openapi.spec import Components, OAuthFlow, OAuthFlows, SecurityScheme

BEARER_SCHEME = "OAuth2PasswordBearer"
BEARER: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]

COMPONENTS = Components(
    security_schemes={
        BEARER_SCHEME: SecurityScheme(
            type="oauth2",
            description="Log in with email and password; the access token goes in `Authorization: Bearer`.",
            flows=OAuthFlows(password=OAuthFlow(token_url="/api/v1/auth/login", scopes={})),
        )
    }
)
