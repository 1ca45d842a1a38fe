from __future__ import annotations

from pathlib import Path
from typing import Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from coach import settings
from coach.store import progress_models, reminder_models  # noqa: F401  (register their tables)
from coach.store.models import Base


def postgres_connect_args() -> dict:
    """libpq settings so an unreachable or silent PostgreSQL fails fast instead of hanging: a
    connect timeout, and TCP keepalives that notice a server gone quiet under an open connection
    (after about 10 + 3 x 5 s). The channels' reply deadline answers the user meanwhile."""
    return {
        "connect_timeout": settings.db_connect_timeout(),
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
    }


def create_db_engine(url: Optional[str] = None, create_tables: bool = True) -> Engine:
    """An engine whose coach tables are at the newest schema (create_tables=False: as found).

    A database on disk or on a server is migrated (coach/store/migrate.py); an in-memory SQLite
    database, which lives only as long as a test, gets the tables straight from models.py."""
    url = url or settings.database_url()
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    options: dict = {}
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        # Keep connections open between sessions (SQLAlchemy 1.4 gives a SQLite file a NullPool):
        # opening one per session and closing it, which checkpoints the WAL, was a quarter of the
        # action server's time under load (docs/performance.md). Unbounded overflow: a session
        # held across an await never waits for a connection in the one event-loop thread.
        options = {"poolclass": QueuePool, "pool_size": 2, "max_overflow": -1}
        options["connect_args"] = {"check_same_thread": False}
    if url.startswith(("postgresql", "postgres")):
        options["connect_args"] = postgres_connect_args()
    engine = create_engine(url, future=True, pool_pre_ping=True, **options)
    if engine.dialect.name == "sqlite":
        # Two servers (Rasa and actions) share the file: wait for locks instead of failing.
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    if create_tables:
        if engine.url.database in (None, "", ":memory:") and engine.dialect.name == "sqlite":
            Base.metadata.create_all(engine)
        else:
            from coach.store.migrate import upgrade

            upgrade(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, future=True, expire_on_commit=False)
