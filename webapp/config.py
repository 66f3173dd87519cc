"""Settings, read from the environment (TINDAK_*) in this one place, with safe defaults."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'instance' / 'tindak.db'}"


@dataclass
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    bpmn_dir: Path = Path("bpmn")
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 5000
    secure_cookies: bool = False  # set TINDAK_SECURE_COOKIES=1 behind HTTPS
    behind_proxy: bool = False  # set TINDAK_BEHIND_PROXY=1 behind nginx/Caddy (X-Forwarded-*)
    ratelimit_storage_uri: str = ""  # "": the app's database, shared by every web process; or redis://, memory://
    ratelimit_enabled: bool = True
    workers: int = 2
    web_threads: int = 8  # threads per web process (gunicorn gthread)
    public_url: str = ""  # how reporters reach Tindak, for links in e-mails
    attachment_dir: Path = Path("instance/attachments")
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "Tindak <tindak@localhost>"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    open311_jurisdiction: str = ""  # default: the host of TINDAK_PUBLIC_URL
    remember_days: int = 30  # how long "keep me logged in" (and any session) lasts; at most 30
    api_token_days: int = 90  # how long a new personal API token works
    design_upload_dir: Path | None = None  # designers' uploads; default: under the system's temp folder

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        settings = cls()
        settings.database_url = env.get("TINDAK_DATABASE_URL") or settings.database_url
        settings.bpmn_dir = Path(env.get("TINDAK_BPMN_DIR", "bpmn"))
        # without a configured key, sessions last until the process restarts (safe, not handy)
        settings.secret_key = env.get("TINDAK_SECRET_KEY") or secrets.token_hex(32)
        settings.host = env.get("TINDAK_HOST", settings.host)
        settings.port = int(env.get("PORT") or env.get("TINDAK_PORT") or settings.port)
        settings.secure_cookies = _flag(env.get("TINDAK_SECURE_COOKIES"))
        settings.behind_proxy = _flag(env.get("TINDAK_BEHIND_PROXY"))
        settings.ratelimit_storage_uri = env.get("TINDAK_RATELIMIT_STORAGE_URI", settings.ratelimit_storage_uri)
        settings.workers = int(env.get("TINDAK_WEB_WORKERS", settings.workers))
        settings.web_threads = int(env.get("TINDAK_WEB_THREADS", settings.web_threads))
        settings.public_url = (env.get("TINDAK_PUBLIC_URL") or f"http://{settings.host}:{settings.port}").rstrip("/")
        settings.attachment_dir = Path(env.get("TINDAK_ATTACHMENT_DIR") or Path.cwd() / "instance" / "attachments")
        settings.smtp_host = env.get("TINDAK_SMTP_HOST", "")
        settings.smtp_port = int(env.get("TINDAK_SMTP_PORT") or 25)
        settings.smtp_sender = env.get("TINDAK_SMTP_FROM", settings.smtp_sender)
        settings.smtp_username = env.get("TINDAK_SMTP_USERNAME", "")
        settings.smtp_password = env.get("TINDAK_SMTP_PASSWORD", "")
        settings.smtp_starttls = _flag(env.get("TINDAK_SMTP_STARTTLS"))
        settings.open311_jurisdiction = env.get("TINDAK_OPEN311_JURISDICTION", "")
        settings.remember_days = max(1, min(30, int(env.get("TINDAK_REMEMBER_DAYS") or 30)))
        settings.api_token_days = max(1, int(env.get("TINDAK_API_TOKEN_DAYS") or 90))
        upload_dir = env.get("TINDAK_DESIGN_UPLOAD_DIR")
        settings.design_upload_dir = Path(upload_dir) if upload_dir else None
        return settings

    def smtp(self):
        """SMTP settings for the worker, or None when no server is configured."""
        from workflows.outbox import SmtpSettings

        if not self.smtp_host:
            return None
        return SmtpSettings(host=self.smtp_host, port=self.smtp_port, sender=self.smtp_sender,
                            username=self.smtp_username or None, password=self.smtp_password or None,
                            starttls=self.smtp_starttls)

    def ensure_instance_folder(self) -> None:
        """Create the folder of a SQLite database file (0700) and the empty file (0600) if missing.

        SQLite creates its -wal and -shm files with the main file's mode, so they stay private too.
        An existing folder or file keeps the mode the operator gave it.
        """
        if self.database_url.startswith("sqlite:///"):
            path = Path(self.database_url.removeprefix("sqlite:///"))
            if str(path) in ("", ":memory:"):
                return
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                pass
