"""The user's data: `consents` (who said the coach may remember them, when, to which wording) and
`data_exports` ("export my data" files behind download links, by the hash of each link's token).

Databases that already have them (made by create_all before migrations existed) keep them with their rows; a table of that name without our columns stops the upgrade.

Revision ID: 0003
Revises: 0002_reminders
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002_reminders"
branch_labels = None
depends_on = None

TABLES = {
    "consents": (
        lambda: [
            sa.Column("user_id", sa.String(length=255), nullable=False),
            sa.Column("wording", sa.String(length=16), nullable=False),
            sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("user_id"),
        ],
        [],
    ),
    "data_exports": (
        lambda: [
            sa.Column("token_hash", sa.String(length=64), nullable=False),
            sa.Column("user_id", sa.String(length=255), nullable=False),
            sa.Column("filename", sa.String(length=80), nullable=False),
            sa.Column("media_type", sa.String(length=60), nullable=False),
            sa.Column("content", sa.LargeBinary(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("token_hash"),
        ],
        ["user_id", "expires_at"],
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
