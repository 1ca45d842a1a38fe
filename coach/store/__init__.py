"""SQL storage (SQLAlchemy 1.4, 2.0-style API): SQLite by default, any URL via DATABASE_URL."""

from coach.store.db import create_db_engine, session_factory

__all__ = ["create_db_engine", "session_factory"]
