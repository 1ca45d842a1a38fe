"""A PostgreSQL that accepts connections and never answers fails a connection within the connect
timeout, for the coach's own engine and for the production tracker store's settings, instead of
stalling the servers' event loop for minutes."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy
import yaml

from coach.store.db import create_db_engine, postgres_connect_args

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def silent_server():
    """Accepts TCP connections and says nothing, like a hung database or a half-open link."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    listener.close()


def test_the_coach_store_gives_up_on_a_silent_database_within_its_timeout(silent_server, monkeypatch):
    monkeypatch.setenv("COACH_DB_CONNECT_TIMEOUT", "1")
    engine = create_db_engine(f"postgresql://coach@127.0.0.1:{silent_server}/coach", create_tables=False)
    outcome: list = []

    def connect() -> None:
        try:
            with engine.connect():
                outcome.append("connected")
        except sqlalchemy.exc.OperationalError as error:
            outcome.append(error)

    # In a thread, so that a missing timeout fails this test instead of hanging the suite.
    attempt = threading.Thread(target=connect, daemon=True)
    started = time.monotonic()
    attempt.start()
    attempt.join(timeout=5)
    assert not attempt.is_alive(), "still waiting for a database that never answers"
    assert isinstance(outcome[0], sqlalchemy.exc.OperationalError)
    assert time.monotonic() - started < 5


def test_connect_arguments_and_the_production_tracker_store_agree():
    args = postgres_connect_args()
    assert args["connect_timeout"] == 3 and args["keepalives"] == 1
    query = yaml.safe_load((ROOT / "endpoints.production.yml").read_text())["tracker_store"]["query"]
    assert {k: int(v) for k, v in query.items()} == args, "one timeout for both stores"


def test_a_nonsense_timeout_setting_is_refused(monkeypatch):
    monkeypatch.setenv("COACH_DB_CONNECT_TIMEOUT", "soon")
    with pytest.raises(ValueError):
        postgres_connect_args()
