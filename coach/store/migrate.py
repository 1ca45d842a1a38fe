"""Brings a database's coach tables to the newest schema (Alembic, coach/store/migrations/).

Every process that opens the store calls `upgrade` (through create_db_engine): when the database
is already at the newest revision that is one read of `alembic_version`; otherwise the pending
migrations run, on PostgreSQL under an advisory lock so instances starting together migrate
once. `make run` and `make kb` migrate before any server starts. A database made before
migrations existed (by create_all) is adopted by the first migration: its rows stay.

    python -m coach.store.migrate            # upgrade $DATABASE_URL (make migrate)
    python -m coach.store.migrate --check    # exit 1 when migrations are pending
"""

from __future__ import annotations

import argparse
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock key: "psoas" in ASCII, so other apps' locks on the server don't collide.
PG_LOCK_KEY = 0x70736F6173


def config(connection: Optional[Connection] = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head() -> str:
    heads = ScriptDirectory.from_config(config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(
            f"coach/store/migrations has {len(heads)} heads {sorted(heads)}: two migrations revise the same one. "
            "Set the newer one's down_revision to the other (or `alembic merge heads`)."
        )
    return heads[0]


def current(connection: Connection) -> Optional[str]:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> Tuple[Optional[str], str]:
    """Applies pending migrations; returns (revision before, revision after)."""
    wanted = head() if target == "head" else target
    with engine.connect() as connection:
        before = current(connection)
    if before == wanted:
        return before, before
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        before = current(connection)  # another instance may have migrated while we waited
        if before != wanted:
            command.upgrade(config(connection), target)
    return before, wanted


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Only the tables models.py defines (and their indexes): Rasa's tracker tables may share the database."""
    from coach.store.models import Base

    if type_ == "table":
        return name in Base.metadata.tables
    table = getattr(obj, "table", None)
    return table is None or table.name in Base.metadata.tables


COMPARE_OPTIONS: Dict[str, Any] = {
    "include_object": include_object,
    "compare_type": True,
    "compare_server_default": True,
}


def drift(engine: Engine) -> List[tuple]:
    """What autogenerate would change to make the database match models.py: [] when they agree."""
    from coach.store.models import Base

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={**COMPARE_OPTIONS, "target_metadata": Base.metadata})
        return compare_metadata(context, Base.metadata)


def main(argv=None) -> int:
    from coach.store.db import create_db_engine

    parser = argparse.ArgumentParser(prog="python -m coach.store.migrate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="defaults to $DATABASE_URL or the SQLite file")
    parser.add_argument("--check", action="store_true", help="only report; exit 1 when migrations are pending")
    args = parser.parse_args(argv)
    engine = create_db_engine(args.database_url, create_tables=False)
    where = engine.url.render_as_string(hide_password=True)
    if args.check:
        with engine.connect() as connection:
            now = current(connection)
        print(f"Database schema at {now or 'no revision'}, newest {head()} ({where}).")
        return 0 if now == head() else 1
    before, after = upgrade(engine)
    if before == after:
        print(f"Database schema up to date (revision {after}) in {where}.")
    else:
        print(f"Database schema upgraded from {before or 'nothing'} to {after} in {where}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
