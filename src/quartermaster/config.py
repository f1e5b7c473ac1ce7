"""Settings, read from the environment (prefix ``QM_``) or given explicitly; nothing is read at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of a deployment. ``database_url`` wins over ``data_dir``."""

    model_config = SettingsConfigDict(env_prefix="QM_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Embedded database and blobs live here.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; overrides data_dir's SQLite.")
    blob_backend: str = Field(default="local", description="BlobStore backend: 'local' (disk under data_dir).")
    blob_dir: Path | None = Field(default=None, description="Directory of the local BlobStore.")
    codelists_dir: Path | None = Field(
        default=None, description="Directory with official code lists (cpv2008.csv, fsc_classes.csv, ...)."
    )
    ocid_prefix: str = Field(default="ocds-qm0000", description="OCDS ocid prefix of this publisher.")
    scheduler_interval_seconds: float = Field(default=1.0, gt=0)
    run_scheduler: bool = Field(default=True, description="Run the in-process scheduler in `serve`/`demo`.")
    max_body_bytes: int = Field(default=2 * 1024 * 1024, description="Largest accepted JSON request body.")
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, description="Largest accepted document upload.")
    log_origin: str | None = Field(
        default=None, description="Origin (name) of the transparency log; default quartermaster.local/<ocid_prefix>."
    )
    log_key_file: Path | None = Field(
        default=None, description="Ed25519 signing key of the log's checkpoints; default <data_dir>/log-signing.key."
    )
    opening_vault_file: Path | None = Field(
        default=None,
        description="Key that wraps platform-held opening keys (small unmarked tenders); default "
        "<data_dir>/opening-vault.key. Keep it off the database's machine and backups: with it and a database dump, "
        "such a tender's bids open before the deadline.",
    )
    report_font: Path | None = Field(
        default=None, description="TrueType font with Cyrillic for PDF reports; default a system DejaVu Sans."
    )
    disclosure_policy: Path | None = Field(
        default=None, description="Disclosure policy TOML file; default the shipped, versioned policy."
    )
    feed_poll_seconds: float = Field(default=0.5, gt=0, description="How often the SSE feed looks for changes.")
    publisher_name: str = Field(default="Quartermaster demo publisher", description="OCDS publisher name.")
    public_url: str = Field(default="http://127.0.0.1:8000", description="Base URL the public reaches this server at.")
    cookie_secure: bool | None = Field(
        default=None,
        description="Mark the web interface's cookies Secure (sent over https only). Default: when public_url is "
        "https (or the request itself came over https); set false for plain http, true behind a TLS proxy.",
    )

    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL this deployment uses."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'quartermaster.db').resolve()}"

    def resolved_log_origin(self) -> str:
        """The transparency log's origin line (and its key's name)."""
        return self.log_origin or f"quartermaster.local/{self.ocid_prefix}"

    def secure_cookies(self, request_scheme: str | None = None) -> bool:
        """Whether cookies get the Secure flag: ``cookie_secure`` when set, else whether ``public_url`` (or the
        request, given its scheme) is https."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.public_url.strip().lower().startswith("https://") or request_scheme == "https"

    def resolved_vault_file(self) -> Path:
        """Where the opening-key vault's key lives."""
        return self.opening_vault_file if self.opening_vault_file is not None else self.data_dir / "opening-vault.key"

    def resolved_blob_dir(self) -> Path:
        """Where the local BlobStore keeps document contents."""
        return self.blob_dir if self.blob_dir is not None else self.data_dir / "blobs"


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (CLI flags) taking precedence."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
