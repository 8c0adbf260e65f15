"""reviewer feedback: a finding marked wrong, with the right status and a note

Revision ID: 0002_feedback
Revises: 0001
Create Date: 2025-06-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_feedback"
down_revision = "0001"
branch_labels = None
depends_on = None

# SQLite enforces foreign keys only with PRAGMA foreign_keys=ON, which the store does not set: the
# trigger gives it the same cascade PostgreSQL gets from the foreign key.
SQLITE_CASCADE = ("CREATE TRIGGER feedback_delete_with_review AFTER DELETE ON reviews FOR EACH ROW "
                  "BEGIN DELETE FROM feedback WHERE review_id = OLD.id; END")


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("review_id", sa.String(32), sa.ForeignKey("reviews.id", ondelete="CASCADE",
                                                            name="fk_feedback_review_id"), nullable=False),
        sa.Column("requirement", sa.String(128), nullable=False),
        sa.Column("original_status", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("review_id", "requirement", name="uq_feedback_review_requirement"),
    )
    op.create_index("ix_feedback_review_id", "feedback", ["review_id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_CASCADE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS feedback_delete_with_review")
    op.drop_index("ix_feedback_review_id", table_name="feedback")
    op.drop_table("feedback")
