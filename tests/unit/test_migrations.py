"""Migrations for the coach's own tables: one line of history, in step with models.py, and an
upgrade that keeps every row, including databases made by create_all before migrations existed.

SQLite always; the same checks on the local PostgreSQL (a throwaway database) when it is up.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import inspect, text

from coach.profile import ConditionNote, Profile
from coach.store import create_db_engine, migrate
from coach.store.profiles import ProfileStore

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_ADMIN_URL = os.environ.get("COACH_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BASELINE = "0001"
WHEN = datetime(2026, 11, 30, 9, 15, tzinfo=timezone.utc)

PROFILE = Profile(
    user_id="ana",
    conditions={"pregnancy": ConditionNote(id="pregnancy", days_ago=None, cleared=True)},
    constraints=["no_kneeling"],
    goals=["desk_posture"],
)
# One row per baseline table, as the coach before migrations wrote them.
ROWS = {
    "kb_entries": [{"section": "faq", "entry_id": "what_is_psoas", "position": 0, "data": {"id": "what_is_psoas"}}],
    "kb_exercise_aliases": [{"alias": "couch stretch", "exercise_id": "couch_stretch"}],
    "kb_meta": [{"key": "content_hash", "value": "abc123"}],
    "user_profiles": [{"user_id": "ana", "data": PROFILE.to_dict(), "updated_at": WHEN}],
    "screenings": [
        {"id": 1, "user_id": "ana", "answers": {"PQ1": False}, "outcome": "PROCEED", "taken_at": WHEN},
        {"id": 2, "user_id": "ana", "answers": {"PQ1": False, "PQ2": None}, "outcome": "CAUTION", "taken_at": WHEN},
    ],
    "safety_events": [
        {
            "id": 1,
            "user_id": "ana",
            "outcome": "CAUTION",
            "rule_ids": ["C3"],
            "excluded": ["couch_stretch"],
            "in_session": True,
            "created_at": WHEN,
        }
    ],
    "guided_sessions": [{"user_id": "ana", "state": {"step": 2, "status": "running"}, "updated_at": WHEN}],
    "conversations": [{"user_id": "ana", "state": {"waiting": ["condition:pregnancy"]}, "updated_at": WHEN}],
    "channel_button_payloads": [{"key": "k" * 16, "payload": "/answer" + "x" * 80, "issued_at": WHEN}],
    "channel_events": [{"key": "telegram:1:42", "seen_at": WHEN}],
}
JSON_COLUMNS = {"data", "answers", "rule_ids", "excluded", "state"}


def pre_alembic(engine, tables=None) -> None:
    """The schema create_all made before migrations (frozen DDL), with rows in every table."""
    dialect = engine.dialect.name
    ddl = (FIXTURES / f"pre_alembic_{dialect}.sql").read_text()
    ddl = "\n".join(line for line in ddl.splitlines() if not line.startswith("--"))
    statements = [s.strip() for s in ddl.split(";") if s.strip()]
    with engine.begin() as conn:
        for statement in statements:
            name = statement.split()[-1 if statement.startswith("CREATE INDEX") else 2]
            table = statement.split(" ON ")[1].split()[0] if statement.startswith("CREATE INDEX") else name
            if tables is None or table in tables:
                conn.execute(text(statement))
        insert_rows(conn, [t for t in ROWS if tables is None or t in tables])


def insert_rows(conn, tables) -> None:
    for table in tables:
        for row in ROWS[table]:
            values = {k: json.dumps(v) if k in JSON_COLUMNS else v for k, v in row.items()}
            columns = ", ".join(f'"{k}"' for k in values)
            placeholders = ", ".join(f":{k}" for k in values)
            conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"), values)


def snapshot(engine, tables=ROWS):
    """Every row of the given tables, in primary-key order, JSON decoded, datetimes in UTC."""
    out = {}
    with engine.connect() as conn:
        for table in tables:
            pk = inspect(conn).get_pk_constraint(table)["constrained_columns"]
            order = ", ".join(f'"{column}"' for column in pk)
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))
            out[table] = [{k: _plain(k, v) for k, v in row._mapping.items()} for row in rows]
    return out


def _plain(column, value):
    if column in JSON_COLUMNS and isinstance(value, str):
        return json.loads(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    if column == "in_session":
        return bool(value)
    return value


def revision(engine):
    with engine.connect() as conn:
        return migrate.current(conn)


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'coach.sqlite3'}"
        return
    name = f"psoas_migrations_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError as err:
        pytest.skip(f"PostgreSQL NOT CHECKED: no server at {PG_ADMIN_URL} ({str(err).splitlines()[0]})")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def test_migrations_are_one_line_of_history():
    assert migrate.head(), "there is a newest revision, and only one (head() raises on two)"


def test_a_new_database_migrated_to_head_matches_models_exactly(blank_url):
    engine = create_db_engine(blank_url)
    assert revision(engine) == migrate.head()
    assert migrate.drift(engine) == [], (
        "models.py and coach/store/migrations disagree: write the migration "
        "(.venv/bin/alembic revision --autogenerate --rev-id NNNN -m '...') for the change to models.py"
    )


def test_the_drift_check_sees_a_schema_that_differs(blank_url):
    engine = create_db_engine(blank_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE user_profiles ADD COLUMN nickname VARCHAR(20)"))
        conn.execute(text("DROP INDEX ix_screenings_user_id"))
    changes = {(d[0], *(str(x) for x in d[1:3])) for d in migrate.drift(engine) if isinstance(d, tuple)}
    kinds = {c[0] for c in changes}
    assert {"remove_column", "add_index"} <= kinds, changes


def test_tables_that_are_not_ours_are_left_alone(blank_url):
    """Rasa's SQL tracker store may share the database: its tables are neither compared nor dropped."""
    engine = create_db_engine(blank_url, create_tables=False)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255))"))
        conn.execute(text("INSERT INTO events (id, sender_id) VALUES (1, 'ana')"))
    migrate.upgrade(engine)
    assert migrate.drift(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT sender_id FROM events")).scalar() == "ana"


def test_a_pre_migration_database_is_adopted_with_every_row(blank_url):
    engine = create_db_engine(blank_url, create_tables=False)
    pre_alembic(engine)
    before = snapshot(engine)
    assert revision(engine) is None, "create_all kept no revision"

    engine = create_db_engine(blank_url)  # what every process does on start
    assert revision(engine) == migrate.head()
    assert snapshot(engine) == before, "every row of every table is still there, unchanged"
    assert migrate.drift(engine) == []

    store = ProfileStore(engine)
    assert store.get("ana") == PROFILE, "today's code reads the profile the old version wrote"
    assert store.last_screening("ana").outcome == "CAUTION"
    assert [e.rule_ids for e in store.safety_events("ana")] == [["C3"]]


def test_an_older_database_without_the_newer_tables_gets_them_and_keeps_its_rows(blank_url):
    """Before the channel tables existed (6ee897d), create_all made only the first eight."""
    old = [t for t in ROWS if not t.startswith("channel_")]
    engine = create_db_engine(blank_url, create_tables=False)
    pre_alembic(engine, tables=old)
    before = snapshot(engine, old)

    engine = create_db_engine(blank_url)
    assert snapshot(engine, old) == before
    assert {"channel_events", "channel_button_payloads"} <= set(inspect(engine).get_table_names())
    assert migrate.drift(engine) == []


def test_a_foreign_table_with_our_name_stops_the_upgrade_and_is_not_touched(blank_url):
    engine = create_db_engine(blank_url, create_tables=False)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE user_profiles (user_id VARCHAR(255) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO user_profiles (user_id) VALUES ('someone')"))
    with pytest.raises(RuntimeError, match="user_profiles.*lacks"):
        migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT user_id FROM user_profiles")).scalar() == "someone"


def test_a_database_with_data_at_every_revision_upgrades_to_head_keeping_it(blank_url):
    """Walks the history one revision at a time from the first, with the rows written at the first."""
    engine = create_db_engine(blank_url, create_tables=False)
    migrate.upgrade(engine, BASELINE)
    assert revision(engine) == BASELINE
    with engine.begin() as conn:
        insert_rows(conn, ROWS)
    before = snapshot(engine)
    script = migrate.ScriptDirectory.from_config(migrate.config())
    for step in reversed([r.revision for r in script.walk_revisions(BASELINE, "heads")][:-1]):
        migrate.upgrade(engine, step)
        assert revision(engine) == step
    assert revision(engine) == migrate.head()
    after = snapshot(engine)
    for table, rows in before.items():
        for old, new in zip(rows, after[table], strict=False):
            assert {k: new.get(k) for k in old} == old, f"{table}: a later migration changed or lost a value"
        assert len(after[table]) == len(rows), f"{table}: rows lost or added"
    assert ProfileStore(engine).get("ana") == PROFILE


@pytest.mark.parametrize("blank_url", ["postgresql"], indirect=True)
def test_instances_starting_together_migrate_once(blank_url):
    """Rasa and action servers starting at once on PostgreSQL: the advisory lock lets one migrate."""
    errors, engines = [], []

    def start():
        try:
            engines.append(create_db_engine(blank_url))
        except Exception as err:  # noqa: BLE001 - the test reports whatever went wrong
            errors.append(err)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engines[0].connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [migrate.head()]


def test_the_command_line_reports_and_applies(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert migrate.main(["--database-url", url, "--check"]) == 1
    assert "no revision" in capsys.readouterr().out
    assert migrate.main(["--database-url", url]) == 0
    assert f"upgraded from nothing to {migrate.head()}" in capsys.readouterr().out
    assert migrate.main(["--database-url", url, "--check"]) == 0
    assert migrate.main(["--database-url", url]) == 0
    assert "up to date" in capsys.readouterr().out


def test_in_memory_test_databases_get_the_tables_directly():
    engine = create_db_engine("sqlite:///:memory:")
    assert "user_profiles" in inspect(engine).get_table_names()
    assert revision(engine) is None, "no migration history for a database that dies with the test"
