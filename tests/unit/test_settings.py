from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import load_settings


def test_defaults_follow_the_design(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("CONGKHAI_DATABASE_URL", "CONGKHAI_TELEGRAM_TOKEN", "CONGKHAI_ZALO_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///congkhai.db"
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 8080)
    assert settings.timezone == "Asia/Ho_Chi_Minh"
    assert not settings.has_messenger_token


def test_read_from_dotenv_and_secrets_stay_hidden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CONGKHAI_TELEGRAM_TOKEN", raising=False)
    token = "123456789:" + "A" * 35
    (tmp_path / ".env").write_text(
        f"CONGKHAI_TELEGRAM_TOKEN={token}\nCONGKHAI_WEB_PORT=9090\nCONGKHAI_ORG_NAME=Sở KH&CN\n", encoding="utf-8"
    )
    settings = load_settings()
    assert settings.web_port == 9090 and settings.org_name == "Sở KH&CN"
    assert settings.telegram_token is not None and settings.telegram_token.get_secret_value() == token
    assert token not in repr(settings) and token not in str(settings.model_dump())
    assert settings.has_messenger_token


def test_environment_wins_over_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("CONGKHAI_WEB_PORT=9090\n", encoding="utf-8")
    monkeypatch.setenv("CONGKHAI_WEB_PORT", "7070")
    assert load_settings().web_port == 7070
