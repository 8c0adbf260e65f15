"""The app under test in-process (FastAPI TestClient), shared by the API test modules."""
from __future__ import annotations

from service.settings import Settings


def settings(tmp_path, **kw) -> Settings:
    """Settings for an in-process app: its own SQLite file, thread pool, the TestClient's host."""
    base = dict(db_path=str(tmp_path / "cc.sqlite3"), pool_kind="thread", workers=2, queue_size=4,
                allowed_hosts=("testserver",), retention_days=30)
    base.update(kw)
    return Settings(**base)
