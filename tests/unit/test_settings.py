"""Settings: parsed from TRADEYARD_* variables; a bad one stops start-up naming the variable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from marketplace.settings import Settings, SettingsError

VALID = {
    "TRADEYARD_DATABASE_URL": "postgresql://u:p@127.0.0.1:54329/db?sslmode=disable",
    "TRADEYARD_MEILI_URL": "http://127.0.0.1:7729",
    "TRADEYARD_MEILI_API_KEY": "key",
    "TRADEYARD_SECRET_KEY": "s" * 40,
}


def test_valid_environment_parses_with_types_and_defaults() -> None:
    s = Settings.from_env({**VALID, "TRADEYARD_SMTP_PORT": "2525", "TRADEYARD_DB_POOL_MAX": "20"})
    assert s.smtp_port == 2525
    assert s.db_pool_max == 20
    assert s.db_pool_min == 2
    assert s.env == "development"


def test_settings_are_frozen() -> None:
    s = Settings.from_env(VALID)
    with pytest.raises(AttributeError):
        s.smtp_port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("TRADEYARD_SMTP_PORT", "twenty-five", "TRADEYARD_SMTP_PORT is invalid: Expected `int`"),
        ("TRADEYARD_SMTP_PORT", "70000", "TRADEYARD_SMTP_PORT is invalid"),
        ("TRADEYARD_DB_POOL_MAX", "0", "TRADEYARD_DB_POOL_MAX is invalid"),
        ("TRADEYARD_DATABASE_URL", "postgresql://u:p@127.0.0.1:notaport/db", "TRADEYARD_DATABASE_URL is invalid"),
        ("TRADEYARD_DATABASE_URL", "mysql://u:p@127.0.0.1/db", "TRADEYARD_DATABASE_URL is invalid"),
        ("TRADEYARD_MEILI_URL", "127.0.0.1:7700", "TRADEYARD_MEILI_URL is invalid"),
        ("TRADEYARD_SECRET_KEY", "too-short", "TRADEYARD_SECRET_KEY is invalid"),
        ("TRADEYARD_ENV", "prod", "TRADEYARD_ENV is invalid"),
        ("TRADEYARD_SEARCH_INDEX_PREFIX", "Bad Prefix!", "TRADEYARD_SEARCH_INDEX_PREFIX is invalid"),
        ("TRADEYARD_DB_POOL_MIN", "50", "TRADEYARD_DB_POOL_MIN is invalid"),
    ],
)
def test_a_bad_setting_is_named_in_one_line(variable: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({**VALID, variable: value})
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message


@pytest.mark.parametrize("missing", sorted(VALID))
def test_a_missing_required_setting_is_named(missing: str) -> None:
    env = {k: v for k, v in VALID.items() if k != missing}
    with pytest.raises(SettingsError, match=f"^{missing} is required but not set$"):
        Settings.from_env(env)


def test_start_up_stops_with_one_clear_line() -> None:
    """The real entry point: a non-numeric port stops `python -m marketplace serve` before serving."""
    env = {**VALID, "TRADEYARD_SMTP_PORT": "abc", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "marketplace", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["tradeyard: configuration error: TRADEYARD_SMTP_PORT is invalid: Expected `int`, got `str`"]


def test_worker_start_up_stops_with_one_clear_line() -> None:
    env = {k: v for k, v in VALID.items() if k != "TRADEYARD_MEILI_URL"} | {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "marketplace.worker"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "tradeyard: configuration error: TRADEYARD_MEILI_URL is required but not set"
