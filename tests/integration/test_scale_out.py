"""The production layout as `make run-production` starts it (scripts/production.py): two Rasa
servers and two action servers behind HAProxy, the tracker store and the coach's data on the
local PostgreSQL, the Redis lock store and the RabbitMQ analytics broker.

One conversation is held alternately on both instances; messages for one user sent to both at
once are serialised by the lock store; an instance killed mid-session loses nothing and is
restarted by the supervisor. Throwaway databases, Redis database and queue per run; ports in
5420-5499 and 8420-8499. Skipped, loudly, only when a service is absent.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests
import sqlalchemy
from sqlalchemy import text

from coach.store import create_db_engine
from coach.store.privacy import PrivacyStore
from coach.store.profiles import ProfileStore
from coach.store.sessions import SessionStore
from scripts import production
from tests.integration.conftest import Chat
from tests.integration.servers import ensure_model
from tests.integration.socket_client import WebUser, is_step

pytestmark = pytest.mark.production

REDIS_DB = 13
LOCK_LIFETIME = 5  # seconds a dead server's ticket holds a conversation (production: 10)


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    run = uuid.uuid4().hex[:8]
    env = production.settings()
    env.update(
        DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/psoas_scale_{run}",
        TRACKER_DB_NAME=f"psoas_scale_{run}_tracker",
        REDIS_DB=str(REDIS_DB),
        RABBITMQ_QUEUE=f"psoas_scale_{run}",
        TICKET_LOCK_LIFETIME=str(LOCK_LIFETIME),
        COACH_RASA_PORT_BASE=str(free_pair(5420, 5449)),
        COACH_ACTIONS_PORT_BASE=str(free_pair(5470, 5499)),
        COACH_PUBLIC_PORT=str(free_pair(8420, 8449)),
        COACH_ACTIONS_LB_PORT=str(free_pair(8470, 8499)),
        COACH_ANALYTICS_KEY=f"scale-test-{run}",
        COACH_TIME_SCALE="0.02",
        # As tests/integration/servers.py: a busy CI machine's slow turns are not outages, and the
        # suite's bursts from one address are not floods (docs/security.md).
        COACH_REPLY_DEADLINE_SECONDS="60",
        COACH_RATE_PER_SENDER="1000/60",
        COACH_RATE_PER_ADDRESS="0",
    )
    for key in [k for k in env if k.startswith(("TELEGRAM_", "SLACK_", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy"))]:
        del env[key]
    missing = [p for p in production.missing_services(env) if "model" not in p]
    if missing:
        pytest.skip("SCALE-OUT TEST SKIPPED, the production layout is NOT checked: " + "; ".join(missing))
    ensure_model()
    redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
    production.ensure_databases(env)
    production.prepare_data(env)
    layout = production.Layout(env, tmp_path_factory.mktemp("scale"), say=lambda line: None)
    try:
        layout.start()
        layout.supervise_in_background()
        yield layout
    finally:
        layout.stop()
        _drop(env)


def free_pair(first: int, last: int) -> int:
    """The first of two consecutive free ports in [first, last] (another run may hold some)."""
    for port in range(first, last):
        if not production.reachable("127.0.0.1", port, 0.2) and not production.reachable("127.0.0.1", port + 1, 0.2):
            return port
    raise RuntimeError(f"no two free ports in {first}-{last}")


def _drop(env) -> None:
    admin = sqlalchemy.create_engine(
        "postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT", future=True
    )
    with admin.connect() as conn:
        for name in (sqlalchemy.engine.make_url(env["DATABASE_URL"]).database, env["TRACKER_DB_NAME"]):
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()
    asyncio.run(_delete_queue(env))
    redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()


async def _delete_queue(env) -> None:
    import aio_pika

    connection = await aio_pika.connect(_amqp(env))
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(env["RABBITMQ_QUEUE"])


def _amqp(env) -> str:
    return f"amqp://{env['RABBITMQ_USER']}:{env['RABBITMQ_PASSWORD']}@{env['RABBITMQ_HOST']}:{env['RABBITMQ_PORT']}/"


class Instances:
    """One user's REST chat with each Rasa server directly, so the test picks the instance."""

    def __init__(self, layout, sender: str):
        self.sender = sender
        self.chats = {n: Chat(layout.rasa_url(n), sender) for n in (1, 2)}
        self.said = []

    def say(self, number: int, message: str):
        self.said.append(message)
        return self.chats[number].say(message)


