"""khorsyio dead letters: events that failed for good, kept across restarts

The table of khorsyio.db.dead_letter_table (on khorsyio.Base.metadata): the app keeps its
dead letters there when DB_DSN is set (BUS_DEAD_LETTER_STORE=auto) and refuses to start
when it is missing. Shipped by the template whatever the answers: keep it first.

Revision ID: 0000
Revises:
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0000"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "khorsyio_dead_letters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("handler", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("trace_id", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,  # ids are never reused
    )
    op.create_index(
        op.f("ix_khorsyio_dead_letters_handler"), "khorsyio_dead_letters", ["handler"]
    )
    op.create_index(
        op.f("ix_khorsyio_dead_letters_trace_id"), "khorsyio_dead_letters", ["trace_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_khorsyio_dead_letters_trace_id"), table_name="khorsyio_dead_letters")
    op.drop_index(op.f("ix_khorsyio_dead_letters_handler"), table_name="khorsyio_dead_letters")
    op.drop_table("khorsyio_dead_letters")
