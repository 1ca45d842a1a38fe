"""The coach never goes silent: the action server killed or frozen, the database and Redis cut.

Each test checks what the user gets while something is down (the fixed emergency wording for
an emergency, "a technical problem" for anything else, within the reply deadline: requests
here time out long before Rasa's own 300 s), then that the conversation carries on once it is
back, with what the user told the coach before still known.

The database and Redis are cut through tests/integration/tcp_proxy.py, in front of this
machine's shared PostgreSQL and Redis: the shared servers themselves are never stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy
from sqlalchemy import text

from coach.store import create_db_engine
from coach.store import knowledge as kb_store
from coach.store.privacy import PrivacyStore
from tests.integration.conftest import Chat
from tests.integration.servers import ROOT, Servers, ensure_model
from tests.integration.tcp_proxy import TcpProxy

DEADLINE = 8  # COACH_REPLY_DEADLINE_SECONDS for these servers: room for a busy CI machine
PATIENCE = DEADLINE + 12  # a reply later than this is a hang
EMERGENCY = "I have crushing chest pain right now"
PG_ADMIN_URL = os.environ.get("COACH_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_DB = 8


class PatientChat(Chat):
    def say(self, text_: str):
        reply = requests.post(self.url, json={"sender": self.sender, "message": text_}, timeout=PATIENCE)
        reply.raise_for_status()
        return reply.json()


def only_fallback(messages, kind):
    assert messages, "never silence"
    customs = [m.get("custom") or {} for m in messages]
    assert any(c.get("type") == kind for c in customs), messages
    assert not any("Traceback" in (m.get("text") or "") for m in messages)


def assert_emergency_wording(messages, kb):
    only_fallback(messages, "safety")
    safety = next(m for m in messages if (m.get("custom") or {}).get("type") == "safety")
    assert safety["custom"]["outcome"] == "EMERGENCY" and safety["custom"]["urgency"] == "emergency"
    assert kb.red_flags["RF4"].message in safety["text"]


def assert_technical_problem(messages, kb):
    only_fallback(messages, "technical_problem")
    assert kb.say("technical_problem") in Chat.text(messages)


def excluded_ids(recommendation) -> list:
    return [e["id"] for e in recommendation["excluded"]]


def assert_kneeling_still_known(chat: Chat):
    """What the user said before the outage still shapes the answer."""
    reply = first_real_answer(chat, "suggest a stretch for my hip flexors")
    recommendation = Chat.payloads(reply, "recommendation")
    assert recommendation, reply
    assert "half_kneeling_hip_flexor_stretch" in excluded_ids(recommendation[0]), recommendation[0]


# -- the action server ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fault_servers(tmp_path_factory, kb):
    ensure_model()
    workdir = tmp_path_factory.mktemp("faults")
    url = f"sqlite:///{workdir / 'coach.sqlite3'}"
    kb_store.save(create_db_engine(url), kb)
    servers = Servers(workdir, url, env={"COACH_REPLY_DEADLINE_SECONDS": str(DEADLINE)})
    try:
        servers.start()
        yield servers
    finally:
        servers.stop()


def restart_actions(servers: Servers) -> None:
    old = servers.processes[0]
    if old.poll() is None:
        old.kill()
        old.wait(timeout=10)
    servers.processes.remove(old)
    log = servers.workdir / "actions.log"
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "actions.server", "--port", str(servers.actions_port)],
        cwd=ROOT,
        env=servers.env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )
    servers.processes.insert(0, process)
    from tests.integration.servers import wait_until_up

    wait_until_up(f"http://127.0.0.1:{servers.actions_port}/health", process, log)


def test_with_the_action_server_killed_an_emergency_still_gets_the_emergency_wording(fault_servers, kb):
    chat = PatientChat(fault_servers.url, f"fault-kill-{uuid.uuid4().hex[:8]}")
    first_real_answer(chat, "I can't kneel")
    fault_servers.processes[0].send_signal(signal.SIGKILL)
    fault_servers.processes[0].wait(timeout=10)
    try:
        assert_emergency_wording(chat.say(EMERGENCY), kb)
        assert_technical_problem(chat.say("how long should I hold a stretch?"), kb)
    finally:
        restart_actions(fault_servers)
    assert_kneeling_still_known(chat)
    assert_nothing_said_is_logged(fault_servers)


def test_with_the_action_server_frozen_the_user_is_answered_within_the_deadline(fault_servers, kb):
    chat = PatientChat(fault_servers.url, f"fault-freeze-{uuid.uuid4().hex[:8]}")
    alarmed = PatientChat(fault_servers.url, f"fault-freeze-sos-{uuid.uuid4().hex[:8]}")
    # Someone who said the coach may remember them: what the woken action stores is their profile.
    PrivacyStore(create_db_engine(fault_servers.env["DATABASE_URL"])).grant(alarmed.sender, "test")
    first_real_answer(chat, "I can't kneel")
    actions = fault_servers.processes[0]
    actions.send_signal(signal.SIGSTOP)
    try:
        assert_technical_problem(chat.say("what can you do?"), kb)
        assert_emergency_wording(alarmed.say(EMERGENCY), kb)
    finally:
        actions.send_signal(signal.SIGCONT)
    # The cancelled turns freed the conversation's lock: the next message is the coach's again.
    assert_kneeling_still_known(chat)
    # The frozen action server still ran the call it had been handed once it woke up, so the
    # emergency is in that user's profile: it stays the answer, as any emergency does.
    after = first_real_answer(alarmed, "hello?")
    assert not Chat.payloads(after, "technical_problem")
    assert any(p["outcome"] == "EMERGENCY" for p in Chat.payloads(after, "safety")), after


def test_a_conversation_that_was_never_answered_by_the_coach_goes_on_as_before(fault_servers, kb):
    """The emergency said during the outage is in Rasa's tracker (NLU ran) but not in the coach's
    profile; once back, the coach answers the next message from what it had stored."""
    chat = PatientChat(fault_servers.url, f"fault-after-{uuid.uuid4().hex[:8]}")
    first = chat.say("hi")
    assert first and not Chat.payloads(first, "technical_problem")


# -- the database and Redis ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def cut_servers(tmp_path_factory, kb):
    """Both servers on the production stores (endpoints.production.yml, unchanged): the coach's
    data and Rasa's tracker store on PostgreSQL, the lock store on Redis, each through a proxy."""
    name = f"psoas_coach_faults_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError as err:
        pytest.skip(f"SKIPPED LOUDLY: PostgreSQL is not reachable at {PG_ADMIN_URL}: {err}")
    try:
        redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_timeout=2).flushdb()
    except redis.RedisError as err:
        pytest.skip(f"SKIPPED LOUDLY: Redis is not reachable on 127.0.0.1:6379: {err}")
    import socket

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 5672)) != 0:
            pytest.skip("SKIPPED LOUDLY: RabbitMQ (the production event broker) is not reachable on 127.0.0.1:5672")
    pg, rds = TcpProxy(5432).start(), TcpProxy(6379).start()
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace(":5432", f":{pg.port}")
    url = f"{base}/{name}"
    kb_store.save(create_db_engine(url), kb)
    ensure_model()
    servers = Servers(
        tmp_path_factory.mktemp("cut"),
        url,
        endpoints=str(ROOT / "endpoints.production.yml"),
        env={"COACH_REPLY_DEADLINE_SECONDS": str(DEADLINE)},
    )
    servers.env.update(
        TRACKER_DB_HOST="127.0.0.1",
        TRACKER_DB_PORT=str(pg.port),
        TRACKER_DB_NAME=name,
        TRACKER_DB_USER="postgres",
        TRACKER_DB_PASSWORD="",
        REDIS_HOST="127.0.0.1",
        REDIS_PORT=str(rds.port),
        REDIS_DB=str(REDIS_DB),
        REDIS_PASSWORD="",
        RABBITMQ_HOST="127.0.0.1",
        RABBITMQ_PORT="5672",
        RABBITMQ_USER="guest",
        RABBITMQ_PASSWORD="guest",
        RABBITMQ_QUEUE=f"{name}_analytics",
    )
    try:
        servers.start()
        yield servers, pg, rds
    finally:
        servers.stop()
        pg.stop()
        rds.stop()
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def first_real_answer(chat: Chat, message: str, tries: int = 3):
    """The first reply that is the coach's own; a pool may spend one turn finding its
    connections gone. More than `tries` is a conversation that did not come back."""
    for _ in range(tries):
        reply = chat.say(message)
        if not Chat.payloads(reply, "technical_problem"):
            return reply
    raise AssertionError(f"still no answer from the coach after {tries} tries: {reply}")


