"""Server-side pacing with Rasa reminders, on channels that can receive pushed messages.

Every announced step gets a fresh token and its own reminders (halfway, last seconds, end),
named per user and step, with UTC times and kill_on_user_message=False (talking during a
hold must not kill the timer). A timer comes back as the `ready` intent with a `timer` entity
"<token>:<kind>"; a token that is not the current step's is stale and ignored, so a step the
user already moved past, a pause or a stop never produces a late cue. Rasa schedules before it
cancels within one action, so earlier timers are cancelled by name, never by intent.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone
from typing import List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, ReminderCancelled, ReminderScheduled

from coach.session import SessionState, Step, cues_for

TIMER_INTENT = "ready"
TIMER_ENTITY = "timer"
PUSH_CHANNELS = {"web", "socketio", "telegram", "slack"}


def time_scale() -> float:
    """COACH_TIME_SCALE=0.02 runs a whole session in seconds (tests, demos); 1 is real time."""
    return float(os.environ.get("COACH_TIME_SCALE", "1"))


def server_paced(tracker: Tracker) -> bool:
    return tracker.get_latest_input_channel() in PUSH_CHANNELS


def needs_check_in(state: SessionState, step: Step) -> bool:
    return step.phase == "hold" and step.exercise_id not in state.checked_in


def stop_timers(state: SessionState) -> List[EventType]:
    events = [ReminderCancelled(name=name) for name in state.timer_names]
    state.timer_names, state.timer_token = [], None
    return events


def pace(state: SessionState, tracker: Tracker) -> List[EventType]:
    """Cancels the previous step's timers and, on push channels, schedules the current step's."""
    events = stop_timers(state)
    step = state.current
    if state.status != "running" or step.phase == "done" or not server_paced(tracker):
        return events
    token = uuid.uuid4().hex[:12]
    now, scale = datetime.now(timezone.utc), time_scale()
    for cue in cues_for(step, needs_check_in(state, step)):
        name = f"coach-{tracker.sender_id}-{state.index}-{cue.kind}-{token}"
        events.append(
            ReminderScheduled(
                TIMER_INTENT,
                now + timedelta(seconds=cue.at_seconds * scale),
                entities=[{"entity": TIMER_ENTITY, "value": f"{token}:{cue.kind}"}],
                name=name,
                kill_on_user_message=False,
            )
        )
        state.timer_names.append(name)
    state.timer_token = token
    return events


def timer_fired(tracker: Tracker) -> Optional[Tuple[str, str]]:
    """(token, kind) when this turn is a timer rather than the user."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == TIMER_ENTITY and ":" in str(entity.get("value")):
            token, kind = str(entity["value"]).split(":", 1)
            return token, kind
    return None
