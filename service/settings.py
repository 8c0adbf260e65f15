"""Server settings: defaults that are safe for a desk-side install, overridable from the environment
(CLAUSECHECK_*, DATABASE_URL) and then from `clausecheck serve` options."""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

MB = 1024 * 1024
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
DEFAULT_MEMORY_MB = 1536  # per review process (RLIMIT_AS); service.limits has the same default


def usable_cpus() -> int:
    """Cores this process may run on: its CPU affinity, further capped by a cgroup CPU quota
    (`docker run --cpus 2` leaves the affinity at every host core)."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            n = min(n, max(1, int(int(quota) / int(period) + 0.5)))
    except (OSError, ValueError):
        pass
    return max(1, n)


def _memory_bytes() -> int | None:
    """Physical memory, or the cgroup's memory limit when lower."""
    total = None
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        pass
    try:
        raw = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if raw != "max":
            total = min(total or int(raw), int(raw))
    except (OSError, ValueError):
        pass
    return total


def default_workers(memory_mb: int | None = None) -> int:
    """One review process per usable core (a review is single-threaded CPU work), but no more than
    the memory can hold if every one of them reached its memory limit at once."""
    n = usable_cpus()
    memory_mb = DEFAULT_MEMORY_MB if memory_mb is None else memory_mb
    total = _memory_bytes()
    if memory_mb > 0 and total:
        n = min(n, max(1, int(total * 0.9) // (memory_mb * MB)))
    return n


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


def env_workers() -> int | None:
    """CLAUSECHECK_WORKERS when set (a positive number), else None."""
    n = _env_num("CLAUSECHECK_WORKERS", None)
    if n is not None and n < 1:
        raise SystemExit(f"环境变量 CLAUSECHECK_WORKERS 必须为正整数：{n} / must be a positive number")
    return n


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
    max_memory_mb: int = DEFAULT_MEMORY_MB  # address-space limit of each review process; 0: none
    max_cpu_s: float | None = None  # CPU time of one review; None: the same as review_timeout_s
    workers: int = field(default_factory=default_workers)
    queue_size: int = 16  # requests waiting for a worker beyond those being worked on
    pool_kind: str = "process"  # process | thread (thread: tests and platforms without fork)
    allowed_hosts: tuple[str, ...] = ()  # extra Host header values accepted in open (no-token) mode
    # origins (scheme://host[:port]) whose pages may POST here besides our own, e.g. behind a proxy
    # that rewrites Host
    trusted_origins: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return "sqlite:///" + str(Path(self.db_path).expanduser().resolve())

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    @property
    def limits(self):
        from .limits import WorkLimits

        return WorkLimits(memory_mb=self.max_memory_mb, cpu_seconds=self.max_cpu_s)

    def with_(self, **changes) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _csv_env(name: str) -> tuple[str, ...]:
    return tuple(h.strip() for h in os.environ.get(name, "").split(",") if h.strip())


def from_env(**overrides) -> Settings:
    base = Settings(workers=1)  # the real default depends on the memory limit below
    memory_mb = _env_num("CLAUSECHECK_MAX_MEMORY_MB", base.max_memory_mb)
    if memory_mb < 0:
        raise SystemExit("环境变量 CLAUSECHECK_MAX_MEMORY_MB 不能为负数 / must not be negative")
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
        max_memory_mb=memory_mb,
        max_cpu_s=_env_num("CLAUSECHECK_MAX_CPU_SECONDS", 0.0, float) or None,
        workers=env_workers() or default_workers(memory_mb),
        queue_size=_env_num("CLAUSECHECK_QUEUE", base.queue_size),
        pool_kind=os.environ.get("CLAUSECHECK_POOL", base.pool_kind),
        allowed_hosts=_csv_env("CLAUSECHECK_ALLOWED_HOSTS"),
        trusted_origins=_csv_env("CLAUSECHECK_TRUSTED_ORIGINS"),
    )
    return s.with_(**overrides)
