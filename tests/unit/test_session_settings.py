from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.settings import Settings, SettingsError


def test_several_workers_without_redis_are_refused_with_the_reason() -> None:
    with pytest.raises(SettingsError, match="WORKERS > 1 needs REDIS_URL"):
        Settings.from_mapping({"WORKERS": "2"})


def test_several_workers_with_redis_and_one_worker_without_it_are_fine() -> None:
    assert Settings.from_mapping({"WORKERS": "4", "REDIS_URL": "redis://cache:6379/0"}).workers == 4
    assert Settings.from_mapping({"WORKERS": "1"}).redis_url is None


@pytest.mark.parametrize("name", ["RATE_LIMIT_LOGIN", "RATE_LIMIT_REGISTER", "RATE_LIMIT_API"])
@pytest.mark.parametrize("value", ["0", "5/minute", "10 / 2 minutes", "1000/hour"])
def test_rate_limits_take_the_limits_notation_or_zero(name: str, value: str) -> None:
    Settings.from_mapping({name: value})


@pytest.mark.parametrize("value", ["5", "five/minute", "5/fortnight", "-1/minute"])
def test_a_malformed_rate_limit_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="RATE_LIMIT_LOGIN"):
        Settings.from_mapping({"RATE_LIMIT_LOGIN": value})


def test_redis_keys_go_under_storefront_unless_another_prefix_is_given() -> None:
    assert Settings.from_mapping({}).redis_key_prefix == "storefront:"
    assert Settings.from_mapping({"REDIS_KEY_PREFIX": "shop-a:"}).redis_key_prefix == "shop-a:"


@pytest.mark.parametrize("value", ["with space:", "x" * 101, "tab\t:"])
def test_a_malformed_redis_key_prefix_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="REDIS_KEY_PREFIX"):
        Settings.from_mapping({"REDIS_KEY_PREFIX": value})


def test_access_token_expire_minutes_is_another_spelling_of_the_setting() -> None:
    assert Settings.from_mapping({"ACCESS_TOKEN_EXPIRE_MINUTES": "45"}).access_token_expire_minute == 45
    assert Settings.from_mapping({"ACCESS_TOKEN_EXPIRE_MINUTE": "45"}).access_token_expire_minute == 45
    both = {"ACCESS_TOKEN_EXPIRE_MINUTE": "45", "ACCESS_TOKEN_EXPIRE_MINUTES": "45"}
    assert Settings.from_mapping(both).access_token_expire_minute == 45


def test_both_spellings_with_different_values_refuse_to_start_naming_both() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_mapping({"ACCESS_TOKEN_EXPIRE_MINUTE": "10", "ACCESS_TOKEN_EXPIRE_MINUTES": "60"})
    assert "ACCESS_TOKEN_EXPIRE_MINUTE ('10')" in str(refused.value)
    assert "ACCESS_TOKEN_EXPIRE_MINUTES ('60')" in str(refused.value)


def test_the_alias_is_checked_like_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="ACCESS_TOKEN_EXPIRE_MINUTE"):
        Settings.from_mapping({"ACCESS_TOKEN_EXPIRE_MINUTES": "soon"})
    env_file = tmp_path / ".env"
    env_file.write_text("ACCESS_TOKEN_EXPIRE_MINUTES=30\n")
    assert Settings.load({}, env_file).access_token_expire_minute == 30
    with pytest.raises(SettingsError, match="both set"):
        Settings.load({"ACCESS_TOKEN_EXPIRE_MINUTE": "10"}, env_file)


def test_the_job_lease_outlasts_the_provider_timeout() -> None:
    with pytest.raises(SettingsError, match="JOB_LEASE_SECONDS must be at least 15"):
        Settings.from_mapping({"JOB_LEASE_SECONDS": "14"})
    assert Settings.from_mapping({"JOB_LEASE_SECONDS": "15"}).job_lease_seconds == 15
