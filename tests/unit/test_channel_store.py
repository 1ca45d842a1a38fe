"""The two small tables the chat channels share across Rasa instances (coach/store/channels.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from coach.store import create_db_engine, session_factory
from coach.store.channels import PAYLOAD_KEY_LENGTH, ButtonPayloads, SeenEvents, payload_key
from coach.store.models import ButtonPayload, ChannelEvent

LONG = '/answer_clarify{"clarify_about": "condition:hip_replacement", "clarify_answer": "recent"}'
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def rows(engine, model) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_long_payload_round_trips_through_a_short_key(engine):
    table = ButtonPayloads(engine)
    key = table.key_for(LONG, now=NOW)
    assert len(key) == PAYLOAD_KEY_LENGTH and len(("#k:" + key).encode()) <= 64
    assert table.payload_for(key, now=NOW) == LONG
    assert table.key_for(LONG, now=NOW) == key == payload_key(LONG), "the same payload, the same key"
    assert rows(engine, ButtonPayload) == 1, "one row per distinct payload, not per message"


def test_another_instance_reads_the_key(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    key = ButtonPayloads(create_db_engine(url)).key_for(LONG, now=NOW)
    assert ButtonPayloads(create_db_engine(url)).payload_for(key, now=NOW) == LONG


def test_unknown_malformed_and_expired_keys_give_nothing(engine):
    table = ButtonPayloads(engine, ttl=timedelta(days=90))
    key = table.key_for(LONG, now=NOW)
    assert table.payload_for("doesnotexist0000", now=NOW) is None
    assert table.payload_for("", now=NOW) is None
    assert table.payload_for("x" * 500, now=NOW) is None
    assert table.payload_for(key, now=NOW + timedelta(days=91)) is None


def test_a_key_in_use_is_refreshed_and_old_ones_are_pruned(engine):
    table = ButtonPayloads(engine, ttl=timedelta(days=90))
    key = table.key_for(LONG, now=NOW)
    table.key_for(LONG, now=NOW + timedelta(days=60))  # issued again: lives on
    assert table.payload_for(key, now=NOW + timedelta(days=120)) == LONG
    table.key_for("/other" + "x" * 80, now=NOW + timedelta(days=300))  # a new key prunes the stale
    assert rows(engine, ButtonPayload) == 1


def test_a_delivery_is_claimed_once_across_instances(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    first, second = SeenEvents(create_db_engine(url)), SeenEvents(create_db_engine(url))
    assert first.first_time("slack:Ev123", now=NOW)
    assert not second.first_time("slack:Ev123", now=NOW), "a retry reaching another instance"
    assert not first.first_time("slack:Ev123", now=NOW)
    assert second.first_time("slack:Ev456", now=NOW)


def test_old_deliveries_are_pruned(engine):
    events = SeenEvents(engine, ttl=timedelta(days=1))
    for i in range(5):
        events.first_time(f"slack:old{i}", now=NOW)
    events.first_time("slack:new", now=NOW + timedelta(days=2))
    assert rows(engine, ChannelEvent) == 1
