"""YooKassa's settings, read from the environment and checked when the provider is enabled."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from adapters.payments.registry_errors import GatewaySettingsError, required

DEFAULT_API_URL = "https://api.yookassa.ru/v3"
# The addresses YooKassa sends notifications from, as its documentation publishes them
# ("Notifications", section on checking the sender's IP address).
DEFAULT_TRUSTED_NETWORKS = (
    "185.71.76.0/27",
    "185.71.77.0/27",
    "77.75.153.0/25",
    "77.75.156.11/32",
    "77.75.156.35/32",
    "77.75.154.128/25",
    "2a02:5180::/32",
)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class YooKassaSettings:
    """`YOOKASSA_SHOP_ID` and `YOOKASSA_SECRET_KEY` (required), `YOOKASSA_API_URL`,
    `YOOKASSA_RETURN_URL` (default: the app's public URL + `/`), `YOOKASSA_TRUSTED_NETWORKS`
    (comma-separated CIDRs; default: YooKassa's published ranges)."""

    shop_id: str
    secret_key: str
    api_url: str = DEFAULT_API_URL
    return_url: str = "http://127.0.0.1:8000/"
    trusted_networks: tuple[Network, ...] = ()
    timeout_seconds: float = 10.0

    @classmethod
    def from_values(cls, values: Mapping[str, str], public_url: str) -> YooKassaSettings:
        """Build and check; `GatewaySettingsError` names the first missing or wrong variable."""

        def value(name: str) -> str:
            return values.get(name, "").strip()

        shop_id = required(values, "YOOKASSA_SHOP_ID", "yookassa")
        secret_key = required(values, "YOOKASSA_SECRET_KEY", "yookassa")
        api_url = value("YOOKASSA_API_URL") or DEFAULT_API_URL
        return_url = value("YOOKASSA_RETURN_URL") or public_url.rstrip("/") + "/"
        for name, url in (("YOOKASSA_API_URL", api_url), ("YOOKASSA_RETURN_URL", return_url)):
            if not _is_http_url(url):
                raise GatewaySettingsError(f"{name} must be an absolute http(s) URL, not {url!r}")
        networks = value("YOOKASSA_TRUSTED_NETWORKS") or ",".join(DEFAULT_TRUSTED_NETWORKS)
        return cls(
            shop_id=shop_id,
            secret_key=secret_key,
            api_url=api_url.rstrip("/"),
            return_url=return_url,
            trusted_networks=parse_networks(networks),
        )


def parse_networks(raw: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs (a bare address is one host); host bits set are an error."""
    networks: list[Network] = []
    for item in raw.split(","):
        text = item.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=True))
        except ValueError as error:
            raise GatewaySettingsError(
                f"YOOKASSA_TRUSTED_NETWORKS: {text!r} is not a network ({error})"
            ) from None
    if not networks:
        raise GatewaySettingsError("YOOKASSA_TRUSTED_NETWORKS must name at least one network")
    return tuple(networks)


def is_trusted(client_ip: str | None, networks: tuple[Network, ...]) -> bool:
    """Whether the sender's address lies in one of `networks` (IPv4-mapped IPv6 counts as IPv4)."""
    if not client_ip:
        return False
    try:
        address = ipaddress.ip_address(client_ip.strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == network.version and address in network for network in networks)


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return (
            parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in url)
        )
    except ValueError:
        return False