def tracker_events(layout, sender: str):
    env = layout.env
    url = sqlalchemy.engine.URL.create(
        "postgresql",
        username=env["TRACKER_DB_USER"],
        host=env["TRACKER_DB_HOST"],
        port=int(env["TRACKER_DB_PORT"]),
        database=env["TRACKER_DB_NAME"],
    )
    engine = sqlalchemy.create_engine(url, future=True)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT type_name, action_name, data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
        ).all()
    engine.dispose()
    return [(kind, action, json.loads(data)) for kind, action, data in rows]


def screen_and_start(chat: Instances) -> dict:
    """Screening answered alternately on both instances until the session's first step."""
    reply = chat.say(1, "let's start")
    assert Chat.payloads(reply, "screening_question"), Chat.text(reply)
    for turn in range(12):
        reply = chat.say(2 if turn % 2 == 0 else 1, "no")
        if Chat.payloads(reply, "session_step"):
            return Chat.payloads(reply, "session_step")[0]
        assert Chat.payloads(reply, "screening_question"), Chat.text(reply)
    raise AssertionError("the screening never ended in a session")


def test_one_conversation_alternates_across_both_instances(layout):
    chat = Instances(layout, f"alt-{uuid.uuid4().hex[:8]}")
    store = create_db_engine(layout.env["DATABASE_URL"])
    chat.say(1, "I can't kneel")  # answered, then "May I remember you?"
    consent = Chat.payloads(chat.say(2, "yes"), "consent")
    assert consent and consent[0]["given"], "the yes to instance 1's question counts on instance 2"
    reply = chat.say(2, "what stretch should I do?")
    excluded = {e["id"] for e in Chat.payloads(reply, "recommendation")[0]["excluded"]}
    assert "half_kneeling_hip_flexor_stretch" in excluded, "what instance 1 heard counts on instance 2"

    step = screen_and_start(chat)
    screening = ProfileStore(store).last_screening(chat.sender)
    assert screening is not None and set(screening.answers.values()) == {False}, "every 'no', from both instances"
    assert step["phase"] == "get_ready"
    hold = Chat.payloads(chat.say(1, "ready"), "session_step")[0]
    assert hold["phase"] == "hold" and hold["exercise_id"] == step["exercise_id"]
    state = SessionStore(store).get(chat.sender)
    assert state.current.phase == "hold" and state.status == "running"
    assert hold["exercise_id"] != "half_kneeling_hip_flexor_stretch", "the limit holds inside the session too"

    said = [e[2].get("text") for e in tracker_events(layout, chat.sender) if e[0] == "user"]
    assert said == chat.said, "both instances wrote every turn, in order, to one tracker"


def test_messages_for_one_user_sent_to_both_instances_at_once_are_serialised(layout):
    chat = Instances(layout, f"lock-{uuid.uuid4().hex[:8]}")
    chat.say(1, "hi")
    messages = [
        "what even is the psoas?",
        "why does sitting make my hips tight?",
        "how long should each hold be?",
        "should I stretch before or after running?",
    ]

    def send(numbered):
        number, message = numbered
        url = f"{layout.rasa_url(1 + number % 2)}/webhooks/rest/webhook"
        reply = requests.post(url, json={"sender": chat.sender, "message": message}, timeout=90)
        return reply.status_code, reply.json() if reply.ok else reply.text

    with ThreadPoolExecutor(max_workers=len(messages)) as pool:
        replies = list(pool.map(send, enumerate(messages)))
    assert [code for code, _ in replies] == [200] * len(messages), replies
    assert all(Chat.text(body).strip() for _, body in replies), "every message got its answer"

    events = tracker_events(layout, chat.sender)
    said = [e[2].get("text") for e in events if e[0] == "user"]
    assert sorted(said) == sorted(["hi", *messages]), "no turn lost and none doubled"
    # Each turn ran whole before the next began: between two user messages, exactly one door.
    turns, doors = [], 0
    for kind, action, _ in events:
        if kind == "user":
            turns.append(doors)
            doors = 0
        elif kind == "action" and action == "action_coach":
            doors += 1
    turns.append(doors)
    assert turns[1:] == [1] * len(said), f"turns interleaved: {turns}"


