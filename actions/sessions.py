"""Guided-session adapters: each reply carries a session_step payload with its seconds, so a
client (or the user saying "ready"/"next") can pace it."""

from __future__ import annotations

from typing import Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import coach, entity_values, intent_name, say_safety, turn_decision
from coach.kb.schema import Outcome
from coach.safety.triage import Decision
from coach.session import Session, SessionState, Step, build_plan

STEP_BUTTONS = {
    "get_ready": [("I'm ready", "/ready"), ("Pause", "/pause"), ("Stop", "/stop_session")],
    "hold": [("Next", "/ready"), ("That hurts", "/report_pain"), ("Stop", "/stop_session")],
    "rest": [("Next", "/ready"), ("Stop", "/stop_session")],
    "switch_sides": [("Ready", "/ready"), ("Stop", "/stop_session")],
    "done": [],
}


def _minutes(tracker: Tracker) -> Optional[float]:
    import re

    for value in entity_values(tracker, "duration"):
        match = re.search(r"(\d+(?:\.\d+)?)", str(value))
        if match:
            return float(match.group(1))
    return None


def say_step(dispatcher: CollectingDispatcher, step: Step, prefix: str = "") -> None:
    text = f"{prefix}{step.text}"
    dispatcher.utter_message(
        text=text,
        buttons=[{"title": t, "payload": p} for t, p in STEP_BUTTONS[step.phase]],
        json_message=step.payload(),
    )


def begin_session(dispatcher: CollectingDispatcher, tracker: Tracker, decision: Decision) -> List[EventType]:
    c = coach()
    state = c.start_session(tracker.sender_id, decision, minutes=_minutes(tracker))
    if state is None:
        if decision.stops_coaching:
            say_safety(dispatcher, tracker, decision)
        else:
            dispatcher.utter_message(text=c.kb.texts.nothing_safe)
        return [SlotSet("session_active", False)]
    names = list(dict.fromkeys(c.catalog.get(s.exercise_id).name for s in state.steps if s.phase == "hold"))
    minutes = max(1, round(state.seconds_left() / 60))
    last = c.profiles.last_screening(tracker.sender_id)
    changed = (
        f" Anything changed since your check on {last.taken_at:%d %b}? If so, tell me before we begin." if last else ""
    )
    dispatcher.utter_message(
        text=f"Here's your session: {' then '.join(names)}, about {minutes} minutes. Move slowly, and stop if anything feels sharp.{changed}"
    )
    say_step(dispatcher, state.current)
    return [SlotSet("session_active", True)]


class ActionStartSession(Action):
    def name(self) -> str:
        return "action_start_session"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        decision = turn_decision(tracker)
        if decision.stops_coaching or decision.outcome is Outcome.CLARIFY:
            say_safety(dispatcher, tracker, decision)
            return [SlotSet("session_active", False)]
        return begin_session(dispatcher, tracker, decision)


