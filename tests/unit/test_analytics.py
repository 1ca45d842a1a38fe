"""The analytics stream: the shape of a conversation, never its words or its health details."""

from __future__ import annotations

import json
from datetime import datetime

from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    EntitiesAdded,
    ReminderScheduled,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from coach.analytics import SCHEMA, conversation_hash, redact
from connectors.analytics_broker import AnalyticsEventBroker

SENDER = "+44 7700 900123"
SECRET_WORDS = ("crushing", "chest", "pregnan", "knee", "pain", "7700", "disclose_condition", "describe_symptom")


def published(event) -> dict:
    """The body Rasa's tracker store hands the broker (rasa/core/tracker_store.py)."""
    return {"sender_id": SENDER, **event.as_dict()}


def user(text: str, intent: str) -> UserUttered:
    return UserUttered(
        text,
        intent={"name": intent, "confidence": 0.93},
        entities=[{"entity": "condition", "value": "pregnancy", "start": 5, "end": 13}],
        parse_data={"text": text, "intent": {"name": intent, "confidence": 0.93}, "entities": []},
        input_channel="rest",
    )


CONVERSATION = [
    SessionStarted(),
    user("I have crushing chest pain right now", "describe_symptom"),
    ActionExecuted("action_coach"),
    BotUttered("Call 999 now: chest pain like this needs an ambulance.", {"custom": {"kind": "safety"}}),
    SlotSet("conditions", ["pregnancy", "knee_replacement"]),
    EntitiesAdded([{"entity": "condition", "value": "pregnancy"}]),
    ReminderScheduled("EXTERNAL_timer", datetime.now(), entities=[{"entity": "x", "value": "knee"}]),
    user("I'm pregnant", "disclose_condition"),
    user("pause", "pause"),
    user("why do I feel it there", "faq_why_tight_from_sitting"),
]


def test_no_words_no_health_details_no_raw_sender_leave():
    out = [redact(published(e), key=b"k") for e in CONVERSATION]
    text = json.dumps([o for o in out if o]).lower()
    for word in SECRET_WORDS:
        assert word not in text, word


def test_what_analytics_can_count_is_kept():
    out = [redact(published(e), key=b"k") for e in CONVERSATION]
    kinds = [o["event"] if o else None for o in out]
    assert kinds == ["session_started", "user", "action", "bot", None, None, None, "user", "user", "user"]
    assert {o["conversation"] for o in out if o} == {conversation_hash(SENDER, b"k")}
    users = [o for o in out if o and o["event"] == "user"]
    assert [u["intent"] for u in users] == ["other", "other", "pause", "faq_why_tight_from_sitting"]
    assert users[0]["input_channel"] == "rest"
    assert out[2]["name"] == "action_coach"
    assert all(o["schema"] == SCHEMA and o["timestamp"] for o in out if o)


def test_the_hash_is_keyed_and_stable():
    assert conversation_hash(SENDER, b"a") == conversation_hash(SENDER, b"a")
    assert conversation_hash(SENDER, b"a") != conversation_hash(SENDER, b"b")
    assert conversation_hash(SENDER, b"a") != conversation_hash("someone else", b"a")


def test_a_kept_event_replayed_after_a_failed_publish_is_not_redacted_twice():
    once = redact(published(CONVERSATION[1]), key=b"k")
    assert redact(once, key=b"k") == once


def test_the_broker_publishes_only_the_redacted_form(monkeypatch):
    sent = []
    monkeypatch.setattr(
        "rasa.core.brokers.pika.PikaEventBroker.publish",
        lambda self, event, headers=None: sent.append((event, headers)),
    )
    broker = AnalyticsEventBroker.__new__(AnalyticsEventBroker)  # no connection needed to filter
    for event in CONVERSATION:
        broker.publish(published(event), headers={"sender": SENDER})
    assert [e["event"] for e, _ in sent] == ["session_started", "user", "action", "bot", "user", "user", "user"]
    assert all(h is None for _, h in sent)
    assert "crushing" not in json.dumps([e for e, _ in sent])
