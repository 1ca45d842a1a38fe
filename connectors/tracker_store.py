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

And one thing it does faster: **it keeps the conversations it saved last** (an LRU of
`COACH_TRACKER_KEEP` trackers, 500 by default, 0 to switch off). Rasa's store rebuilds the whole
session from SQL on every turn (load, parse and replay every event) and counts the stored events
again on every save. A kept tracker is handed back instead when one cheap query shows nothing
was written since it was saved (the sender's newest event id is still the one this process
wrote: another Rasa instance's write, a deletion or a restart all show there), and when it is
exactly as it was saved (same length, same last event: a turn that failed half-way leaves it
changed, and it is rebuilt from SQL). A tracker in which a new session started is never kept:
Rasa's own retrieve returns only the latest session, so the store returns what it would.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, Event, SessionStarted, UserUttered
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


def keep_limit() -> int:
    return max(0, int(os.environ.get("COACH_TRACKER_KEEP", "500")))


@dataclass
class Kept:
    """A tracker as this process saved it, and the sender's newest event id right after."""

    tracker: DialogueStateTracker
    saved: int  # len(tracker.events) at the save
    last_event: Event  # the object itself: a changed tracker has another one (or more events)
    last_id: Optional[int]

    def unchanged(self) -> bool:
        events = self.tracker.events
        return len(events) == self.saved and bool(events) and events[-1] is self.last_event


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
        self._kept: OrderedDict[str, Kept] = OrderedDict()
        # The new events of a save in progress, per sender (one turn per sender at a time: the lock store).
        self._saving: Dict[str, Optional[List[Event]]] = {}

    # -- kept trackers ----------------------------------------------------------------------------
    def _last_id(self, sender_id: str) -> Optional[int]:
        with self.session_scope() as session:
            return session.query(sa.func.max(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id).scalar()

    def _current(self, sender_id: str, tracker: Optional[DialogueStateTracker] = None) -> Optional[Kept]:
        """The kept entry when SQL holds exactly what it says (and, given `tracker`, it is that one)."""
        kept = self._kept.get(sender_id)
        if kept is None:
            return None
        if tracker is not None and kept.tracker is not tracker:
            return None
        if self._last_id(sender_id) != kept.last_id:
            self._kept.pop(sender_id, None)  # written elsewhere, deleted or purged: rebuild from SQL
            return None
        return kept

    def _keep(self, tracker: DialogueStateTracker) -> None:
        self._kept.pop(tracker.sender_id, None)
        limit = keep_limit()
        events = tracker.events
        sessions = sum(isinstance(e, SessionStarted) for e in events)
        if not limit or not events or sessions > 1:
            return  # a session started in this turn: Rasa's retrieve would return only the new one
        self._kept[tracker.sender_id] = Kept(tracker, len(events), events[-1], self._last_id(tracker.sender_id))
        while len(self._kept) > limit:
            self._kept.popitem(last=False)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        kept = self._current(sender_id)
        if kept is not None and kept.unchanged():
            self._kept.move_to_end(sender_id)
            return kept.tracker
        self._kept.pop(sender_id, None)
        return await super().retrieve(sender_id)

    def _new_events(self, tracker: DialogueStateTracker) -> Optional[List[Event]]:
        """The events since this process saved `tracker`, when it is the kept one and SQL agrees."""
        kept = self._current(tracker.sender_id, tracker)
        if kept is None or kept.saved > len(tracker.events):
            return None
        return list(itertools.islice(tracker.events, kept.saved, len(tracker.events)))

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        new = self._saving.get(tracker.sender_id) if self.event_broker is not None else None
        if new is None:
            await super().stream_events(tracker)  # Rasa's way: a second retrieve and a diff
            return
        await self._stream_new_events(self.event_broker, new, tracker.sender_id)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Any:
        new = self._saving.get(tracker.sender_id)
        return iter(new) if new is not None else super()._additional_events(session, tracker)

    # -- saving and forgetting ----------------------------------------------------------------------
    async def save(self, tracker: DialogueStateTracker) -> None:
        if forgets(tracker):  # deleted, and nothing of this turn is published
            deleted = self.delete(tracker.sender_id)
            logger.info(json.dumps({"forgotten": True, "events_deleted": deleted}))
            return
        self._saving[tracker.sender_id] = self._new_events(tracker)
        try:
            await super().save(tracker)
        except BaseException:
            self._kept.pop(tracker.sender_id, None)
            raise
        finally:
            self._saving.pop(tracker.sender_id, None)
        self._keep(tracker)

    def delete(self, sender_id: str) -> int:
        self._kept.pop(sender_id, None)
        with self.session_scope() as session:
            count = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
        return count or 0
