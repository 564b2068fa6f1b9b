"""PUBLIC_URL: the base of the links the app hands out; never a wildcard address in production."""

from __future__ import annotations

import pytest

from entrypoints.settings import Settings, SettingsError

STRONG = "k3Jq9v0cX2mZ7pLw4tYb8nR1sD6fGhUe"
PROD = {"APP_ENV": "prod", "SECRET_KEY": STRONG, "PAYMENT_WEBHOOK_SECRET": STRONG}


@pytest.mark.parametrize(
    ("environ", "base"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"HOST": "shop.internal", "PORT": "9000"}, "http://shop.internal:9000"),
        ({"HOST": "::1"}, "http://[::1]:8000"),
        ({"PUBLIC_URL": "https://shop.example"}, "https://shop.example"),
        ({"PUBLIC_URL": "https://shop.example/"}, "https://shop.example"),
        ({"PUBLIC_URL": "https://shop.example/store/", "HOST": "0.0.0.0"}, "https://shop.example/store"),
        ({"PUBLIC_URL": "http://[::1]:8080"}, "http://[::1]:8080"),
        ({"PUBLIC_URL": ""}, "http://127.0.0.1:8000"),
    ],
)
def test_the_public_base_url_is_public_url_else_the_listening_address(
    environ: dict[str, str], base: str
) -> None:
    assert Settings.from_mapping(environ).public_base_url == base
    assert Settings.from_mapping({**PROD, **environ}).public_base_url == base


@pytest.mark.parametrize(
    "environ",
    [
        {"HOST": "0.0.0.0"},
        {"HOST": "::"},
        {"HOST": "0.0.0.0", "PUBLIC_URL": ""},
        {"PUBLIC_URL": "http://0.0.0.0:8000"},
        {"PUBLIC_URL": "http://[::]:8000"},
        {"PUBLIC_URL": "https://0.0.0.0"},
    ],
)
def test_prod_refuses_a_wildcard_public_address_in_one_line_naming_public_url(
    environ: dict[str, str],
) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_mapping({**PROD, **environ})
    message = str(refused.value)
    assert message.startswith("PUBLIC_URL ") and "\n" not in message
    assert "APP_ENV=prod" in message
    Settings.from_mapping(environ)  # development listens on 0.0.0.0 happily


@pytest.mark.parametrize(
    "value",
    [
        "shop.example",
        "ftp://shop.example",
        "https://",
        "http://:8000",
        "https://shop.example:99999",
        "https://shop.example:0",
        "https://shop.example/?a=1",
        "https://shop.example/#top",
        "https://shop .example",
    ],
)
def test_a_malformed_public_url_stops_the_start_in_every_env(value: str) -> None:
    for base in ({}, PROD):
        with pytest.raises(SettingsError, match=r"^PUBLIC_URL must be an absolute http\(s\) URL"):
            Settings.from_mapping({**base, "PUBLIC_URL": value})