@pytest.mark.production
@pytest.mark.parametrize("service", ["redis", "postgres"])
def test_with_redis_or_the_database_cut_the_user_still_gets_an_answer(cut_servers, kb, service):
    servers, pg, rds = cut_servers
    proxy = rds if service == "redis" else pg
    chat = PatientChat(servers.url, f"fault-{service}-{uuid.uuid4().hex[:8]}")
    first_real_answer(chat, "I can't kneel")
    proxy.sever()
    try:
        assert_emergency_wording(chat.say(EMERGENCY), kb)
        assert_technical_problem(chat.say("how long should I hold a stretch?"), kb)
    finally:
        proxy.restore()
    reply = first_real_answer(chat, "suggest a stretch for my hip flexors")
    recommendation = Chat.payloads(reply, "recommendation")
    assert recommendation and "half_kneeling_hip_flexor_stretch" in excluded_ids(recommendation[0]), reply
    assert_nothing_said_is_logged(servers)


def assert_nothing_said_is_logged(servers: Servers) -> None:
    """Failures are logged by type and place: an exception's message can hold what was said
    (SQLAlchemy puts a failed statement's parameters in it)."""
    for name in ("rasa.log", "actions.log"):
        log = servers.log(name)
        assert "crushing chest pain" not in log and "how long should I hold" not in log, name


