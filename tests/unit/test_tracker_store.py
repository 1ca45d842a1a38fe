"""connectors/tracker_store.py: a confirmed "forget me" turn ends by deleting the conversation
instead of saving it again, other turns save as Rasa does, and no words or health details reach
an event broker (only the redacting analytics broker gets events, and none of a forget-me turn)."""

from __future__ import annotations

import asyncio

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from connectors.analytics_broker import AnalyticsEventBroker
from connectors.tracker_store import ForgetfulSQLTrackerStore, forgets


class Broker:
    """A broker that would publish events as Rasa hands them over (words and all)."""

    def __init__(self):
        self.published = []

    def publish(self, event, headers=None) -> None:
        self.published.append(event)


class Analytics(AnalyticsEventBroker):
    """The coach's redacting broker with RabbitMQ replaced by a list (its publish, its redaction)."""

    def __init__(self):
        self.published = []

    def _publish(self, event, headers=None) -> None:  # what PikaEventBroker.publish would queue
        self.published.append(event)


def published_words(events) -> str:
    import json

    return json.dumps(events)


def store(tmp_path, broker=None) -> ForgetfulSQLTrackerStore:
    return ForgetfulSQLTrackerStore(
        domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.sqlite3"), event_broker=broker
    )


def turn(tracker: DialogueStateTracker, text: str, custom=None) -> None:
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_coach"))
    tracker.update(BotUttered("ok", {"custom": custom} if custom else {}))
    tracker.update(SlotSet("coach_memory", {"profile": {"user_id": "u"}}))
    tracker.update(ActionExecuted("action_listen"))


def run(coro):
    return asyncio.new_event_loop().run_until_complete(coro)


def test_a_forget_me_turn_deletes_the_conversation_and_nothing_is_broadcast(tmp_path):
    broker = Broker()
    s = store(tmp_path, broker)
    tracker = DialogueStateTracker("someone", [])
    turn(tracker, "I can't kneel")
    run(s.save(tracker))
    assert run(s.retrieve("someone")) is not None
    assert s.event_broker is None and broker.published == []
    turn(tracker, "forget me")
    turn(tracker, "yes", custom={"type": "forgotten", "deleted": {}, "conversation": True})
    assert forgets(tracker)
    run(s.save(tracker))
    with s.session_scope() as session:
        assert session.query(s.SQLEvent).filter(s.SQLEvent.sender_id == "someone").count() == 0
    assert run(s.retrieve("someone")) is None
    assert broker.published == []


def test_only_the_redacting_broker_gets_events_and_none_of_a_forget_me_turn(tmp_path, monkeypatch):
    from rasa.core.brokers.pika import PikaEventBroker

    analytics = Analytics()
    monkeypatch.setattr(PikaEventBroker, "publish", lambda self, event, headers=None: self._publish(event))
    s = store(tmp_path, analytics)
    assert s.event_broker is analytics
    tracker = DialogueStateTracker("ana-123", [])
    turn(tracker, "I had a hip replacement")
    run(s.save(tracker))
    kinds = [e["event"] for e in analytics.published]
    assert kinds == ["user", "action", "bot", "action"], "no slot event: the slot can hold health details"
    words = published_words(analytics.published)
    assert "hip" not in words and "ana-123" not in words and "coach_memory" not in words
    count = len(analytics.published)
    turn(tracker, "yes", custom={"type": "forgotten", "deleted": {}, "conversation": True})
    run(s.save(tracker))
    assert len(analytics.published) == count, "nothing of the forget-me turn is published"


def test_a_kept_forget_question_and_later_turns_save_as_usual(tmp_path):
    s = store(tmp_path)
    tracker = DialogueStateTracker("keeper", [])
    turn(tracker, "yes", custom={"type": "forgotten", "deleted": {}, "conversation": False})
    assert not forgets(tracker)
    run(s.save(tracker))
    turn(tracker, "hi")  # a forgotten payload of an earlier turn does not count
    run(s.save(tracker))
    with s.session_scope() as session:
        assert session.query(s.SQLEvent).filter(s.SQLEvent.sender_id == "keeper").count() == 10


# -- kept trackers: the last saved conversations are handed back while SQL still agrees -------------


