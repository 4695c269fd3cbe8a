"""Runtime settings, read from the environment or a ``.env`` file (prefix ``CONGKHAI_``).

Secrets (tokens, the webhook secret, the secret key) are ``SecretStr`` so that they
never appear in a repr, a log line or a traceback.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cached_property
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONGKHAI_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    database_url: str = "sqlite+aiosqlite:///congkhai.db"
    telegram_token: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org/bot"
    zalo_token: SecretStr | None = None
    zalo_api_base: str = "https://bot-api.zaloplatforms.com/bot"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    public_url: str | None = Field(
        default=None, description="the address people open in a browser (dashboard links); default http://WEB_HOST:WEB_PORT"
    )
    timezone: str = "Asia/Ho_Chi_Minh"
    org_name: str = "Cơ quan"
    secret_key: SecretStr | None = None
    bot_username: str | None = Field(
        default=None, description="Telegram @username, for deep links; read from getMe when unset"
    )
    send_rate: float = Field(default=25.0, gt=0, description="messages per second, all chats")
    chat_send_rate: float = Field(
        default=1.0, ge=0, description="messages per second to one chat (Telegram: 1); 0 switches the spacing off"
    )
    chat_send_burst: float = Field(default=1.0, ge=1, description="messages one chat may get at once")
    reminder_time: dt.time = Field(default=dt.time(14, 0), description="local time of the daily reminder")
    last_call_days: int = Field(default=2, ge=1, le=10, description="working days of last call before the end")

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def deployment_key(self) -> bytes | None:
        """The key of the keyed hashes kept in the database, from ``SECRET_KEY``: the same in
        every process of one deployment and on the command line. None without it."""
        key = self.secret_key
        return hashlib.sha256(key.get_secret_value().encode()).digest() if key is not None else None

    @property
    def dashboard_base_url(self) -> str:
        """Where the dashboard's one-time links point."""
        return (self.public_url or f"http://{self.web_host}:{self.web_port}").rstrip("/")

    @property
    def has_messenger_token(self) -> bool:
        return self.telegram_token is not None or self.zalo_token is not None


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (CLI options, tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
