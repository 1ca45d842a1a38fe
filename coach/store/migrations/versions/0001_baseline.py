"""The schema as it stood when migrations began: knowledge, profiles, screenings, the safety audit
log, guided sessions, conversations and the two channel tables.

Databases created before Alembic (by `create_all`) are adopted: a table that is already there is
kept with its rows, a missing one is created, so every earlier version of the coach upgrades the
same way. Tables were only ever added before this point, never altered, which is what makes
"create what is missing" a faithful adoption; an existing table missing a column stops the upgrade with its name.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Each baseline table, its columns and its indexes, frozen here: models.py moves on, this does not.
TABLES = {
    "kb_entries": (
        lambda: [
            sa.Column("section", sa.String(length=40), nullable=False),
            sa.Column("entry_id", sa.String(length=80), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("data", sa.JSON(), nullable=False),
            sa.PrimaryKeyConstraint("section", "entry_id"),
        ],
        [],
    ),
    "kb_exercise_aliases": (
        lambda: [
            sa.Column("alias", sa.String(length=120), nullable=False),
            sa.Column("exercise_id", sa.String(length=80), nullable=False),
            sa.PrimaryKeyConstraint("alias"),
        ],
        ["exercise_id"],
    ),
    "kb_meta": (
        lambda: [
            sa.Column("key", sa.String(length=40), nullable=False),
            sa.Column("value", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        ],
        [],
    ),
    "user_profiles": (
        lambda: [
            sa.Column("user_id", sa.String(length=255), nullable=False),
            sa.Column("data", sa.JSON(), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("user_id"),
        ],
        [],
    ),
    "screenings": (
        lambda: [
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("user_id", sa.String(length=255), nullable=False),
            sa.Column("answers", sa.JSON(), nullable=False),
            sa.Column("outcome", sa.String(length=20), nullable=False),
            sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        ],
        ["user_id"],
    ),
    "safety_events": (
        lambda: [
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("user_id", sa.String(length=255), nullable=False),
            sa.Column("outcome", sa.String(length=20), nullable=False),
            sa.Column("rule_ids", sa.JSON(), nullable=False),
            sa.Column("excluded", sa.JSON(), nullable=False),
            sa.Column("in_session", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        ],
        ["user_id"],
    ),
    "guided_sessions": (
        lambda: [
            sa.Column("user_id", sa.String(length=255), nullable=False),
            sa.Column("state", sa.JSON(), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("user_id"),
        ],
        [],
    ),
    "conversations": (
        lambda: [
            sa.Column("user_id", sa.String(length=255), nullable=False),
            sa.Column("state", sa.JSON(), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("user_id"),
        ],
        [],
    ),
    "channel_button_payloads": (
        lambda: [
            sa.Column("key", sa.String(length=32), nullable=False),
            sa.Column("payload", sa.Text(), nullable=False),
            sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        ],
        ["issued_at"],
    ),
    "channel_events": (
        lambda: [
            sa.Column("key", sa.String(length=160), nullable=False),
            sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        ],
        ["seen_at"],
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
                    f"Table {name!r} exists but lacks {sorted(wanted - present)}: it was not made by the coach, "
                    "or by a version this migration does not know. Nothing was changed in it."
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
