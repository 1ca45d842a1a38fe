"""The Rasa fixes must keep Rasa's behaviour exactly: same accepted and rejected responses."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import connectors.socketio  # noqa: F401  (applies the fixes, as `rasa run` does when it loads our channels)
import rasa_fixes

RESPONSES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "safety", "value": {"outcome": "PROCEED"}}]},
    {
        "events": [
            {
                "event": "reminder",
                "intent": "ready",
                "date_time": "2026-11-21T10:00:00+00:00",
                "name": "u1:step3:halfway",
                "kill_on_user_msg": False,
                "entities": [],
            }
        ],
        "responses": [{"text": "Halfway.", "custom": {"type": "session_step"}}],
    },
    {"events": [{"event": "nonsense"}]},
    {"events": [{"event": "slot"}]},
    {"events": "not a list"},
    {"responses": ["not an object"]},
    [],
]


def test_fix_is_applied_for_rasa_3_6():
    assert rasa_fixes.applied
    assert RemoteAction._validate_action_result is rasa_fixes._validate_action_result


@pytest.mark.parametrize("response", RESPONSES)
def test_accepts_and_rejects_exactly_what_jsonschema_validate_does(response):
    schema = RemoteAction.action_response_format_spec()
    try:
        jsonschema.validate(response, schema)
        expected_valid = True
    except jsonschema.ValidationError:
        expected_valid = False
    action = RemoteAction("action_anything", None)
    if expected_valid:
        assert action._validate_action_result(response) is True
    else:
        with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(response)


def test_not_applied_to_another_rasa_version(monkeypatch):
    monkeypatch.setattr(rasa_fixes.rasa, "__version__", "3.7.0")
    assert rasa_fixes.apply() is False


def _tracker_store_pragmas(tmp_path, monkeypatch, setting=None):
    from rasa.core.tracker_store import SQLTrackerStore

    if setting is not None:
        monkeypatch.setenv("COACH_TRACKER_SQLITE_WAL", setting)
    store = SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "tracker.sqlite3"))
    with store.engine.connect() as connection:
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    store.engine.dispose()
    return journal, synchronous


def test_sqlite_tracker_store_runs_in_wal_mode_without_an_fsync_per_commit(tmp_path, monkeypatch):
    monkeypatch.delenv("COACH_TRACKER_SQLITE_WAL", raising=False)
    assert _tracker_store_pragmas(tmp_path, monkeypatch) == ("wal", 1)  # 1 = NORMAL


def test_sqlite_tracker_store_keeps_rasas_setting_when_asked(tmp_path, monkeypatch):
    assert _tracker_store_pragmas(tmp_path, monkeypatch, "0") == ("delete", 2)  # 2 = FULL


async def test_sqlite_tracker_store_still_saves_and_retrieves_every_event(tmp_path, monkeypatch):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    monkeypatch.delenv("COACH_TRACKER_SQLITE_WAL", raising=False)
    domain = Domain.empty()
    store = SQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.sqlite3"))
    tracker = DialogueStateTracker.from_events("u1", [ActionExecuted("action_listen"), UserUttered("hi")])
    await store.save(tracker)
    tracker.update(ActionExecuted("action_coach"))
    await store.save(tracker)
    again = SQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.sqlite3"))
    stored = await again.retrieve("u1")
    assert [e.as_dict()["event"] for e in stored.events] == ["action", "user", "action"]
    store.engine.dispose()
    again.engine.dispose()


def test_event_lookup_finds_the_same_class_as_rasa_for_every_event_type():
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    assert Event.resolve_by_type is rasa_fixes._resolve_event_by_type
    for cls in all_subclasses(Event):
        assert Event.resolve_by_type(cls.type_name) is rasa_fixes._stock_resolve_by_type(cls.type_name)


def test_event_lookup_of_unknown_names_answers_as_rasa_does():
    from rasa.shared.core.events import Event, SlotSet

    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no such event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no such event'"):
        Event.resolve_by_type("no such event")


def test_event_lookup_sees_an_event_class_defined_later():
    from rasa.shared.core.events import Event, SlotSet

    Event.resolve_by_type("slot")  # the table is built

    class LateEvent(SlotSet):
        type_name = "coach_test_late_event"

    assert Event.resolve_by_type("coach_test_late_event") is LateEvent


def test_sqlite_tracker_store_keeps_its_connection_between_turns(tmp_path, monkeypatch):
    from rasa.core.tracker_store import SQLTrackerStore
    from sqlalchemy.pool import NullPool, QueuePool

    monkeypatch.delenv("COACH_TRACKER_SQLITE_WAL", raising=False)
    assert isinstance(SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "a.sqlite3")).engine.pool, QueuePool)
    monkeypatch.setenv("COACH_TRACKER_SQLITE_WAL", "0")
    assert isinstance(SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "b.sqlite3")).engine.pool, NullPool)
