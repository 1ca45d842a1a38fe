"""The one scheduler: sends each reminder once, on time, whatever runs how many times.

What Rasa 3.6 offers does not fit: its reminders live in an in-memory APScheduler inside the
Rasa process that set them (lost on restart, never taken over by another instance), and
APScheduler's job stores must not be shared between schedulers. So (docs/reminders.md):

- the `reminders` table is the source of truth (coach/store/reminders.py): what the user asked
  for and when it is next due, in UTC;
- one process at a time holds the scheduler role: a PostgreSQL advisory lock on PostgreSQL, a
  Redis lock with expiry when COACH_SCHEDULER_REDIS_URL is set, a lease row with expiry on
  SQLite (where the one embedded process normally holds it);
- before anything is sent, the (reminder, due time) is claimed with a row whose key is unique:
  if two schedulers ever overlap (a lock lost and taken over mid-tick), one insert wins and
  the other sends nothing;
- delivery is Rasa's own `POST /conversations/<id>/trigger_intent` with the API token, to the
  output channel the reminder was set from; socket.io's AsyncRedisManager (production) lets
  whichever Rasa instance handles it reach a user connected to another one;
- a reminder overdue by more than COACH_REMINDER_GRACE_MINUTES (the scheduler was down) is
  skipped to its next time, never sent in a burst: never more often than asked;
- once a day (claimed the same way) the retention purge runs: `purge_inactive(now, days)` of
  coach/privacy (COACH_RETENTION_DAYS).

`python -m coach.reminders.scheduler` runs it (scripts/run.sh starts it next to the servers).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import logging
import os
import signal
import socket
import threading
import time as real_time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import quote

import requests
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from coach import clock, settings
from coach.reminders.schedule import Reminder
from coach.store import create_db_engine
from coach.store.reminders import ReminderStore

logger = logging.getLogger("coach.reminders")
ROLE = "reminder-scheduler"
LEASE_SECONDS = 15.0  # real seconds: how long a crashed holder keeps the role


# -- who holds the scheduler role ------------------------------------------------------------------
class Leader:
    name = "base"

    def acquire(self) -> bool:
        raise NotImplementedError

    def release(self) -> None:
        pass


class PostgresLeader(Leader):
    """pg_try_advisory_lock on a connection of its own: held until released or the connection dies."""

    name = "postgres-advisory-lock"

    def __init__(self, engine: Engine, key: str = ROLE):
        self.engine = engine
        self.key = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        self.conn: Optional[Connection] = None

    def acquire(self) -> bool:
        try:
            if self.conn is not None:
                self.conn.execute(text("SELECT 1"))  # still ours while the session lives
                self.conn.commit()  # never left idle in a transaction
                return True
            conn = self.engine.connect()
            held = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            conn.commit()
            if held:
                self.conn = conn
                return True
            conn.close()
            return False
        except Exception:  # the database went away: the lock went with it
            logger.warning("scheduler lock lost (database unreachable)")
            self._drop()
            return False

    def _drop(self) -> None:
        if self.conn is not None:
            try:
                self.conn.invalidate()
            except Exception:
                pass
            self.conn = None

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self.conn.commit()
                self.conn.close()
            except Exception:
                pass
            self.conn = None


class LeaseLeader(Leader):
    """A row in `scheduler_leases` renewed every tick; another process takes it once it expires."""

    name = "sql-lease"

    def __init__(self, store: ReminderStore, holder: str, seconds: float = LEASE_SECONDS):
        self.store, self.holder, self.seconds = store, holder, seconds

    def acquire(self) -> bool:
        # Real time, not the coach's clock: a lease is about processes, not about the user's day.
        now = datetime.fromtimestamp(real_time.time()).astimezone()
        return self.store.take_lease(ROLE, self.holder, now, self.seconds)

    def release(self) -> None:
        self.store.drop_lease(ROLE, self.holder)


class RedisLeader(Leader):
    """SET NX PX: a lock with expiry, renewed by its holder only."""

    name = "redis-lock"
    _RENEW = (
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
    )
    _RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

    def __init__(self, url: str, holder: str, prefix: str = "coach", seconds: float = LEASE_SECONDS):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2)
        self.key, self.holder, self.ms = f"{prefix}:{ROLE}", holder, int(seconds * 1000)

    def acquire(self) -> bool:
        try:
            if self.client.eval(self._RENEW, 1, self.key, self.holder, self.ms):
                return True
            return bool(self.client.set(self.key, self.holder, nx=True, px=self.ms))
        except Exception:
            logger.warning("scheduler lock unavailable (Redis unreachable)")
            return False

    def release(self) -> None:
        try:
            self.client.eval(self._RELEASE, 1, self.key, self.holder)
        except Exception:
            pass


class AlwaysLeader(Leader):
    """COACH_SCHEDULER_LEADER=always: every process acts (tests of the claims on their own)."""

    name = "always"

    def acquire(self) -> bool:
        return True


def leader_for(engine: Engine, store: ReminderStore, holder: str) -> Leader:
    if os.environ.get("COACH_SCHEDULER_LEADER") == "always":
        return AlwaysLeader()
    redis_url = os.environ.get("COACH_SCHEDULER_REDIS_URL")
    if redis_url:
        return RedisLeader(redis_url, holder, os.environ.get("COACH_SCHEDULER_REDIS_PREFIX", "coach"))
    if engine.dialect.name == "postgresql":
        return PostgresLeader(engine)
    return LeaseLeader(store, holder)


# -- delivery -----------------------------------------------------------------------------------
class NotSent(Exception):
    """Nothing reached the Rasa server: the claim is given back and tried again next tick."""


TIMER_INTENT = "ready"  # as session timers: the door tells a reminder by its `timer` entity


class RasaDelivery:
    """trigger_intent on the Rasa server (or the load balancer), with the API token."""

    def __init__(self, base_url: Optional[str] = None, token: Optional[str] = None, timeout: float = 10.0):
        self.base_url = (base_url or settings.rasa_url()).rstrip("/")
        self.token = token if token is not None else settings.rasa_token()
        self.timeout = timeout
        self.http = requests.Session()
        self.http.trust_env = False  # a proxy must not swallow a call to our own server

    def __call__(self, reminder: Reminder, due: datetime) -> None:
        from coach.dialogue.reminders import timer_value

        if reminder.id is None:  # due reminders come from the store, which gives each an id
            raise ValueError("a reminder that was never stored has no id to deliver")
        params = {"output_channel": reminder.channel}
        if self.token:
            params["token"] = self.token
        url = f"{self.base_url}/conversations/{quote(reminder.user_id, safe='')}/trigger_intent"
        body: Dict[str, Any] = {"name": TIMER_INTENT, "entities": {"timer": timer_value(reminder.id, due)}}
        try:
            answer = self.http.post(url, params=params, json=body, timeout=self.timeout)
        except requests.ConnectionError as error:
            raise NotSent(str(error)) from error
        except requests.Timeout:
            # It may have been delivered: the claim stays, so it is never sent twice.
            logger.warning("reminder %s: Rasa did not answer in time; not retried", reminder.id)
            return
        if answer.status_code in (401, 403):
            raise NotSent(f"Rasa refused the API token ({answer.status_code})")
        if answer.status_code >= 500 or answer.status_code == 404:
            logger.warning("reminder %s: Rasa answered %s", reminder.id, answer.status_code)
            if answer.status_code in (502, 503, 504):
                raise NotSent(f"Rasa unavailable ({answer.status_code})")


# -- retention ----------------------------------------------------------------------------------
RETENTION_MODULES = ("coach.privacy", "coach.retention", "coach.store.privacy", "coach.data")


def find_purge() -> Optional[Callable[..., object]]:
    """The data helper's `purge_inactive(now, days)`, wherever in coach/ it lives; None if absent."""
    for name in RETENTION_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        purge = getattr(module, "purge_inactive", None)
        if callable(purge):
            return purge
    return None


