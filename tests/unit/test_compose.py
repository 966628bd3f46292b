"""compose.yaml cannot run here (no Docker engine), so check it agrees with Settings and ./dev."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec
import yaml

from marketplace.settings import PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def _resolve_defaults(value: str) -> str:
    """Substitute ${VAR:-default} with its default, as compose does when VAR is unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_services_and_volumes() -> None:
    compose = _compose()
    assert set(compose["services"]) == {"postgres", "meilisearch", "migrate", "web", "worker"}
    assert set(compose["volumes"]) == {"postgres-data", "meili-data"}
    for name in ("postgres", "meilisearch", "web"):
        assert "healthcheck" in compose["services"][name], name


def test_meilisearch_image_is_the_version_dev_pins() -> None:
    pinned = re.search(r"^MEILI_VERSION=(\S+)$", (ROOT / "dev").read_text(), re.M)
    assert pinned is not None
    assert _compose()["services"]["meilisearch"]["image"] == f"getmeili/meilisearch:v{pinned.group(1)}"


def test_web_and_worker_environment_is_valid_settings() -> None:
    fields = {PREFIX + f.name.upper() for f in msgspec.structs.fields(Settings)}
    for name in ("web", "worker"):
        env = {k: _resolve_defaults(str(v)) for k, v in _compose()["services"][name]["environment"].items()}
        assert set(env) <= fields, f"{name}: unknown variables {set(env) - fields}"
        settings = Settings.from_env(env)  # raises SettingsError naming any bad variable
        assert settings.env == "production"
        assert settings.meili_url == "http://meilisearch:7700"
        assert settings.database_url.startswith("postgresql://tradeyard_app:")
        assert "@postgres:5432/tradeyard" in settings.database_url


def test_ports_agree_between_services() -> None:
    services = _compose()["services"]
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]
    assert "--port" in services["web"]["command"]
    assert services["web"]["command"][services["web"]["command"].index("--port") + 1] == "8000"
    migrate_env = services["migrate"]["environment"]
    owner = urlsplit(_resolve_defaults(migrate_env["TRADEYARD_OWNER_DATABASE_URL"]))
    app = urlsplit(_resolve_defaults(services["web"]["environment"]["TRADEYARD_DATABASE_URL"]))
    assert (owner.hostname, owner.port, owner.path) == (app.hostname, app.port, app.path)
    assert owner.username == "tradeyard"
    assert app.username == "tradeyard_app"  # the app never connects as the owner
    assert "ensure-app-role" in services["migrate"]["command"][-1]
    assert _resolve_defaults(migrate_env["TRADEYARD_DATABASE_URL"]) == app.geturl()
    meili_key = _resolve_defaults(services["meilisearch"]["environment"]["MEILI_MASTER_KEY"])
    assert _resolve_defaults(services["web"]["environment"]["TRADEYARD_MEILI_API_KEY"]) == meili_key
