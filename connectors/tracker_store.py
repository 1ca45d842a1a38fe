"""Rasa's SQL tracker store, made to forget: endpoints.yml and endpoints.production.yml use it.

Two things Rasa's stock SQLTrackerStore (3.6) cannot do, and this one does:

- **Delete a conversation.** It has no delete, and it saves the turn's new events when the turn
  ends, so rows an action deleted during a "forget me" turn would come straight back. Here the
  turn itself decides: when the coach's last reply of the turn is the `forgotten` payload
  (coach/privacy/dialogue.py, only after the user confirmed), `save` deletes every event of the
  sender instead of saving. A BotUttered can only come from the coach, so a user cannot forge it.
- **Keep the user out of the event broker.** Rasa publishes every new event (the user's words,
  slots, entities) to a configured event broker, where "forget me" cannot reach. This store
  publishes only through the coach's redacting broker (connectors/analytics_broker.py: no words,
  no health details, a keyed hash for the conversation); any other broker is ignored, with a
  warning at start. A "forget me" turn publishes nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

FORGOTTEN = "forgotten"


def forgets(tracker: DialogueStateTracker) -> bool:
    """True when this turn (the events since the last user message) ended in a confirmed "forget me"."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered):
            custom = (event.data or {}).get("custom") or {}
            if custom.get("type") == FORGOTTEN and custom.get("conversation"):
                return True
    return False


def redacts(broker: Any) -> bool:
    """Only the analytics broker, which strips words and health details, may get events."""
    from connectors.analytics_broker import AnalyticsEventBroker

    return isinstance(broker, AnalyticsEventBroker)


class ForgetfulSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, event_broker: Optional[Any] = None, **kwargs: Any) -> None:
        if event_broker is not None and not redacts(event_broker):
            logger.warning(
                "The configured event broker (%s) would carry what people said where 'forget me' cannot "
                "delete it: the coach's tracker store publishes nothing to it (docs/privacy.md). Use "
                "connectors.analytics_broker.AnalyticsEventBroker.",
                type(event_broker).__name__,
            )
            event_broker = None
        super().__init__(*args, event_broker=event_broker, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if forgets(tracker):  # deleted, and nothing of this turn is published
            deleted = self.delete(tracker.sender_id)
            logger.info(json.dumps({"forgotten": True, "events_deleted": deleted}))
            return
        await super().save(tracker)

    def delete(self, sender_id: str) -> int:
        with self.session_scope() as session:
            count = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
        return count or 0
