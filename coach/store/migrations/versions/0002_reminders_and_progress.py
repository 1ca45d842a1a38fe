"""Progress and reminders: every guided session's history and the progress charts
(coach/store/progress_models.py), the reminders the one scheduler reads, the user's time zone
and quiet hours, the claims made before sending and the scheduler's lease
(coach/store/reminder_models.py, docs/reminders.md). New tables only: no existing row changes.

A database where these tables were already made by `create_all` (the feature's branch before
this migration) is adopted as 0001 adopts its tables: a table already there is kept with its rows.

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

# Each table, its columns and its indexed columns, frozen here: the models move on, this does not.
TABLES = {
    "progress_charts": (
        lambda: [
            sa.Column("token", sa.String(length=40), nullable=False),
            sa.Column("user_id", sa.String(length=255), nullable=False),
            sa.Column("png", sa.LargeBinary(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("token"),
        ],
        ["created_at", "user_id"],
    ),
    "reminder_prefs": (
        lambda: [
            sa.Column("user_id", sa.String(length=255), nullable=False),
            sa.Column("zone", sa.String(length=64), nullable=True),
            sa.Column("quiet", sa.String(length=11), nullable=True),
            sa.Column("pending", sa.JSON(), nullable=True),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("user_id"),
        ],
        [],
    ),
    "reminders": (
        lambda: [
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
        ],
        ["next_due_at", "user_id"],
    ),
    "scheduler_claims": (
        lambda: [
            sa.Column("key", sa.String(length=200), nullable=False),
            sa.Column("user_id", sa.String(length=255), nullable=True),
            sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("holder", sa.String(length=80), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        ],
        ["claimed_at", "user_id"],
    ),
    "scheduler_leases": (
        lambda: [
            sa.Column("name", sa.String(length=40), nullable=False),
            sa.Column("holder", sa.String(length=80), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("name"),
        ],
        [],
    ),
    "session_history": (
        lambda: [
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
        ],
        ["started_at", "user_id"],
    ),
}


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    for name, (columns, indexed) in TABLES.items():
        if name in existing:
            present = {column["name"] for column in inspector.get_columns(name)}
            wanted = {column.name for column in columns() if isinstance(column, sa.Column)}
            if wanted - present:
                raise RuntimeError(
                    f"Table {name!r} exists but lacks {sorted(wanted - present)}: it was not made by the coach. "
                    "Nothing was changed in it."
                )
            have = {index["name"] for index in inspector.get_indexes(name)}
            for column in indexed:
                if op.f(f"ix_{name}_{column}") not in have:
                    op.create_index(op.f(f"ix_{name}_{column}"), name, [column], unique=False)
            continue
        op.create_table(name, *columns())
        for column in indexed:
            op.create_index(op.f(f"ix_{name}_{column}"), name, [column], unique=False)


def downgrade() -> None:
    for name, (_, indexed) in reversed(list(TABLES.items())):
        for column in indexed:
            op.drop_index(op.f(f"ix_{name}_{column}"), table_name=name)
        op.drop_table(name)
