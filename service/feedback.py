"""Reviewer feedback: a finding marked wrong, with the right status and a note, stored with the
review (table `feedback`, migration 0002_feedback; deleted with its review). One correction per
(review, requirement): marking the same finding again replaces the earlier correction.

`export_labels` turns the corrected reviews into a labelled corpus (../shared/spec/labels.md), so
corrections become evaluation data for `clausecheck eval`."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from . import labels_zh
from .db import Base, ReviewRow, Store, _as_utc, utcnow

STATUSES = labels_zh.STATUS_ORDER
STATUS_ZH = labels_zh.STATUS  # the one shared vocabulary
FROM_ZH = {v: k for k, v in STATUS_ZH.items()}
MAX_NOTE = 2000

Status = Literal["satisfied", "weak", "conflicting", "missing"]


class FeedbackItem(BaseModel):
    """One reviewer correction, as the API gives it (feedback list, and `feedback` of a stored review)."""

    requirement: str
    title: str
    original_status: Status = Field(description="工具原来的结论")
    status: Status = Field(description="审查人更正后的状态")
    note: str | None
    by: str | None = Field(description="提交更正的令牌名称（单用户模式下为空）")
    created_at: datetime
    updated_at: datetime


class FeedbackRow(Base):
    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("review_id", "requirement", name="uq_feedback_review_requirement"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    review_id: Mapped[str] = mapped_column(String(32), ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    requirement: Mapped[str] = mapped_column(String(128))
    original_status: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)  # token name, as for reviews
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def _item(row: FeedbackRow, titles: dict[str, str] | None = None) -> dict:
    return {"requirement": row.requirement, "title": (titles or {}).get(row.requirement, row.requirement),
            "original_status": row.original_status, "status": row.status, "note": row.note, "by": row.owner,
            "created_at": _as_utc(row.created_at), "updated_at": _as_utc(row.updated_at)}


def put(store: Store, review_id: str, requirement: str, original_status: str, status: str, note: str | None,
        owner: str | None, titles: dict[str, str] | None = None) -> tuple[dict, bool]:
    """Create or replace the correction of one finding. Returns (item, created)."""
    now = utcnow()
    with store.session.begin() as s:
        row = s.scalar(select(FeedbackRow).where(FeedbackRow.review_id == review_id,
                                                 FeedbackRow.requirement == requirement))
        created = row is None
        if created:
            row = FeedbackRow(review_id=review_id, requirement=requirement, created_at=now)
            s.add(row)
        row.original_status, row.status, row.note, row.owner, row.updated_at = original_status, status, note, owner, now
        s.flush()
        return _item(row, titles), created


def list_for(store: Store, review_id: str, titles: dict[str, str] | None = None) -> list[dict]:
    with store.session() as s:
        rows = s.scalars(select(FeedbackRow).where(FeedbackRow.review_id == review_id)
                         .order_by(FeedbackRow.id)).all()
        return [_item(r, titles) for r in rows]


def remove(store: Store, review_id: str, requirement: str) -> bool:
    with store.session.begin() as s:
        return s.execute(delete(FeedbackRow).where(FeedbackRow.review_id == review_id,
                                                   FeedbackRow.requirement == requirement)).rowcount > 0


def reviewed_ids(store: Store) -> list[str]:
    with store.session() as s:
        return list(s.scalars(select(FeedbackRow.review_id).distinct()).all())


# ---- export as a labelled corpus ----

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def _safe_name(name: str) -> str:
    name = _UNSAFE.sub("_", name).strip(" .") or "contract"
    return name[-120:]


def export_labels(store: Store, folder: Path, everything: bool = False) -> dict:
    """Write, for each review with corrections (with `everything`, each review) whose text was kept,
    the contract file and NAME.labels.yaml beside it: the profile, every requirement's status (the
    reviewer's correction where there is one, the tool's status otherwise) and the reviewers' notes.
    Returns counts; never the contracts' words."""
    import json

    import yaml

    from clause_library import list_profiles

    requirements = {p["id"]: [r["id"] for r in p["requirements"]] for p in list_profiles()}
    folder.mkdir(parents=True, exist_ok=True)
    with store.session() as s:
        ids = list(s.scalars(select(ReviewRow.id).order_by(ReviewRow.created_at, ReviewRow.id))) if everything \
            else reviewed_ids(store)
    stats = {"exported": 0, "corrections": 0, "skipped_no_text": 0, "skipped_unknown_profile": 0}
    for rid in sorted(ids):
        with store.session() as s:
            row = s.get(ReviewRow, rid)
            if row is None:
                continue
            review, upload, text, name = json.loads(row.review), row.upload, row.document_text, row.name
        if upload is None and text is None:
            stats["skipped_no_text"] += 1
            continue
        profile = review.get("profile")
        if profile not in requirements:
            stats["skipped_unknown_profile"] += 1
            continue
        corrections = {f["requirement"]: f for f in list_for(store, rid)}
        predicted = {f["requirement"]: f["status"] for f in review.get("findings", [])}
        labels = {}
        for req in requirements[profile]:
            labels[req] = corrections[req]["status"] if req in corrections else predicted.get(req, "missing")
        notes = {req: c["note"] for req, c in corrections.items() if c.get("note") and req in labels}
        base = _safe_name(name)
        if upload is None:  # only the normalised text was kept: a .txt reads back to the same text
            base = base.rsplit(".", 1)[0] + ".txt"
        fname = f"{rid[:12]}-{base}"
        (folder / fname).write_bytes(upload if upload is not None else text.encode("utf-8"))
        doc = {"profile": profile, "labels": labels}
        if notes:
            doc["notes"] = notes
        header = (f"# clausecheck feedback export: review {rid}, {len(corrections)} reviewer correction(s);\n"
                  "# statuses without a correction are the tool's own and were not checked by a reviewer.\n")
        (folder / f"{fname}.labels.yaml").write_text(
            header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
        stats["exported"] += 1
        stats["corrections"] += len(corrections)
    return stats