def retention_purge(now: datetime, days: Optional[int], purge: Optional[Callable[..., object]] = None) -> bool:
    """The scheduler's daily retention hook: purge_inactive(now, days) if coach/ has one (days
    None: its own default, COACH_RETENTION_DAYS). False, with a warning, when there is none."""
    purge = purge or find_purge()
    if purge is None:
        logger.warning("no purge_inactive(now, days) in coach/: the daily retention purge did not run")
        return False
    logger.info("retention purge: %s", purge(now, days))
    return True


# -- the loop -----------------------------------------------------------------------------------
@dataclass
class TickReport:
    leader: bool
    sent: List[str]
    skipped: List[str]
    purged: bool = False


class Scheduler:
    def __init__(
        self,
        store: ReminderStore,
        deliver: Callable[[Reminder, datetime], None],
        leader: Leader,
        holder: Optional[str] = None,
        now: Callable[[], datetime] = clock.now,
        grace_minutes: Optional[float] = None,
        retention_days: Optional[int] = None,
        purge: Optional[Callable[..., object]] = None,
        daily_purge: bool = False,  # main() switches it on (COACH_SCHEDULER_PURGE)
        real_now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ):
        self.store, self.deliver, self.leader = store, deliver, leader
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.now = now
        self.grace = timedelta(minutes=settings.reminder_grace_minutes() if grace_minutes is None else grace_minutes)
        self.retention_days = retention_days
        self.purge = purge
        self.daily_purge = daily_purge
        self.real_now = real_now  # retention counts real days: rows are stamped in real time

    def tick(self) -> TickReport:
        if not self.leader.acquire():
            return TickReport(False, [], [])
        now = self.now()
        report = TickReport(True, [], [])
        for reminder in self.store.due(now):
            due = reminder.next_due
            assert due is not None and reminder.id is not None
            if now - due > self.grace:
                reminder.refresh(now)  # missed while nobody was running: wait for the next time
                self.store.advance(reminder, due)
                report.skipped.append(f"reminder:{reminder.id}:{due.isoformat()}")
                logger.info("reminder %s due %s missed (now %s): skipped to its next time", reminder.id, due, now)
                continue
            key = f"reminder:{reminder.id}:{due.isoformat()}"
            if self.store.claim(key, self.holder, reminder.user_id):
                try:
                    self.deliver(reminder, due)
                except NotSent as error:
                    logger.warning("reminder %s not sent (%s); will try again", reminder.id, error)
                    self.store.release(key)
                    continue
                report.sent.append(key)
                logger.info("reminder %s due %s sent", reminder.id, due)
            reminder.fired(due)
            self.store.advance(reminder, due)
        report.purged = self._daily(self.real_now())
        return report

    def _daily(self, now: datetime) -> bool:
        day = now.date().isoformat()
        if not self.store.claim(f"daily:{day}", self.holder):
            return False
        self.store.prune_claims(now - timedelta(days=30))
        return self.daily_purge and retention_purge(now, self.retention_days, self.purge)

    def run(self, poll_seconds: float, stop: threading.Event) -> None:
        logger.info("reminder scheduler %s started (%s)", self.holder, self.leader.name)
        try:
            while not stop.is_set():
                try:
                    self.tick()
                except Exception:
                    logger.exception("scheduler tick failed; trying again")
                stop.wait(poll_seconds)
        finally:
            self.leader.release()


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Sends due reminders once (docs/reminders.md).")
    parser.add_argument("--poll", type=float, default=float(os.environ.get("COACH_SCHEDULER_POLL", "1")))
    parser.add_argument("--once", action="store_true", help="one tick, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    engine = create_db_engine()
    store = ReminderStore(engine)
    holder = f"{socket.gethostname()}:{os.getpid()}"
    days = os.environ.get("COACH_RETENTION_DAYS")
    scheduler = Scheduler(
        store,
        RasaDelivery(),
        leader_for(engine, store, holder),
        holder,
        retention_days=int(days) if days else None,
        # COACH_SCHEDULER_PURGE=off: tests that speed the clock up must not purge anyone's data.
        daily_purge=os.environ.get("COACH_SCHEDULER_PURGE", "on") != "off",
    )
    if args.once:
        print(scheduler.tick())
        scheduler.leader.release()
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    scheduler.run(args.poll, stop)


if __name__ == "__main__":
    main()
