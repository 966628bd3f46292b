"""Process configuration, read once from environment variables by ``create_app()`` and the worker.

Every setting is a ``TRADEYARD_*`` variable. ``Settings.from_env()`` validates them all and raises
``SettingsError`` with one line naming the first bad variable, so start-up fails loudly and clearly.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from typing import Annotated, Literal
from urllib.parse import urlsplit

import msgspec

PREFIX = "TRADEYARD_"

Environment = Literal["development", "test", "production"]


class SettingsError(Exception):
    """A missing or malformed setting; ``str(error)`` is one line naming the variable."""


def _url(value: str, *, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"expected a {'/'.join(schemes)} URL with a host")
    _ = parts.port  # raises ValueError on a non-numeric port
    return value


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything a web or worker process needs to know about its surroundings."""

    env: Environment = "development"
    database_url: str
    db_pool_min: Annotated[int, msgspec.Meta(ge=1, le=100)] = 2
    db_pool_max: Annotated[int, msgspec.Meta(ge=1, le=500)] = 10
    meili_url: str
    meili_api_key: Annotated[str, msgspec.Meta(min_length=1)]
    search_index_prefix: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{0,40}$")] = ""
    secret_key: Annotated[str, msgspec.Meta(min_length=32)]
    public_base_url: str = "http://127.0.0.1:8000"
    smtp_host: str = "127.0.0.1"
    smtp_port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 1025
    smtp_from: str = "Tradeyard <no-reply@tradeyard.test>"
    smtp_sink_dir: str = ""
    """Development only: the worker runs an SMTP sink on smtp_host:smtp_port writing mails here."""
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    bid_sealing_key: str = ""
    """Base64 of 32 bytes: the key that encrypts each tender's own key (rfq/sealing.py). Keep it outside the
    database (a secret store), so a database dump cannot open sealed bids. Empty: derived from secret_key."""
    storage_dir: str = ".data/storage"
    """Where uploaded files live (LocalStorage)."""
    rfq_file_max_bytes: Annotated[int, msgspec.Meta(ge=1024, le=100 * 1024 * 1024)] = 25 * 1024 * 1024
    """Largest file a buyer attaches to a request or a vendor to a bid (sealed files are encrypted in memory)."""
    log_format: Literal["console", "json"] = "console"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    def __post_init__(self) -> None:
        checks: dict[str, Callable[[str], str]] = {
            "database_url": lambda v: _url(v, schemes=("postgres", "postgresql")),
            "meili_url": lambda v: _url(v, schemes=("http", "https")),
            "public_base_url": lambda v: _url(v, schemes=("http", "https")),
        }
        for field, check in checks.items():
            try:
                check(getattr(self, field))
            except ValueError as exc:
                raise msgspec.ValidationError(f"{exc} - at `$.{field}`") from None
        if self.stripe_api_base:
            try:
                _url(self.stripe_api_base, schemes=("http", "https"))
            except ValueError as exc:
                raise msgspec.ValidationError(f"{exc} - at `$.stripe_api_base`") from None
        if self.bid_sealing_key:
            try:
                if len(base64.b64decode(self.bid_sealing_key, validate=True)) != 32:
                    raise ValueError
            except ValueError:
                raise msgspec.ValidationError("expected base64 of 32 bytes - at `$.bid_sealing_key`") from None
        if self.db_pool_min > self.db_pool_max:
            raise msgspec.ValidationError("must not exceed DB_POOL_MAX - at `$.db_pool_min`")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate ``TRADEYARD_*`` variables; raises ``SettingsError`` naming the bad one."""
        environ = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        for field in msgspec.structs.fields(cls):
            value = environ.get(PREFIX + field.name.upper())
            if value is not None and value != "":
                raw[field.name] = value
        try:
            # strict=False lets "5" become 5 for integer fields, and nothing looser.
            return msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(_one_line(str(exc))) from None

    @property
    def is_production(self) -> bool:
        return self.env == "production"


def _one_line(message: str) -> str:
    """Turn msgspec's "Expected `int`, got `str` - at `$.smtp_port`" into a line naming the variable."""
    reason, _, where = message.partition(" - at `$.")
    field = where.rstrip("`").split(".", 1)[0].split("[", 1)[0]
    if not field:  # "Object missing required field `database_url`"
        missing = reason.rpartition("`")[0].rpartition("`")[2]
        if missing:
            return f"{PREFIX}{missing.upper()} is required but not set"
        return f"invalid settings: {message}"
    return f"{PREFIX}{field.upper()} is invalid: {reason}"
