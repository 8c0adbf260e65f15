"""Storage of reviews and API tokens (SQLAlchemy 2; schema owned by the Alembic migrations in
service/migrations, which run at start-up). SQLite by default, any SQLAlchemy URL via DATABASE_URL."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import (DateTime, Integer, LargeBinary, String, Text, create_engine, delete, event, func,
                        select)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

HERE = Path(__file__).parent


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class ReviewRow(Base):
    __tablename__ = "reviews"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(16))
    profile: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str | None] = mapped_column(String(32), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)  # token name, for the audit trail
    review: Mapped[str] = mapped_column(Text)  # the review object as JSON
    document_text: Mapped[str | None] = mapped_column(Text, nullable=True)  # only when retention is on
    upload: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # only when retention is on


class TokenRow(Base):
    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def _as_utc(dt: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone=True columns
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):  # WAL lets the page read while a review is being written
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Store:
    def __init__(self, url: str):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(url)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # reviews

    def add_review(self, review: dict, *, size: int, owner: str | None, text: str | None,
                   upload: bytes | None) -> tuple[str, datetime]:
        rid, now = uuid.uuid4().hex, utcnow()
        doc = review.get("document", {})
        row = ReviewRow(id=rid, created_at=now, name=str(doc.get("name", ""))[:255], sha256=doc.get("sha256", ""),
                        size=size, format=str(doc.get("format", ""))[:16], profile=str(review.get("profile", ""))[:64],
                        verdict=review.get("summary", {}).get("verdict"), owner=owner,
                        review=json.dumps(review, ensure_ascii=False), document_text=text, upload=upload)
        with self.session.begin() as s:
            s.add(row)
        return rid, now

    def get_review(self, rid: str) -> dict | None:
        with self.session() as s:
            row = s.get(ReviewRow, rid)
            if row is None:
                return None
            return {"id": row.id, "created_at": _as_utc(row.created_at), "review": json.loads(row.review),
                    "document_text": row.document_text, "kept": row.upload is not None or row.document_text is not None,
                    "has_upload": row.upload is not None}

    def get_upload(self, rid: str) -> bytes | None:
        """The uploaded file's own bytes, when it was kept with the review (deleted with it)."""
        with self.session() as s:
            return s.scalar(select(ReviewRow.upload).where(ReviewRow.id == rid))

    def list_reviews(self, limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
        with self.session() as s:
            total = s.scalar(select(func.count()).select_from(ReviewRow)) or 0
            rows = s.execute(select(ReviewRow.id, ReviewRow.created_at, ReviewRow.name, ReviewRow.sha256,
                                    ReviewRow.size, ReviewRow.format, ReviewRow.profile, ReviewRow.verdict,
                                    ReviewRow.document_text.is_not(None))
                             .order_by(ReviewRow.created_at.desc(), ReviewRow.id).limit(limit).offset(offset)).all()
        items = [{"id": r[0], "created_at": _as_utc(r[1]), "name": r[2], "sha256": r[3], "size": r[4],
                  "format": r[5], "profile": r[6], "verdict": r[7], "has_text": bool(r[8])} for r in rows]
        return items, total

    def delete_review(self, rid: str) -> bool:
        with self.session.begin() as s:
            return s.execute(delete(ReviewRow).where(ReviewRow.id == rid)).rowcount > 0

    def purge(self, days: float) -> int:
        if not days or days <= 0:
            return 0
        cutoff = utcnow() - timedelta(days=days)
        with self.session.begin() as s:
            return s.execute(delete(ReviewRow).where(ReviewRow.created_at < cutoff)).rowcount

    # tokens (hashes only; see service/auth.py)

    def add_token(self, name: str, token_hash: str) -> None:
        with self.session.begin() as s:
            s.add(TokenRow(name=name, token_hash=token_hash, created_at=utcnow()))

    def token_names(self) -> list[tuple[str, datetime]]:
        with self.session() as s:
            return [(n, _as_utc(c)) for n, c in s.execute(select(TokenRow.name, TokenRow.created_at)
                                                          .order_by(TokenRow.name)).all()]

    def token_hashes(self) -> list[tuple[str, str]]:
        with self.session() as s:
            return [(n, h) for n, h in s.execute(select(TokenRow.name, TokenRow.token_hash)).all()]

    def delete_token(self, name: str) -> bool:
        with self.session.begin() as s:
            return s.execute(delete(TokenRow).where(TokenRow.name == name)).rowcount > 0