def sql_events(s, sender):
    with s.session_scope() as session:
        return [row.type_name for row in session.query(s.SQLEvent).filter(s.SQLEvent.sender_id == sender)]


def test_a_saved_tracker_is_handed_back_and_only_its_new_events_are_written(tmp_path):
    s = store(tmp_path)
    tracker = DialogueStateTracker("kept", [])
    turn(tracker, "hello")
    run(s.save(tracker))
    again = run(s.retrieve("kept"))
    assert again is tracker  # no rebuild from SQL
    turn(again, "my hips are tight")
    run(s.save(again))
    assert len(sql_events(s, "kept")) == len(tracker.events) == 10  # each event once
    rebuilt = ForgetfulSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.sqlite3"))
    assert [e.as_dict() for e in run(rebuilt.retrieve("kept")).events] == [e.as_dict() for e in tracker.events]


def test_another_instance_s_write_is_seen_and_the_tracker_rebuilt(tmp_path):
    first, second = store(tmp_path), store(tmp_path)
    tracker = DialogueStateTracker("shared", [])
    turn(tracker, "hello")
    run(first.save(tracker))
    theirs = run(second.retrieve("shared"))
    turn(theirs, "written by the other instance")
    run(second.save(theirs))
    mine = run(first.retrieve("shared"))
    assert mine is not tracker and len(mine.events) == 10
    turn(mine, "and on")
    run(first.save(mine))
    assert len(sql_events(first, "shared")) == 15


def test_a_tracker_changed_by_a_failed_turn_is_rebuilt_from_sql(tmp_path):
    s = store(tmp_path)
    tracker = DialogueStateTracker("failed", [])
    turn(tracker, "hello")
    run(s.save(tracker))
    half = run(s.retrieve("failed"))
    half.update(UserUttered("this turn never saved", {"name": "greet", "confidence": 1.0}))
    fresh = run(s.retrieve("failed"))
    assert fresh is not half and len(fresh.events) == 5


def test_a_new_session_in_a_turn_is_not_kept_so_retrieve_returns_only_the_latest_session(tmp_path):
    from rasa.shared.core.events import SessionStarted

    s = store(tmp_path)
    tracker = DialogueStateTracker("sessions", [])
    tracker.update(SessionStarted())
    turn(tracker, "hello")
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    turn(tracker, "back a day later")
    run(s.save(tracker))
    again = run(s.retrieve("sessions"))
    assert again is not tracker
    assert sum(isinstance(e, SessionStarted) for e in again.events) == 1


def test_forgetting_or_a_purge_elsewhere_drops_the_kept_tracker(tmp_path):
    s = store(tmp_path)
    tracker = DialogueStateTracker("gone", [])
    turn(tracker, "hello")
    run(s.save(tracker))
    other = store(tmp_path)
    other.delete("gone")  # a purge by another process
    assert run(s.retrieve("gone")) is None
    turn(tracker, "hello")
    run(s.save(tracker))
    s.delete("gone")
    assert run(s.retrieve("gone")) is None


def test_the_broker_gets_each_new_event_once_from_a_kept_tracker(tmp_path, monkeypatch):
    from rasa.core.brokers.pika import PikaEventBroker

    monkeypatch.setattr(PikaEventBroker, "publish", lambda self, event, headers=None: self._publish(event))
    analytics = Analytics()
    s = store(tmp_path, analytics)
    tracker = DialogueStateTracker("counted", [])
    turn(tracker, "hello")
    run(s.save(tracker))
    first = len(analytics.published)
    kept = run(s.retrieve("counted"))
    assert kept is tracker
    turn(kept, "again")
    run(s.save(kept))
    assert len(analytics.published) == 2 * first > 0


def test_keeping_can_be_switched_off_and_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_TRACKER_KEEP", "0")
    s = store(tmp_path)
    tracker = DialogueStateTracker("off", [])
    turn(tracker, "hello")
    run(s.save(tracker))
    assert run(s.retrieve("off")) is not tracker
    monkeypatch.setenv("COACH_TRACKER_KEEP", "2")
    for name in ("a", "b", "c"):
        t = DialogueStateTracker(name, [])
        turn(t, "hello")
        run(s.save(t))
    assert list(s._kept) == ["b", "c"]