def test_killing_an_instance_mid_session_loses_nothing(layout):
    chat = Instances(layout, f"kill-{uuid.uuid4().hex[:8]}")
    store = create_db_engine(layout.env["DATABASE_URL"])
    chat.say(1, "I can't kneel")
    chat.say(2, "yes")  # the coach may remember them: the session is stored, so it can be resumed
    step = screen_and_start(chat)
    hold = Chat.payloads(chat.say(1, "ready"), "session_step")[0]
    before = SessionStore(store).get(chat.sender)
    # A second person in a session on the web page (socket.io): its cues are reminders that
    # live only in instance 1's scheduler.
    web_id = f"web-{uuid.uuid4().hex[:8]}"
    PrivacyStore(store).grant(web_id, "test")  # a stored screening counts for users who said yes
    ProfileStore(store).save_screening(web_id, {}, "PROCEED")
    pushed_hold = asyncio.run(_start_pushed_session(layout.rasa_url(1), web_id))

    # Instance 1 killed while it holds this conversation's lock, a message in flight.
    locks = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    in_flight = threading.Thread(target=lambda: _ignore_errors(chat.say, 1, "how long is left?"), daemon=True)
    in_flight.start()
    for _ in range(2000):
        if locks.exists(f"psoascoach:lock:{chat.sender}"):
            break
        time.sleep(0.005)
    layout.kill("rasa-1")
    in_flight.join(timeout=40)

    # The other instance takes over once the dead one's ticket expires (TICKET_LOCK_LIFETIME; with
    # Rasa's 60 s default, Chat's 30 s timeout would fail).
    resumed = chat.say(2, "carry on")
    steps = Chat.payloads(resumed, "session_step")
    assert steps, Chat.text(resumed)
    after = SessionStore(store).get(chat.sender)
    assert after.steps == before.steps, "the session plan survived"
    assert after.index >= before.index and after.completed_holds[: len(before.completed_holds)] == (
        before.completed_holds
    )
    assert steps[-1]["exercise_id"] == hold["exercise_id"] == step["exercise_id"], "carried on where it was"
    assert ProfileStore(store).get(chat.sender).constraints == ["no_kneeling"]

    # The web session: its cues died with instance 1; on instance 2 "carry on" says the saved
    # step again and that server's own timers push the cues from there.
    saved = SessionStore(store).get(web_id)
    assert saved is not None and saved.steps[0].exercise_id == pushed_hold["custom"]["exercise_id"]
    said_again, cue = asyncio.run(_carry_on_pushed(layout.rasa_url(2), web_id))
    now = SessionStore(store).get(web_id)
    assert now.steps == saved.steps, "the plan survived"
    assert said_again["custom"]["exercise_id"] == saved.current.exercise_id
    assert said_again["custom"]["phase"] == saved.current.phase, "carried on at the saved step"
    assert cue["at"] > said_again["at"], "instance 2 pushes the next cue itself"

    nxt = Chat.payloads(chat.say(2, "ready"), "session_step")[-1]
    assert SessionStore(store).get(chat.sender).index == after.index + 1, "the next step follows the saved one"

    # The supervisor restarts the killed server; the conversation goes on there too.
    layout.wait_healthy("rasa-1")
    assert layout.servers["rasa-1"].restarts >= 1
    again = Chat.payloads(chat.say(1, "repeat"), "session_step")
    assert again and again[-1]["phase"] == nxt["phase"] and again[-1]["exercise_id"] == nxt["exercise_id"]


async def _start_pushed_session(url: str, session_id: str) -> dict:
    async with WebUser(url, session_id) as user:
        await user.say("let's start")
        return await user.wait_for(is_step("hold"), timeout=30)


