"""Server settings: defaults that are safe for a desk-side install, overridable from the environment
(CLAUSECHECK_*, DATABASE_URL) and then from `clausecheck serve` options."""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

MB = 1024 * 1024
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def _env_num(name: str, default, kind=int):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        raise SystemExit(f"环境变量 {name} 的值无效：{raw!r} / invalid value for {name}") from None


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name we did not resolve: treat as reachable from elsewhere


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    db_path: str = "clausecheck.sqlite3"
    database_url: str | None = None  # overrides db_path (e.g. PostgreSQL)
    keep_uploads: bool = False  # keep the uploaded file and its text with the review
    retention_days: float = 30  # reviews older than this are purged; 0 keeps them forever
    purge_interval_s: float = 3600
    max_upload_bytes: int = 50 * MB
    max_batch_bytes: int = 100 * MB  # body limit for /v1/batches (matches service/batch/archive.py)
    max_pages: int = 2000
    max_ocr_pages: int = 200
    max_characters: int = 1_000_000  # text longer than this is refused (413) before it is reviewed
    review_timeout_s: float = 120  # per document, once a worker has it
    workers: int = field(default_factory=lambda: max(1, min(4, (os.cpu_count() or 2) - 1)))
    queue_size: int = 16  # requests waiting for a worker beyond those being worked on
    pool_kind: str = "process"  # process | thread (thread: tests and platforms without fork)
    allowed_hosts: tuple[str, ...] = ()  # extra Host header values accepted in open (no-token) mode

    @property
    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return "sqlite:///" + str(Path(self.db_path).expanduser().resolve())

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def with_(self, **changes) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def from_env(**overrides) -> Settings:
    base = Settings()
    s = Settings(
        host=os.environ.get("CLAUSECHECK_HOST", base.host),
        port=_env_num("CLAUSECHECK_PORT", base.port),
        db_path=os.environ.get("CLAUSECHECK_DB", base.db_path),
        database_url=os.environ.get("DATABASE_URL") or None,
        keep_uploads=_env_bool("CLAUSECHECK_KEEP_UPLOADS", base.keep_uploads),
        retention_days=_env_num("CLAUSECHECK_RETENTION_DAYS", base.retention_days, float),
        purge_interval_s=_env_num("CLAUSECHECK_PURGE_INTERVAL", base.purge_interval_s, float),
        max_upload_bytes=int(_env_num("CLAUSECHECK_MAX_UPLOAD_MB", base.max_upload_bytes / MB, float) * MB),
        max_batch_bytes=int(_env_num("CLAUSECHECK_MAX_BATCH_MB", base.max_batch_bytes / MB, float) * MB),
        max_pages=_env_num("CLAUSECHECK_MAX_PAGES", base.max_pages),
        max_ocr_pages=_env_num("CLAUSECHECK_MAX_OCR_PAGES", base.max_ocr_pages),
        max_characters=_env_num("CLAUSECHECK_MAX_CHARS", base.max_characters),
        review_timeout_s=_env_num("CLAUSECHECK_REVIEW_TIMEOUT", base.review_timeout_s, float),
        workers=_env_num("CLAUSECHECK_WORKERS", base.workers),
        queue_size=_env_num("CLAUSECHECK_QUEUE", base.queue_size),
        pool_kind=os.environ.get("CLAUSECHECK_POOL", base.pool_kind),
        allowed_hosts=tuple(h.strip() for h in os.environ.get("CLAUSECHECK_ALLOWED_HOSTS", "").split(",") if h.strip()),
    )
    return s.with_(**overrides)
