"""All settings, from the environment and an optional `.env` file, checked at start-up."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

DEV_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"
DEV_WEBHOOK_SECRET = "dev-only-webhook-secret-do-not-use-in-production"
MIN_SECRET_BYTES = 32
_KEY_PREFIX = re.compile(r"[!-~]{1,100}")
_RATE = re.compile(r"^\s*(0|\d+\s*/\s*(\d+\s*)?(second|minute|hour|day)s?)\s*$")


# Every call to a payment provider gives up after 10 s (adapters.payments: Stripe's and
# YooKassa's clients); a job's lease must outlast one such call and its commit by a margin, or a
# second worker could take over a refund whose first attempt is still waiting on the provider.
PROVIDER_TIMEOUT_SECONDS = 10
JOB_LEASE_MIN_SECONDS = PROVIDER_TIMEOUT_SECONDS + 5


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names it and says why."""


@dataclass(frozen=True, slots=True)
class Settings:
    app_env: str = "dev"
    database_url: str = "sqlite+aiosqlite:///./storefront.db"
    redis_url: str | None = None
    redis_key_prefix: str = "storefront:"
    secret_key: str = DEV_SECRET_KEY
    algorithm: str = "HS256"
    access_token_expire_minute: int = 10
    refresh_token_expire_days: int = 30
    # Comma-separated enabled providers; PAYMENT_PROVIDER (default: the first) when a payment names none.
    payment_providers: str = "mock"
    payment_provider: str = ""
    payment_webhook_secret: str = DEV_WEBHOOK_SECRET
    store_currency: str = "RUB"
    admin_email: str | None = None
    admin_password: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    order_payment_timeout_seconds: int = 1800
    order_expiry_interval_seconds: int = 3
    order_pending_limit: int = 5
    # Background jobs (the outbox): a worker in each API process, attempts, lease, relay pace.
    run_worker: bool = True
    job_max_attempts: int = 10
    job_lease_seconds: int = 60
    job_poll_interval_ms: int = 1000
    # `storefront worker` serves its Prometheus metrics (job attempts) on this port at HOST; 0: off.
    worker_metrics_port: int = 0
    rate_limit_login: str = "5/minute"
    rate_limit_register: str = "20/hour"
    rate_limit_api: str = "1000/minute"
    bcrypt_rounds: int = 12
    password_hash_threads: int = 2
    db_pool_size: int = 10
    db_connect_timeout_seconds: int = 30
    public_url: str | None = None
    shutdown_timeout_seconds: int = 20
    access_log: bool = True
    log_level: str = "INFO"
    # The enabled providers' own variables (`STRIPE_…`, `YOOKASSA_…`), read by their adapters.
    provider_values: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_prod(self) -> bool:
        return self.app_env == "prod"

    @property
    def payment_providers_enabled(self) -> tuple[str, ...]:
        """PAYMENT_PROVIDERS as a list, in its order."""
        return tuple(name.strip() for name in self.payment_providers.split(","))

    @property
    def default_payment_provider(self) -> str:
        """PAYMENT_PROVIDER, else the first of PAYMENT_PROVIDERS."""
        return self.payment_provider.strip() or self.payment_providers_enabled[0]

    @property
    def api_rate_limited(self) -> bool:
        """False when RATE_LIMIT_API is 0: then the per-IP middleware is not even installed."""
        return self.rate_limit_api.strip() != "0"

    @property
    def public_base_url(self) -> str:
        """Where customers reach this app, for the links it hands out: `PUBLIC_URL`, else the
        address it listens on."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
        """Environment variables win over `.env`; unknown variables are ignored."""
        values: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> Settings:
        values = _resolve_aliases(values)
        kwargs: dict[str, Any] = {}
        for each in fields(cls):
            if each.name == "provider_values":
                continue
            raw = values.get(each.name.upper())
            if raw is None or (
                raw == "" and each.name not in ("rate_limit_login", "rate_limit_register", "rate_limit_api")
            ):
                continue
            kwargs[each.name] = _convert(each.name, each.type, raw)
        from adapters.payments.registry import GATEWAYS  # as in `validate`

        prefixes = tuple(f"{name.upper()}_" for name in GATEWAYS)
        kwargs["provider_values"] = {k: v for k, v in values.items() if k.startswith(prefixes)}
        settings = cls(**kwargs)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.app_env not in ("dev", "prod"):
            raise SettingsError("APP_ENV must be 'dev' or 'prod'")
        if self.algorithm not in ("HS256", "HS384", "HS512"):
            raise SettingsError("ALGORITHM must be one of HS256, HS384, HS512")
        if not re.fullmatch(r"[A-Z]{3}", self.store_currency):
            raise SettingsError("STORE_CURRENCY must be a three-letter ISO 4217 code, e.g. RUB")
        self._validate_urls()
        for name in ("rate_limit_login", "rate_limit_register", "rate_limit_api"):
            if not _RATE.match(getattr(self, name)):
                raise SettingsError(f"{name.upper()} must look like '5/minute' or be 0 (off)")
        positive = (
            "access_token_expire_minute",
            "refresh_token_expire_days",
            "workers",
            "order_payment_timeout_seconds",
            "order_expiry_interval_seconds",
            "password_hash_threads",
            "db_pool_size",
            "db_connect_timeout_seconds",
            "job_max_attempts",
            "job_lease_seconds",
            "job_poll_interval_ms",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise SettingsError(f"{name.upper()} must be at least 1")
        if self.job_lease_seconds < JOB_LEASE_MIN_SECONDS:
            raise SettingsError(
                f"JOB_LEASE_SECONDS must be at least {JOB_LEASE_MIN_SECONDS}: the provider timeout "
                f"({PROVIDER_TIMEOUT_SECONDS} s) plus a margin, so that no second worker takes over a "
                "refund still waiting on the provider"
            )
        if self.order_pending_limit < 0:
            raise SettingsError("ORDER_PENDING_LIMIT must be 0 (no limit) or more")
        if not 4 <= self.bcrypt_rounds <= 31:
            raise SettingsError("BCRYPT_ROUNDS must be from 4 to 31")
        if not 0 < self.port < 65536:
            raise SettingsError("PORT must be from 1 to 65535")
        if not 0 <= self.worker_metrics_port < 65536:
            raise SettingsError("WORKER_METRICS_PORT must be from 1 to 65535, or 0 (off)")
        if not _KEY_PREFIX.fullmatch(self.redis_key_prefix):
            raise SettingsError(
                "REDIS_KEY_PREFIX must be 1 to 100 printable characters without spaces, e.g. 'storefront:'"
            )
        if self.workers > 1 and not self.redis_url:
            raise SettingsError(
                "WORKERS > 1 needs REDIS_URL: without it sessions and rate limits live in each "
                "process's memory, and the workers would disagree about them"
            )
        self._validate_public_url()
        if self.is_prod:
            self._validate_prod_secrets()
        self._validate_payment_providers()

    def _validate_payment_providers(self) -> None:
        from adapters.clock import SystemUtcClock  # here, so settings load without the adapters
        from adapters.payments.registry import GATEWAYS, GatewayConfig, GatewaySettingsError, create_gateway

        known = ", ".join(sorted(GATEWAYS))
        enabled = self.payment_providers_enabled
        for name in enabled:
            if name not in GATEWAYS:
                raise SettingsError(f"PAYMENT_PROVIDERS names {name!r}, not a known provider ({known})")
        if len(set(enabled)) != len(enabled):
            raise SettingsError("PAYMENT_PROVIDERS names a provider twice")
        if self.default_payment_provider not in enabled:
            raise SettingsError(
                f"PAYMENT_PROVIDER {self.default_payment_provider!r} is not enabled "
                f"(PAYMENT_PROVIDERS: {', '.join(enabled)})"
            )
        config = GatewayConfig(
            self.payment_webhook_secret,
            self.public_base_url,
            SystemUtcClock(),
            self.provider_values,
            self.is_prod,
        )
        for name in enabled:
            try:
                create_gateway(name, config)
            except GatewaySettingsError as error:
                raise SettingsError(str(error)) from None

    def _validate_urls(self) -> None:
        from adapters.redis.client import url_problem as redis_url_problem  # as GATEWAYS above
        from adapters.sql.database import url_problem as database_url_problem

        if problem := database_url_problem(self.database_url):
            raise SettingsError(f"DATABASE_URL {problem}")
        if self.redis_url and (problem := redis_url_problem(self.redis_url)):
            raise SettingsError(f"REDIS_URL {problem}")

    def _validate_prod_secrets(self) -> None:
        secrets = {
            "SECRET_KEY": (self.secret_key, DEV_SECRET_KEY),
            "PAYMENT_WEBHOOK_SECRET": (self.payment_webhook_secret, DEV_WEBHOOK_SECRET),
        }
        for name, (value, default) in secrets.items():
            if value == default:
                raise SettingsError(
                    f"{name} is the development default; set a random secret for APP_ENV=prod"
                )
            if len(value.encode()) < MIN_SECRET_BYTES:
                raise SettingsError(
                    f"{name} is shorter than {MIN_SECRET_BYTES} bytes; APP_ENV=prod needs a long random one"
                )
        if self.bcrypt_rounds < 12:
            raise SettingsError("BCRYPT_ROUNDS must be at least 12 in APP_ENV=prod")

    def _validate_public_url(self) -> None:
        if self.public_url is not None:
            try:
                parts = urlsplit(self.public_url)
                valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
            except ValueError:
                valid = False
            if not valid or parts.query or parts.fragment or any(ch.isspace() for ch in self.public_url):
                raise SettingsError("PUBLIC_URL must be an absolute http(s) URL, e.g. https://shop.example")
        if self.is_prod and _is_wildcard(urlsplit(self.public_base_url).hostname):
            raise SettingsError(
                "PUBLIC_URL must be set to the address customers reach the app at (e.g. "
                "https://shop.example) in APP_ENV=prod: links it hands out would point at the "
                f"wildcard address {self.public_base_url}"
            )


def _is_wildcard(host: str | None) -> bool:
    """An empty host or an unspecified address (0.0.0.0, ::): fine to listen on, useless in a link."""
    if not host or host in ("0", "*"):
        return True
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


# Other spellings people write, accepted for a setting: alias → the setting's own name.
ALIASES = {"ACCESS_TOKEN_EXPIRE_MINUTES": "ACCESS_TOKEN_EXPIRE_MINUTE"}


def _resolve_aliases(values: Mapping[str, str]) -> Mapping[str, str]:
    """An alias counts as its setting; both given with different values is an error."""
    present = {alias: name for alias, name in ALIASES.items() if values.get(alias, "") != ""}
    if not present:
        return values
    resolved = dict(values)
    for alias, name in present.items():
        own = values.get(name, "")
        if own != "" and own.strip() != values[alias].strip():
            raise SettingsError(
                f"{name} ({own!r}) and {alias} ({values[alias]!r}) are both set and differ: "
                f"set only one ({alias} is another spelling of {name})"
            )
        resolved[name] = values[alias]
    return resolved


def _convert(name: str, kind: Any, raw: str) -> Any:
    kind = str(kind)
    try:
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("bool"):
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
    except ValueError:
        raise SettingsError(f"{name.upper()} has an invalid value: {raw!r}") from None
    return raw
