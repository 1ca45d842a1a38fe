"""Two scheduler processes racing over one reminders table, at accelerated time, against a
stand-in Rasa HTTP API that records every trigger_intent: each (reminder, due time) is sent
exactly once, on SQLite and on this machine's PostgreSQL (a database of our own, dropped
afterwards; the PostgreSQL cases are skipped, loudly, when it is not running).

"leader" runs the real role election (advisory lock on PostgreSQL, lease row on SQLite);
"claims only" makes both processes act at once (COACH_SCHEDULER_LEADER=always), so the unique
claim rows alone must stop a second send.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from datetime import time as clock_time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy
from sqlalchemy import text

from coach.clock import clock_setting
from coach.reminders.schedule import EVERY_DAY, Reminder, Schedule
from coach.store import create_db_engine
from coach.store.reminders import ReminderStore

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("COACH_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
USERS = 12
SCALE = 0.0001  # one real second is 10,000 coach seconds: a day passes in 8.64 s
START = datetime(2026, 12, 7, 9, 59, 59, tzinfo=timezone.utc)
RUN_SECONDS = 11.0  # two 10:00s: Monday's at once, Tuesday's after 8.64 s
# 10:00 comes this many real seconds after the start: time for eight schedulers (four races at
# once) to start on a busy two-core machine.
LEAD = 20.0
LEADERS = ("auto", "always")
TOKEN = "race-test-token"


class FakeRasa:
    """Records trigger_intent calls as (sender, timer value) and answers 200 like Rasa."""

    def __init__(self):
        self.calls: List[tuple] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                parts = urlsplit(self.path)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                query = parse_qs(parts.query)
                ok = query.get("token") == [TOKEN] and parts.path.endswith("/trigger_intent")
                if ok:
                    sender = parts.path.split("/")[2]
                    owner.calls.append((sender, body["name"], body["entities"]["timer"], query["output_channel"][0]))
                self.send_response(200 if ok else 401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def postgres_urls() -> Iterator[dict]:
    """One database of our own per PostgreSQL race, dropped afterwards; None when PostgreSQL is down."""
    names = {leader: f"psoas_reminders_race_{uuid.uuid4().hex[:8]}" for leader in LEADERS}
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError as err:
        admin.dispose()
        yield {"down": str(err.orig)}
        return
    yield {leader: PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}" for leader, name in names.items()}
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


class Race:
    def __init__(self, url: str, leader: str, workdir: Path):
        self.url, self.leader, self.workdir = url, leader, workdir
        self.rasa = FakeRasa()
        self.seeded = seed(url)  # here, one at a time: creating the tables is not for threads
        self.store: Optional[ReminderStore] = None
        self.error: Optional[BaseException] = None

    def run(self) -> None:
        try:
            self.store = race(self.url, self.rasa, self.leader, self.workdir, self.seeded)
        except BaseException as err:  # reported by the test that reads this race
            self.error = err
        finally:
            self.rasa.close()


@pytest.fixture(scope="module")
def races(tmp_path_factory, postgres_urls) -> Dict[Tuple[str, str], Race]:
    """Every race runs at once: each waits mostly on the accelerated clock (about 25 s), so four
    side by side take the time of one. Each has its own database, stand-in Rasa and schedulers."""
    planned: Dict[Tuple[str, str], Race] = {}
    for leader in LEADERS:
        workdir = tmp_path_factory.mktemp(f"sqlite-{leader}")
        planned[("sqlite", leader)] = Race(f"sqlite:///{workdir / 'race.sqlite3'}", leader, workdir)
        if leader in postgres_urls:
            planned[("postgresql", leader)] = Race(
                postgres_urls[leader], leader, tmp_path_factory.mktemp(f"pg-{leader}")
            )
    threads = [threading.Thread(target=r.run) for r in planned.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return planned


def finished(races, database: str, leader: str, postgres_urls) -> Race:
    if database == "postgresql" and "down" in postgres_urls:
        pytest.skip(
            f"SKIPPED LOUDLY: PostgreSQL is not reachable at {PG_ADMIN_URL} ({postgres_urls['down']}); the race was not run on it"
        )
    result = races[(database, leader)]
    if result.error is not None:
        raise result.error
    assert result.store is not None
    return result


def seed(url: str) -> ReminderStore:
    engine = create_db_engine(url)
    store = ReminderStore(engine)
    for n in range(USERS):
        reminder = Reminder(f"racer-{n}", "web", Schedule(EVERY_DAY, clock_time(10, 0)), "UTC")
        reminder.refresh(START)
        store.save(reminder)
    return store


def race(url: str, rasa: FakeRasa, leader: str, tmp_path: Path, store: ReminderStore) -> ReminderStore:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "COACH_TIME_SCALE": str(SCALE),
        # 10:00 comes LEAD real seconds from now, for both: time enough for them to start.
        "COACH_CLOCK": clock_setting(START, time.time() + LEAD),
        "COACH_RASA_URL": rasa.url,
        "RASA_AUTH_TOKEN": TOKEN,
        "COACH_REMINDER_GRACE_MINUTES": "600",
        "COACH_SCHEDULER_LEADER": leader,
        "COACH_SCHEDULER_PURGE": "off",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
    env.pop("COACH_SCHEDULER_REDIS_URL", None)
    logs = [tmp_path / f"scheduler-{i}.log" for i in range(2)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "coach.reminders.scheduler", "--poll", "0.05"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        deadline = time.monotonic() + LEAD
        while not all("started" in log.read_text() for log in logs):
            assert time.monotonic() < deadline, "the schedulers took longer than LEAD to start"
            time.sleep(0.1)
        time.sleep(max(0.0, deadline - time.monotonic()) + RUN_SECONDS)
        for p in processes:
            assert p.poll() is None, "a scheduler died:\n" + "\n".join(log.read_text()[-2000:] for log in logs)
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(timeout=20)
    return store


def check_exactly_once(rasa: FakeRasa, store: ReminderStore):
    counts = Counter((sender, timer) for sender, _, timer, _ in rasa.calls)
    doubled = {k: v for k, v in counts.items() if v > 1}
    assert not doubled, f"sent more than once: {doubled}"
    days = Counter(timer.rsplit("@", 1)[1][:10] for _, timer in counts)
    assert days == {"2026-12-07": USERS, "2026-12-08": USERS}, days
    assert {name for _, name, _, _ in rasa.calls} == {"ready"}
    assert {channel for *_, channel in rasa.calls} == {"web"}
    claims = store.claims("reminder:")
    assert len(claims) == len(set(claims)) == 2 * USERS
    for reminder in (store.for_user(f"racer-{n}")[0] for n in range(USERS)):
        assert reminder.next_due == datetime(2026, 12, 9, 10, 0, tzinfo=timezone.utc)


def holders(url: str) -> set:
    with create_db_engine(url).connect() as conn:
        return set(
            conn.execute(text("SELECT DISTINCT holder FROM scheduler_claims WHERE key LIKE 'reminder:%'")).scalars()
        )


@pytest.mark.parametrize("leader", LEADERS, ids=["leader", "claims only"])
def test_two_schedulers_on_sqlite_send_each_reminder_once(races, postgres_urls, leader):
    result = finished(races, "sqlite", leader, postgres_urls)
    check_exactly_once(result.rasa, result.store)
    if leader == "auto":
        assert len(holders(result.url)) == 1  # the lease kept the role with one process


@pytest.mark.parametrize("leader", LEADERS, ids=["advisory lock", "claims only"])
def test_two_schedulers_on_postgresql_send_each_reminder_once(races, postgres_urls, leader):
    result = finished(races, "postgresql", leader, postgres_urls)
    check_exactly_once(result.rasa, result.store)
    if leader == "auto":
        assert len(holders(result.url)) == 1  # only the advisory lock's holder sent anything


def test_the_redis_lock_has_one_holder_and_expires(tmp_path):
    import redis

    url = os.environ.get("COACH_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.exceptions.RedisError as err:
        pytest.skip(f"SKIPPED LOUDLY: Redis is not reachable at {url} ({err}); the Redis lock was not tested")
    from coach.reminders.scheduler import RedisLeader

    prefix = f"psoas-reminders-test-{uuid.uuid4().hex[:8]}"
    first, second = RedisLeader(url, "a", prefix, seconds=1.0), RedisLeader(url, "b", prefix, seconds=1.0)
    try:
        assert first.acquire() and not second.acquire()
        assert first.acquire()  # renewed by its holder
        time.sleep(1.3)  # the holder died without releasing: the lock expires
        assert second.acquire() and not first.acquire()
        second.release()
        assert first.acquire()
    finally:
        first.release()
        second.release()
