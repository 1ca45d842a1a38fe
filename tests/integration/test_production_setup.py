"""The production setup on this machine's real services: PostgreSQL for the coach's store and
Rasa's tracker store, Redis for the lock store (endpoints.production.yml, unchanged).

Each test run uses its own throwaway PostgreSQL database and Redis key prefix database.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
import redis
import sqlalchemy
from sqlalchemy import text

from coach.store import create_db_engine
from coach.store import knowledge as kb_store
from tests.integration.conftest import Chat
from tests.integration.servers import ROOT, Servers, ensure_model

PG_ADMIN_URL = os.environ.get("COACH_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_DB = 7

pytestmark = pytest.mark.production


@pytest.fixture(scope="module")
def postgres_db():
    name = f"psoas_coach_test_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError as err:
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {err}")
    yield name
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="module")
def production_servers(tmp_path_factory, kb, postgres_db):
    ensure_model()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{postgres_db}"
    kb_store.save(create_db_engine(url), kb)
    redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
    servers = Servers(tmp_path_factory.mktemp("production"), url, endpoints=str(ROOT / "endpoints.production.yml"))
    servers.env.update(
        TRACKER_DB_HOST="127.0.0.1",
        TRACKER_DB_PORT="5432",
        TRACKER_DB_NAME=postgres_db,
        TRACKER_DB_USER="postgres",
        TRACKER_DB_PASSWORD="",
        REDIS_HOST="127.0.0.1",
        REDIS_PORT="6379",
        REDIS_DB=str(REDIS_DB),
        REDIS_PASSWORD="",
        RABBITMQ_HOST="127.0.0.1",
        RABBITMQ_PORT="5672",
        RABBITMQ_USER="guest",
        RABBITMQ_PASSWORD="guest",
        RABBITMQ_QUEUE=f"{postgres_db}_analytics",
    )
    try:
        servers.start()
        yield servers, url
    finally:
        servers.stop()
        asyncio.run(_delete_queue(servers.env["RABBITMQ_QUEUE"]))


async def _delete_queue(name: str) -> None:
    """The analytics queue Rasa declared for this run (the databases go with postgres_db)."""
    import aio_pika

    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(name)


def test_conversation_state_lives_in_postgres_and_survives_a_restart(production_servers):
    servers, url = production_servers
    chat = Chat(servers.url, f"prod-{uuid.uuid4().hex[:8]}")
    chat.say("hi")
    chat.say("/consent_give")  # the coach's tables hold a profile only for a user who said yes
    chat.say("I can't kneel")
    engine = create_db_engine(url)
    with engine.connect() as conn:
        events = conn.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": chat.sender}).scalar()
        profile = conn.execute(text("SELECT data FROM user_profiles WHERE user_id = :s"), {"s": chat.sender}).scalar()
    assert events > 0, "Rasa's tracker store writes to PostgreSQL"
    assert "no_kneeling" in profile["constraints"], "the coach's profile store writes to PostgreSQL"

    servers.stop_rasa()
    servers.start_rasa()
    reply = chat.say("what stretch should I do?")
    excluded = {e["id"] for e in Chat.payloads(reply, "recommendation")[0]["excluded"]}
    assert "half_kneeling_hip_flexor_stretch" in excluded, "what the user said before the restart still counts"


def test_redis_lock_store_is_used(production_servers):
    servers, _ = production_servers
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)

    def writes() -> int:
        stats = client.info("commandstats")
        return sum(stats.get(f"cmdstat_{c}", {}).get("calls", 0) for c in ("set", "setex", "del", "expire"))

    before = writes()
    Chat(servers.url, f"lock-{uuid.uuid4().hex[:8]}").say("hi")
    assert writes() > before, "handling a message takes and releases a lock in Redis"


def test_forget_me_deletes_the_user_from_postgres_tables_and_the_tracker(production_servers):
    servers, url = production_servers
    chat = Chat(servers.url, f"prod-{uuid.uuid4().hex[:8]}")
    chat.say("hi")
    chat.say("/consent_give")
    chat.say("I can't kneel")
    chat.say("forget me")
    done = chat.say("yes")
    assert Chat.payloads(done, "forgotten")[0]["conversation"] is True
    engine = create_db_engine(url)
    with engine.connect() as conn:
        left = {
            table: conn.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE {column} = :s'), {"s": chat.sender}
            ).scalar()
            for table, column in [
                ("events", "sender_id"),
                *(
                    (t, "user_id")
                    for t in ("user_profiles", "consents", "conversations", "safety_events", "screenings")
                ),
            ]
        }
    assert not any(left.values()), left
