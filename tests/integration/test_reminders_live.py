"""Reminders and progress through the real servers, at accelerated time (COACH_CLOCK with
COACH_TIME_SCALE=0.05: one real second is 20 coach seconds).

A user sets a reminder in the web chat (socket.io) and names their time zone; the action
server, the Rasa server and the scheduler are then all stopped and started again, with TWO
scheduler processes this time; the reminder still arrives on the user's socket, once. Over
REST the coach says it cannot push, and "how am I doing?" answers from a seeded history with
a chart the Rasa server serves as a PNG.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from PIL import Image

from coach.clock import clock_setting
from coach.progress import SessionRecord
from coach.store import create_db_engine
from coach.store import knowledge as kb_store
from coach.store.privacy import PrivacyStore
from coach.store.progress import HistoryStore
from coach.store.reminders import ReminderStore
from tests.integration.conftest import Chat
from tests.integration.servers import ROOT, Servers, ensure_model
from tests.integration.socket_client import WebUser

SCALE = 0.05
START = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)  # Monday, 09:00 in London
TOKEN = f"reminders-live-{uuid.uuid4().hex[:8]}"
RASA_PORT, ACTIONS_PORT = 5231, 5232  # this helper's range


def is_reminder(event: str):
    return lambda m: (m.get("custom") or {}).get("type") == "reminder" and m["custom"].get("event") == event


class Stack:
    """The servers plus any number of scheduler processes, all on one database and clock."""

    def __init__(self, tmp_path):
        self.workdir = tmp_path
        self.url = f"sqlite:///{tmp_path / 'coach.sqlite3'}"
        self.servers = Servers(
            tmp_path,
            self.url,
            env={
                "COACH_TIME_SCALE": str(SCALE),
                "COACH_CLOCK": clock_setting(START),
                "RASA_AUTH_TOKEN": TOKEN,
                "COACH_PUBLIC_URL": f"http://127.0.0.1:{RASA_PORT}",
                "COACH_RASA_URL": f"http://127.0.0.1:{RASA_PORT}",
                "COACH_SCHEDULER_PURGE": "off",  # the clock runs fast: retention is not what is tested here
            },
            rasa_args=["--enable-api", "--auth-token", TOKEN],
        )
        s = self.servers
        s.rasa_port, s.actions_port = RASA_PORT, ACTIONS_PORT
        s.env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{ACTIONS_PORT}/webhook"
        self.schedulers = []

    def now(self) -> datetime:
        from coach.clock import _anchor

        start, real = _anchor(self.servers.env["COACH_CLOCK"])
        return start + timedelta(seconds=(time.time() - real) / SCALE)

    def start(self, schedulers: int = 1) -> None:
        self.servers.start()
        for _ in range(schedulers):
            log = self.workdir / f"scheduler-{len(self.schedulers)}.log"
            self.schedulers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "coach.reminders.scheduler", "--poll", "0.2"],
                    cwd=ROOT,
                    env=self.servers.env,
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                )
            )

    def stop(self) -> None:
        for p in self.schedulers:
            p.terminate()
        for p in self.schedulers:
            p.wait(timeout=30)
        self.schedulers.clear()
        self.servers.stop()


@pytest.fixture()
def stack(tmp_path, kb):
    ensure_model()
    kb_store.save(create_db_engine(f"sqlite:///{tmp_path / 'coach.sqlite3'}"), kb)
    stack = Stack(tmp_path)
    try:
        yield stack
    finally:
        stack.stop()


async def says(user: WebUser, text: str, event: str, timeout: float = 30) -> dict:
    """Sends `text` and returns the first reminder payload of `event` that came after it."""
    seen = len(user.received)
    await user.say(text)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in user.received[seen:]:
            if is_reminder(event)(message):
                return message
        await asyncio.sleep(0.05)
    raise TimeoutError(f"no reminder {event!r} after {text!r}: {[user.describe(m) for m in user.received[seen:]]}")


def minute_after(moment: datetime, minutes: int) -> datetime:
    return (moment + timedelta(minutes=minutes)).replace(second=0, microsecond=0)


async def test_a_reminder_set_on_the_web_arrives_once_after_a_restart_with_two_schedulers(stack):
    stack.start(schedulers=1)
    session_id = uuid.uuid4().hex
    PrivacyStore(create_db_engine(stack.url)).grant(session_id, "test")  # reminders are kept for users who said yes
    async with WebUser(stack.servers.url, session_id) as user:
        bad = await says(user, "remind me at 25 o'clock", "invalid")
        assert bad["custom"]["problem"] == "time" and "25 o'clock" in bad["text"]
        due_at = minute_after(stack.now(), 12)  # about 36 real seconds away
        await says(user, f"remind me every day at {due_at:%H:%M}", "ask_zone")
        unknown = await says(user, "Atlantis", "invalid")
        assert unknown["custom"]["problem"] == "zone" and "Atlantis" in unknown["text"]
        done = await says(user, "London", "set")
    body = done["custom"]["reminder"]
    assert body["time"] == f"{due_at:%H:%M}" and body["zone"] == "Europe/London" and body["channel"] == "web"
    assert body["next_due"] == due_at.isoformat()

    # Everything stops and starts again; this time two schedulers race for the role.
    stack.stop()
    assert ReminderStore(create_db_engine(stack.url)).for_user(session_id)[0].next_due == due_at
    stack.start(schedulers=2)
    async with WebUser(stack.servers.url, session_id) as user:
        left = (due_at - stack.now()).total_seconds() * SCALE
        message = await user.wait_for(is_reminder("due"), timeout=max(left, 0) + 30)
        assert message["text"].startswith("Time for your hip-flexor stretch!")
        assert f"every day at {due_at:%H:%M}" in message["text"]
        assert [b["payload"] for b in message["quick_replies"]][0] == "/start_session"
        assert message["custom"]["due"] == due_at.isoformat()
        await asyncio.sleep(4)  # long enough for a second scheduler or a second tick to send it again
        assert len([m for m in user.received if is_reminder("due")(m)]) == 1
        # The reminder's buttons work: snooze it for an hour, then list what is set.
        snoozed = await says(user, '/snooze_reminder{"duration": "an hour"}', "snoozed")
        assert snoozed["custom"]["reminder"]["snoozed_until"] is not None
        listed = await says(user, "what reminders do I have?", "list")
        assert [r["time"] for r in listed["custom"]["reminders"]] == [f"{due_at:%H:%M}"]
        stopped = await says(user, "stop reminding me", "stopped")
        assert stopped["custom"]["count"] == 1
    store = ReminderStore(create_db_engine(stack.url))
    assert store.claims(f"reminder:{body['id']}:") == [f"reminder:{body['id']}:{due_at.isoformat()}"]
    assert store.for_user(session_id) == []


def test_rest_cannot_push_and_progress_comes_with_a_served_chart(stack):
    sender = f"progress-{uuid.uuid4().hex[:8]}"
    history = HistoryStore(create_db_engine(stack.url))
    for days_ago, minutes, rating, pain in [(8, 6, 4, "left"), (2, 5, 6, "left"), (1, 7, 8, None), (0, 4, 8, None)]:
        history.add(
            sender,
            uuid.uuid4().hex[:16],
            SessionRecord(
                started_at=START - timedelta(days=days_ago, hours=1),
                seconds=minutes * 60,
                holds=[{"exercise_id": "couch_stretch", "side": "left", "seconds": 30, "rep": 1}],
                rating=rating,
                pain=[{"exercise_id": "couch_stretch", "side": pain}] if pain else [],
            ),
        )
    stack.start(schedulers=0)
    PrivacyStore(create_db_engine(stack.url)).grant(sender, "test")  # a stored history means they said yes
    chat = Chat(stack.servers.url, sender)
    refused = chat.say("remind me every weekday at 10")
    assert Chat.payloads(refused, "reminder")[0]["event"] == "cannot_push"
    assert ReminderStore(create_db_engine(stack.url)).for_user(sender) == []

    answer = chat.say("how am I doing?")
    (body,) = Chat.payloads(answer, "progress")
    assert (body["sessions_week"], body["sessions_month"], body["sessions_total"]) == (1, 3, 4)
    assert body["minutes_total"] == 22 and body["rating_trend"] == "up" and body["streak_days"] == 3
    assert body["sides"]["left"]["pain"] == 2
    text = Chat.text(answer)
    assert "This week: 1 session. This month: 3 sessions" in text and "pain on your left side 2 times" in text
    image = requests.get(body["chart"], timeout=10)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
    png = Image.open(io.BytesIO(image.content))
    assert png.size == (640, 320)
    assert requests.get(f"{stack.servers.url}/webhooks/web/charts/not-a-real-token-at-all.png").status_code == 404
