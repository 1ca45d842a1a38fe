"""Progress and reminders: every guided session's history and the progress charts
(coach/store/progress_models.py), the reminders the one scheduler reads, the user's time zone
and quiet hours, the claims made before sending and the scheduler's lease
(coach/store/reminder_models.py, docs/reminders.md). New tables only: no existing row changes.

Revision ID: 0002_reminders
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_reminders"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "progress_charts",
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token"),
    )
    with op.batch_alter_table("progress_charts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_progress_charts_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_progress_charts_user_id"), ["user_id"], unique=False)

    op.create_table(
        "reminder_prefs",
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=True),
        sa.Column("quiet", sa.String(length=11), nullable=True),
        sa.Column("pending", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("days", sa.String(length=20), nullable=False),
        sa.Column("at", sa.String(length=5), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("snooze_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_fired_day", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminders_next_due_at"), ["next_due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminders_user_id"), ["user_id"], unique=False)

    op.create_table(
        "scheduler_claims",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("scheduler_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scheduler_claims_claimed_at"), ["claimed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_scheduler_claims_user_id"), ["user_id"], unique=False)

    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "session_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("holds", sa.JSON(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("pain", sa.JSON(), nullable=False),
        sa.Column("feelings", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "session_id"),
    )
    with op.batch_alter_table("session_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_history_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_history_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("session_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_history_user_id"))
        batch_op.drop_index(batch_op.f("ix_session_history_started_at"))

    op.drop_table("session_history")
    op.drop_table("scheduler_leases")
    with op.batch_alter_table("scheduler_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduler_claims_user_id"))
        batch_op.drop_index(batch_op.f("ix_scheduler_claims_claimed_at"))

    op.drop_table("scheduler_claims")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminders_user_id"))
        batch_op.drop_index(batch_op.f("ix_reminders_next_due_at"))

    op.drop_table("reminders")
    op.drop_table("reminder_prefs")
    with op.batch_alter_table("progress_charts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_charts_user_id"))
        batch_op.drop_index(batch_op.f("ix_progress_charts_created_at"))

    op.drop_table("progress_charts")
