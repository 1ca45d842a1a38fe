"""Targeted fixes to Rasa 3.6 internals, applied when our channels load (`connectors/`).

Each fix keeps Rasa's behaviour and only removes a cost we measured; each is guarded by the
Rasa version it was written against, so an upgrade drops it instead of patching blindly.

Action response validation: Rasa validates every action server response with
`jsonschema.validate`, which first re-checks the (constant) response schema against the
JSON Schema meta-schema. Profiling paced sessions (py-spy, 20 concurrent sessions) showed
that meta-schema check was 62% of the Rasa server's CPU time; every pushed session cue
costs two action calls. We compile the validator once and validate responses with it.

SQLite tracker store (the embedded default, endpoints.yml): Rasa opens the SQLite file in its
default rollback-journal mode with synchronous=FULL, so every turn's save waits for several
fsyncs, and it waits inside the event loop (SQLAlchemy is synchronous), holding up every other
conversation. On this machine that is ~18 ms per commit against ~0.2 ms in WAL mode with
synchronous=NORMAL (docs/performance.md). We switch Rasa's SQLite tracker store to WAL and
synchronous=NORMAL, as the coach's own store already uses WAL: a crash of the server loses
nothing; a power cut or OS crash may lose the last turns' conversation events (never the
coach's own data: profiles, screenings and sessions are in the coach's store).
Rasa also opens and closes a new SQLite connection for every query (SQLAlchemy 1.4's NullPool
for SQLite files), and in WAL mode closing the last connection checkpoints the log: ~5 ms per
close, twice a turn. The tracker store keeps its connection open instead (a pool of one, plus
overflow). COACH_TRACKER_SQLITE_WAL=0 keeps Rasa's stock SQLite setup. PostgreSQL is not touched.

Event lookup: every event Rasa reads back (the tracker store's whole conversation on every
turn, the action server's answers) finds its class with `Event.resolve_by_type`, which walks
the whole tree of Event subclasses each time: in-process, 20% of a SQLite retrieve+save. We
keep a name-to-class table, rebuilt when a name is missing (a subclass defined later); an
unknown name gets Rasa's own answer (None for "topic", the default, or its ValueError).
"""

from __future__ import annotations

import functools
import os
from typing import Any, Dict

import rasa
import sqlalchemy
import sqlalchemy.orm
import sqlalchemy.pool
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

PATCHED_RASA = "3.6."


@functools.lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, as jsonschema.validate would on every call
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    error = validators.exceptions.best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    # Same error and wording as Rasa's own implementation.
    error.message += (
        ". Failed to validate Action server response from API, make sure your response "
        "from the Action endpoint is valid. For more information about the format visit "
        "https://rasa.com/docs/rasa/custom-actions"
    )
    raise error


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


_stock_sql_tracker_store_init = SQLTrackerStore.__init__


def _sql_tracker_store_init(self: SQLTrackerStore, *args: Any, **kwargs: Any) -> None:
    _stock_sql_tracker_store_init(self, *args, **kwargs)
    if self.engine.dialect.name != "sqlite" or os.environ.get("COACH_TRACKER_SQLITE_WAL", "1") == "0":
        return
    if self.engine.url.database in (None, "", ":memory:"):
        return  # an in-memory database lives in its one connection: leave Rasa's pool alone
    stock = self.engine
    self.engine = sqlalchemy.create_engine(
        stock.url,
        poolclass=sqlalchemy.pool.QueuePool,
        pool_size=1,
        max_overflow=-1,  # never wait for a connection inside the one event-loop thread
        connect_args={"check_same_thread": False},  # the pool hands a connection to one user at a time
    )
    sqlalchemy.event.listen(self.engine, "connect", _sqlite_wal)
    self.sessionmaker = sqlalchemy.orm.session.sessionmaker(bind=self.engine)
    stock.dispose()


_stock_resolve_by_type = Event.resolve_by_type
_event_classes: Dict[str, Any] = {}


def _resolve_event_by_type(type_name: str, default: Any = None) -> Any:
    found = _event_classes.get(type_name)
    if found is None:
        _event_classes.clear()
        for cls in all_subclasses(Event):
            _event_classes.setdefault(cls.type_name, cls)  # the first match wins, as in Rasa
        found = _event_classes.get(type_name)
    if found is not None:
        return found
    return _stock_resolve_by_type(type_name, default)


def apply() -> bool:
    """Returns whether the fixes apply to the installed Rasa."""
    if not rasa.__version__.startswith(PATCHED_RASA):
        return False
    RemoteAction._validate_action_result = _validate_action_result
    if SQLTrackerStore.__init__ is _stock_sql_tracker_store_init:
        SQLTrackerStore.__init__ = _sql_tracker_store_init
    Event.resolve_by_type = staticmethod(_resolve_event_by_type)
    return True


applied = apply()

__all__ = ["ValidationError", "applied", "apply"]
