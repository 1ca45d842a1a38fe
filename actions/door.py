"""The coach's one Rasa action: every turn goes through it (coach/dialogue/door.py decides).

It only translates. The tracker becomes a plain Turn (the text, the intent and its runners-up,
entities, the safety findings the NLU component added, whether the channel can receive pushed
messages, a session timer); the core's TurnResult becomes bot messages and Rasa events
(reminders for session timers, a restart). One action per turn also means one round trip
between the Rasa server and the action server per message.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, ReminderCancelled, ReminderScheduled, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from coach.dialogue.door import Conversation
from coach.dialogue.model import Timer, Turn, TurnResult
from coach.safety.findings import Finding
from coach.service import Coach
from coach.settings import time_scale

ACTION_NAME = "action_coach"
FINDING_ENTITY = "coach_finding"
TIMER_INTENT = "ready"  # a timer arrives as "ready" with a `timer` entity; the door tells them apart
TIMER_ENTITY = "timer"
# The conversation-only memory of a user who has not said the coach may remember them
# (coach/privacy/scratch.py): kept in Rasa's tracker, so nothing of theirs is in our tables.
MEMORY_SLOT = "coach_memory"
# Channels whose output channel can send later, so the server keeps a session's time.
PUSH_CHANNELS = frozenset({"socketio", "web", "telegram", "slack"})

_coach: Optional[Coach] = None


def coach() -> Coach:
    """One Coach per action-server process, built on first use from DATABASE_URL."""
    global _coach
    if _coach is None:
        _coach = Coach.from_database()
    return _coach


def use_coach(instance: Optional[Coach]) -> None:
    """Lets tests run the real action against their own database."""
    global _coach
    _coach = instance


def turn_from(tracker: Tracker, today: Optional[date] = None) -> Turn:
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    entities: Dict[str, List[Any]] = {}
    findings: List[Finding] = []
    timer: Optional[Timer] = None
    for e in message.get("entities") or []:
        name = e.get("entity")
        if name == FINDING_ENTITY and e.get("finding"):
            findings.append(Finding.from_dict(e["finding"]))
        elif name == TIMER_ENTITY and ":" in str(e.get("value")):
            token, kind = str(e["value"]).split(":", 1)
            timer = Timer(token, kind)
        elif name:
            entities.setdefault(name, []).append(e.get("value"))
    ranking = [r.get("name") for r in message.get("intent_ranking") or [] if r.get("name")]
    return Turn(
        sender=tracker.sender_id,
        text=message.get("text") or "",
        intent=intent.get("name") or "",
        confidence=float(intent.get("confidence") or 0.0),
        alternatives=[r for r in ranking if r != intent.get("name")],
        entities=entities,
        findings=findings,
        can_push=tracker.get_latest_input_channel() in PUSH_CHANNELS,
        timer=timer,
        today=today,
        channel=tracker.get_latest_input_channel() or "",
        memory=tracker.get_slot(MEMORY_SLOT),
    )


def events_for(
    result: TurnResult, now: Optional[datetime] = None, memory_before: Optional[Dict[str, Any]] = None
) -> List[EventType]:
    """Timers become Rasa reminders, named per user and step (cancelled by name, never by intent:
    Rasa schedules before it cancels within one action). kill_on_user_message=False: talking
    during a hold must not kill its timer."""
    now = now or datetime.now(timezone.utc)
    scale = time_scale()
    events: List[EventType] = [ReminderCancelled(name=name) for name in result.cancel_timers]
    for timer in result.start_timers:
        events.append(
            ReminderScheduled(
                TIMER_INTENT,
                now + timedelta(seconds=timer.seconds * scale),
                entities=[{"entity": TIMER_ENTITY, "value": timer.value}],
                name=timer.name,
                kill_on_user_message=False,
            )
        )
    if result.restart:
        events.append(Restarted())  # resets every slot: the conversation-only memory is set again
        if result.memory is not None:
            events.append(SlotSet(MEMORY_SLOT, result.memory))
    elif result.memory != memory_before and not result.forget:
        events.append(SlotSet(MEMORY_SLOT, result.memory))
    return events


class ActionCoach(Action):
    def name(self) -> str:
        return ACTION_NAME

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        turn = turn_from(tracker)
        result = Conversation(coach()).handle(turn)
        for reply in result.replies:
            dispatcher.utter_message(
                text=reply.text,
                buttons=[{"title": title, "payload": payload} for title, payload in reply.buttons],
                json_message=reply.custom,
                image=reply.image,
            )
        return events_for(result, memory_before=turn.memory)