class ActionSessionControl(Action):
    """Everything said while a session runs: pacing, controls, check-ins, pain."""

    def name(self) -> str:
        return "action_session_control"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        c = coach()
        state = c.sessions.get(tracker.sender_id)
        intent = intent_name(tracker)
        if state is None or state.finished:
            return self._no_session(dispatcher, tracker, intent, state)
        session = Session(state)
        events: List[EventType] = []
        handler = getattr(self, f"_on_{intent}", self._on_repeat)
        events = handler(dispatcher, tracker, session) or []
        c.sessions.save(tracker.sender_id, state)
        if state.finished:
            events.append(SlotSet("session_active", False))
        return events

    # -- pacing ---------------------------------------------------------------------------------
    def _on_ready(self, dispatcher, tracker, session: Session):
        if session.state.status == "paused":
            return self._on_resume(dispatcher, tracker, session)
        step = session.advance()
        say_step(dispatcher, step)
        if step.phase == "done":
            self._finish(dispatcher)

    def _on_affirm(self, dispatcher, tracker, session: Session):
        return self._on_ready(dispatcher, tracker, session)

    def _on_deny(self, dispatcher, tracker, session: Session):
        dispatcher.utter_message(text='No problem. Say "ready" when you want to go on, or "stop" to finish.')

    def _on_shorter_holds(self, dispatcher, tracker, session: Session):
        self._change_holds(dispatcher, session, -10)

    def _on_longer_holds(self, dispatcher, tracker, session: Session):
        self._change_holds(dispatcher, session, +10)

    def _change_holds(self, dispatcher, session: Session, delta: int) -> None:
        c = coach()
        changed = None
        for step in session.state.steps[session.state.index :]:
            if step.phase == "hold":
                limits = c.catalog.get(step.exercise_id).hold_seconds
                step.seconds = max(limits.min, min(limits.max, step.seconds + delta))
                step.text = f"Hold for {step.seconds} seconds. " + step.text.split(". ", 1)[-1]
                changed = step.seconds
        word = "shorter" if delta < 0 else "longer"
        text = (
            f"Okay, {word} holds: {changed} seconds from now on." if changed else "There are no holds left to change."
        )
        dispatcher.utter_message(text=text)

    def _on_resume(self, dispatcher, tracker, session: Session):
        say_step(dispatcher, session.resume(), prefix="Let's carry on. ")

    def _on_skip(self, dispatcher, tracker, session: Session):
        step = session.skip_exercise()
        say_step(dispatcher, step, prefix="Skipping that one. ")
        if step.phase == "done":
            self._finish(dispatcher)

    def _on_repeat(self, dispatcher, tracker, session: Session):
        say_step(dispatcher, session.state.current)

    def _on_pause(self, dispatcher, tracker, session: Session):
        session.pause()
        dispatcher.utter_message(
            text='Paused. Come out of the stretch gently. Say "resume" when you\'re ready.',
            buttons=[{"title": "Resume", "payload": "/resume"}, {"title": "Stop", "payload": "/stop_session"}],
            json_message={**session.state.current.payload(), "paused": True},
        )

    def _on_slower(self, dispatcher, tracker, session: Session):
        dispatcher.utter_message(
            text='No rush. Take all the time you need, and say "ready" when you\'re in position.',
            json_message=session.state.current.payload(),
        )

    def _on_time_left(self, dispatcher, tracker, session: Session):
        left = session.state.seconds_left()
        dispatcher.utter_message(text=f"About {left // 60} min {left % 60} s left, counting every step from here.")

    def _on_stop_session(self, dispatcher, tracker, session: Session):
        session.stop()
        dispatcher.utter_message(
            text="Okay, we'll stop here. Nice work on what you did.",
            json_message={**session.state.current.payload(), "phase": "done", "stopped": True},
        )
        self._finish(dispatcher)

    # -- check-ins ------------------------------------------------------------------------------
    def _on_feel_front_of_hip(self, dispatcher, tracker, session: Session):
        dispatcher.utter_message(text="Good, that's exactly where it should be. Keep breathing and hold steady.")

    def _on_feel_nothing(self, dispatcher, tracker, session: Session):
        dispatcher.utter_message(text=coach().catalog.get(session.state.current.exercise_id).deepen)

    def _on_feel_lower_back(self, dispatcher, tracker, session: Session):
        dispatcher.utter_message(text=coach().catalog.get(session.state.current.exercise_id).back_feels_it)

    def _on_report_pain(self, dispatcher, tracker, session: Session):
        """IS1: stop the hold at once, then offer the gentler variant."""
        c = coach()
        decision = turn_decision(tracker)
        session.pause()
        if decision.outcome is not Outcome.STOP_STRETCH:
            c.profiles.log_safety(
                tracker.sender_id, Outcome.STOP_STRETCH.value, ["IS1"], [session.state.current.exercise_id], True
            )
        current = c.catalog.get(session.state.current.exercise_id)
        gentler = next((r for r in current.regressions if r not in decision.excluded), None)
        text = f"Stop the stretch now and come out of it slowly. {c.kb.texts.pain_rule}"
        buttons = [{"title": "Stop the session", "payload": "/stop_session"}]
        if gentler:
            text += f" If you'd like, we can switch to the gentler {c.catalog.get(gentler).name.lower()}."
            buttons.insert(0, {"title": "Try the gentler one", "payload": "/make_easier"})
        payload = (
            decision.payload()
            if decision.outcome is Outcome.STOP_STRETCH
            else {
                "type": "safety",
                "decision": "stop",
                "outcome": "STOP-STRETCH",
                "urgency": None,
                "flags": ["IS1"],
                "excluded": [current.id],
            }
        )
        dispatcher.utter_message(text=text, buttons=buttons, json_message=payload)

    def _on_describe_symptom(self, dispatcher, tracker, session: Session):
        """Something said mid-session may change what is safe: the hook has already decided."""
        decision = turn_decision(tracker)
        if decision.stops_coaching:
            session.stop()
            say_safety(dispatcher, tracker, decision)
            return
        reason = decision.excluded.get(session.state.current.exercise_id)
        if reason:
            step = session.skip_exercise()
            say_step(dispatcher, step, prefix=f"Let's leave this stretch out, because {reason}. ")
            if step.phase == "done":
                self._finish(dispatcher)
            return
        say_step(dispatcher, session.state.current, prefix="Thanks, noted. ")

    _on_inform_limitation = _on_describe_symptom
    _on_disclose_condition = _on_describe_symptom
    _on_ask_recommendation = _on_repeat

    def _on_make_easier(self, dispatcher, tracker, session: Session):
        self._swap(dispatcher, tracker, session, "regressions", "easier")

    def _on_make_harder(self, dispatcher, tracker, session: Session):
        self._swap(dispatcher, tracker, session, "progressions", "harder")

    def _on_change_exercise(self, dispatcher, tracker, session: Session):
        self._on_skip(dispatcher, tracker, session)

    def _on_rate_session(self, dispatcher, tracker, session: Session):
        dispatcher.utter_message(text='Thanks! Ask me again at the end and I\'ll note it. Say "next" to carry on.')

    def _swap(self, dispatcher, tracker, session: Session, relation: str, word: str):
        c = coach()
        decision = turn_decision(tracker)
        state = session.state
        current = c.catalog.get(state.current.exercise_id)
        options = [e for e in getattr(current, relation) if e not in decision.excluded]
        if not options:
            dispatcher.utter_message(
                text=f"There's no {word} version of the {current.name.lower()} that suits you, so let's keep this one gentle."
            )
            return
        replacement = build_plan(c.catalog, [options[0]])[:-1]  # without its own "done" step
        start = state.index
        while start > 0 and state.steps[start - 1].exercise_id == current.id:
            start -= 1
        end = start
        while (
            end < len(state.steps) and state.steps[end].exercise_id == current.id and state.steps[end].phase != "done"
        ):
            end += 1
        state.steps[start:end] = replacement
        state.index = start
        state.status = "running"
        say_step(
            dispatcher, state.current, prefix=f"Switching to the {word} {c.catalog.get(options[0]).name.lower()}. "
        )

    def _finish(self, dispatcher) -> None:
        dispatcher.utter_message(
            text=f"{coach().kb.texts.safety_net}\n\nHow did that feel, from 0 (awful) to 10 (great)?",
            buttons=[{"title": str(n), "payload": f"{n} out of 10"} for n in (3, 5, 7, 9)],
        )

    def _no_session(self, dispatcher, tracker, intent: str, state: Optional[SessionState]) -> List[EventType]:
        if intent == "rate_session" and state is not None:
            rating = next((v for v in entity_values(tracker, "rating")), None)
            thanks = f"Thanks for the {rating}/10." if rating else "Thanks for telling me."
            dispatcher.utter_message(text=f'{thanks} Say "let\'s start" whenever you want another session.')
            return [SlotSet("session_active", False)]
        if intent == "report_pain":
            dispatcher.utter_message(text=coach().kb.texts.pain_rule)
            return [SlotSet("session_active", False)]
        dispatcher.utter_message(
            text="There's no session running right now.",
            buttons=[
                {"title": "Start a guided session", "payload": "/start_session"},
                {"title": "Suggest a stretch", "payload": "/ask_recommendation"},
            ],
        )
        return [SlotSet("session_active", False)]