async def _carry_on_pushed(url: str, session_id: str):
    async with WebUser(url, session_id) as user:
        await user.say("carry on")
        said = await user.wait_for(lambda m: (m.get("text") or "").startswith("Let's carry on"), timeout=30)
        cue = await user.wait_for(
            lambda m: m["at"] > said["at"] and (m.get("custom") or {}).get("type") == "session_step", timeout=30
        )
        return said, cue


def _ignore_errors(function, *args):
    try:
        function(*args)
    except requests.RequestException:
        pass  # the instance died under this request: that is the point


def both_up(layout) -> None:
    """After the kill test: both Rasa servers answer, and HAProxy's health check (every 2 s) saw it."""
    for name in ("rasa-1", "rasa-2"):
        layout.wait_healthy(name)
    time.sleep(5)


def test_the_load_balancer_keeps_a_socketio_session_on_one_instance(layout):
    both_up(layout)
    for _ in range(4):
        client = requests.Session()
        handshake = client.get(f"{layout.public_url}/socket.io/", params={"EIO": "4", "transport": "polling"})
        assert handshake.ok, handshake.text
        assert client.cookies.get("coach_server") in ("rasa-1", "rasa-2"), "HAProxy names the instance"
        sid = json.loads(handshake.text[1:])["sid"]
        params = {"EIO": "4", "transport": "polling", "sid": sid}
        connect = client.post(f"{layout.public_url}/socket.io/", params=params, data="40")
        assert connect.ok and connect.text.lower() == "ok", connect.text
        ack = client.get(f"{layout.public_url}/socket.io/", params=params, timeout=10)
        assert ack.ok and ack.text.startswith("40"), "the poll reached the instance that holds the session"


def test_messages_through_the_load_balancer_reach_both_instances(layout):
    """REST needs no stickiness (the lock store serialises a conversation): HAProxy balances it,
    and the cookie it sets on each response names the instance that answered."""
    both_up(layout)
    sender = f"lb-{uuid.uuid4().hex[:8]}"
    answered_by = set()
    for message in ("hi", "I can't kneel", "what stretch should I do?", "thanks", "hi again", "ok"):
        reply = requests.post(
            f"{layout.public_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=30
        )
        assert reply.ok and Chat.text(reply.json()).strip()
        answered_by.add(reply.cookies.get("coach_server"))
        if answered_by == {"rasa-1", "rasa-2"}:
            break
    assert answered_by == {"rasa-1", "rasa-2"}


def test_analytics_events_carry_no_words_and_no_health_details(layout):
    both_up(layout)
    chat = Instances(layout, f"analytics-{uuid.uuid4().hex[:8]}")
    chat.say(1, "I'm pregnant and I can't kneel")
    chat.say(2, "I have crushing chest pain right now")
    bodies = asyncio.run(_drain(layout.env))
    assert bodies, "the Rasa servers publish to RabbitMQ"
    everything = "\n".join(bodies).lower()
    for word in ("pregnan", "kneel", "crushing", "chest", chat.sender.lower()):
        assert word not in everything, f"{word!r} reached the analytics queue"
    events = [json.loads(b) for b in bodies]
    assert {e["event"] for e in events} >= {"user", "bot", "action"}
    assert all(e["schema"] == "psoas-coach-analytics/1" for e in events)


async def _drain(env, limit: int = 5000):
    import aio_pika

    bodies = []
    connection = await aio_pika.connect(_amqp(env))
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(env["RABBITMQ_QUEUE"], durable=True)
        while len(bodies) < limit:
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                break
            bodies.append(message.body.decode("utf-8"))
    return bodies


def test_the_layout_reads_its_settings_from_one_file_and_the_environment_wins(tmp_path):
    path = tmp_path / "production.env"
    path.write_text("# comment\nCOACH_INSTANCES=2\nREDIS_DB=0\n\nTICKET_LOCK_LIFETIME=15\n")
    merged = production.settings({"REDIS_DB": "5"}, env_file=path)
    assert merged == {"COACH_INSTANCES": "2", "REDIS_DB": "5", "TICKET_LOCK_LIFETIME": "15"}
    path.write_text("NOT A SETTING\n")
    with pytest.raises(ValueError, match="expected KEY=value"):
        production.settings({}, env_file=path)
    assert os.path.exists(production.ENV_FILE)
