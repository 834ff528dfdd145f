"""Runtime settings, read from ``ECOCREDIT_*`` environment variables (or a ``.env`` file)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the data lives, what the log is called and where the server listens."""

    model_config = SettingsConfigDict(env_prefix="ECOCREDIT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("var"), description="Directory of the database and signing key.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means a SQLite file in the data directory."
    )
    log_origin: str = Field(
        "ecocredit.localhost/log",
        description="The log's origin line in checkpoints; also the signing key's name.",
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    checkpoint_interval: float = Field(
        1.0, gt=0, description="Seconds between checkpoints signed after a burst of writes."
    )

    @field_validator("log_origin")
    @classmethod
    def _origin_is_a_key_name(cls, value: str) -> str:
        if not value or any(c.isspace() or c == "+" for c in value):
            raise ValueError("log origin must be non-empty, with no spaces and no '+'")
        return value

    @property
    def url(self) -> str:
        """The database URL in force."""
        return self.database_url or f"sqlite:///{self.data_dir / 'ecocredit.db'}"

    @property
    def signing_key_path(self) -> Path:
        """The log's private signing key (mode 0600; never leaves the data directory)."""
        return self.data_dir / "log-signing.key"


def get_settings() -> Settings:
    """Read the settings from the environment now (never cached at import)."""
    return Settings()