# -- make run -------------------------------------------------------------------------------------
def children(pid: int) -> dict:
    """The direct children of a process, pid -> command line."""
    listed = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return {int(line.split(None, 1)[0]): line.split(None, 1)[1] for line in listed.splitlines() if line.strip()}


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_make_run_says_which_server_died_and_stops_the_other(tmp_path, kb):
    from tests.integration.servers import free_port

    ensure_model()
    url = f"sqlite:///{tmp_path / 'coach.sqlite3'}"
    kb_store.save(create_db_engine(url), kb)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_", "ALEXA_", "COACH_"))},
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "RASA_PORT": str(free_port()),
        "ACTIONS_PORT": str(free_port()),
        "RASA_TELEMETRY_ENABLED": "false",
    }
    log = tmp_path / "run.log"
    run = subprocess.Popen(
        [str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    try:
        for _ in range(1200):  # a busy CI machine may take minutes to start Rasa
            if "Psoas Coach is running" in log.read_text() or run.poll() is not None:
                break
            time.sleep(0.5)
        assert "Psoas Coach is running" in log.read_text(), log.read_text()[-2000:]
        started = children(run.pid)
        actions = next(pid for pid, args in started.items() if "actions.server" in args)
        rasa = next(pid for pid, args in started.items() if " run " in args and pid != actions)
        os.kill(actions, signal.SIGKILL)
        assert run.wait(timeout=60) == 1
        said = log.read_text()
        assert "The action server stopped unexpectedly" in said, said[-2000:]
        assert not alive(rasa), "the Rasa server was stopped too"
    finally:
        if run.poll() is None:
            run.terminate()
            run.wait(timeout=30)
