"""What the analytics event stream may carry: the shape of a conversation, never its content.

Rasa publishes every tracker event to the event broker (RabbitMQ in production). Those events
hold the user's words (`text`, `parse_data`), the coach's replies, slot values and entities,
all of which can be health details. `redact` keeps only what analytics needs to count turns,
sessions, channels and the coach's actions per conversation:

- every event: its type, its timestamp, and the conversation as a keyed hash (never the raw
  sender id, which on some channels is a phone number or an account id);
- user messages: the channel, and the intent only when it is about using the coach (greetings,
  session control, frequently asked questions), never one that describes a body or a symptom;
- actions: the action's name (one door, `action_coach`, plus Rasa's own);
- bot messages, session starts, restarts: the type and time only.

Everything else (slots, entities, featurisation, reminders with their entities, forms) is
dropped. The result is marked, so a broker replaying an event it kept after a failed publish
does not redact twice.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any, Dict, Optional

SCHEMA = "psoas-coach-analytics/1"
KEPT_TYPES = {"user", "bot", "action", "session_started", "restart", "action_execution_rejected", "followup"}
NEUTRAL_INTENTS = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "ask_capabilities",
    "bot_challenge",
    "ask_disclaimer",
    "start_over",
    "out_of_scope",
    "ask_recommendation",
    "ask_exercise_info",
    "start_session",
    "change_exercise",
    "make_easier",
    "make_harder",
    "shorter_holds",
    "longer_holds",
    "ready",
    "pause",
    "resume",
    "skip",
    "repeat",
    "slower",
    "time_left",
    "stop_session",
    "rate_session",
}
OTHER_INTENT = "other"


def analytics_key() -> bytes:
    """COACH_ANALYTICS_KEY: the secret the sender hash is keyed with (set one per deployment, so
    the hashes cannot be reversed by trying ids). Unset: a fixed development key."""
    return (os.environ.get("COACH_ANALYTICS_KEY") or "psoas-coach-development").encode("utf-8")


def conversation_hash(sender_id: str, key: Optional[bytes] = None) -> str:
    return hmac.new(key or analytics_key(), sender_id.encode("utf-8"), hashlib.sha256).hexdigest()[:20]


def intent_for_analytics(name: Any) -> str:
    return name if isinstance(name, str) and (name in NEUTRAL_INTENTS or name.startswith("faq_")) else OTHER_INTENT


def redact(event: Dict[str, Any], key: Optional[bytes] = None) -> Optional[Dict[str, Any]]:
    """The analytics form of one published Rasa event, or None when nothing of it may leave."""
    if event.get("schema") == SCHEMA:
        return event
    kind = event.get("event")
    if kind not in KEPT_TYPES:
        return None
    out: Dict[str, Any] = {"schema": SCHEMA, "event": kind, "timestamp": event.get("timestamp")}
    sender = event.get("sender_id")
    if isinstance(sender, str):
        out["conversation"] = conversation_hash(sender, key)
    if kind == "user":
        out["input_channel"] = event.get("input_channel")
        intent = (event.get("parse_data") or {}).get("intent") or {}
        out["intent"] = intent_for_analytics(intent.get("name"))
    elif kind in ("action", "action_execution_rejected", "followup"):
        out["name"] = event.get("name")
    return out
