"""Guided-session adapters. Each step's reply carries a session_step payload with its seconds:
on push channels the server paces it with reminders (actions/pacing.py); on REST and voice
the client or the user ("ready", "next") does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.pacing import needs_check_in, pace, server_paced, stop_timers, timer_fired
from actions.runtime import coach, entity_values, intent_name, say_safety, turn_decision
from coach.kb.schema import Outcome
from coach.safety.triage import Decision
from coach.session import Session, SessionState, Step, build_plan, cues_for

STEP_BUTTONS = {
    "get_ready": [("I'm ready", "/ready"), ("Pause", "/pause"), ("Stop", "/stop_session")],
    "hold": [("Next", "/ready"), ("That hurts", "/report_pain"), ("Stop", "/stop_session")],
    "rest": [("Next", "/ready"), ("Stop", "/stop_session")],
    "switch_sides": [("Ready", "/ready"), ("Stop", "/stop_session")],
    "done": [],
}
CHECK_IN_BUTTONS = [
    ("Front of my hip", "I feel it in the front of my hip"),
    ("Lower back", "it's more in my lower back"),
    ("Nothing much", "I don't feel much"),
    ("It hurts", "/report_pain"),
]


@dataclass
class Turn:
    """One run of a session action: what it says and the events it returns."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    session: Session
    events: List[EventType] = field(default_factory=list)

    @property
    def state(self) -> SessionState:
        return self.session.state

    def announce(self, step: Step, prefix: str = "") -> None:
        """Says a step and (re)starts its timers: the single place a step begins."""
        pace_mode = "server" if server_paced(self.tracker) else "client"
        payload = {**step.payload(), "pace": pace_mode}
        if pace_mode == "client":  # no pushed cues: the client (a voice answer) says them at their times
            payload["cues"] = [
                {"kind": c.kind, "at_seconds": c.at_seconds, "text": c.text} for c in cues_for(step) if c.text
            ]
        self.dispatcher.utter_message(
            text=f"{prefix}{step.text}",
            buttons=[{"title": t, "payload": p} for t, p in STEP_BUTTONS[step.phase]],
            json_message=payload,
        )
        self.events += pace(self.state, self.tracker)
        if step.phase == "done":
            finish(self.dispatcher)

    def halt_timers(self) -> None:
        self.events += stop_timers(self.state)


def finish(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(
        text=f"{coach().kb.texts.safety_net}\n\nHow did that feel, from 0 (awful) to 10 (great)?",
        buttons=[{"title": str(n), "payload": f"{n} out of 10"} for n in (3, 5, 7, 9)],
    )


def begin_session(dispatcher: CollectingDispatcher, tracker: Tracker, decision: Decision) -> List[EventType]:
    c = coach()
    minutes = tracker.get_slot("minutes_available")
    state = c.start_session(tracker.sender_id, decision, minutes=minutes)
    if state is None:
        if decision.stops_coaching:
            say_safety(dispatcher, tracker, decision)
        else:
            dispatcher.utter_message(text=c.kb.texts.nothing_safe)
        return [SlotSet("session_active", False)]
    dispatcher.utter_message(text=c.session_preview(tracker.sender_id, state, minutes))
    turn = Turn(dispatcher, tracker, Session(state))
    turn.announce(state.current)
    c.sessions.save(tracker.sender_id, state)
    return turn.events + [SlotSet("session_active", True)]


class ActionStartSession(Action):
    def name(self) -> str:
        return "action_start_session"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        decision = turn_decision(tracker)
        if decision.coaching_waits:
            say_safety(dispatcher, tracker, decision)
            return [SlotSet("session_active", False)]
        return begin_session(dispatcher, tracker, decision)


class ActionSessionControl(Action):
    """Everything said during a session, and its timers: pacing, controls, check-ins, pain."""

    def name(self) -> str:
        return "action_session_control"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        c = coach()
        state = c.sessions.get(tracker.sender_id)
        timer = timer_fired(tracker)
        if timer is not None:
            if state is None or state.status != "running" or timer[0] != state.timer_token:
                return []  # a timer from a step already left, a pause or a stop: stay silent
        elif state is None or state.finished:
            return self._no_session(dispatcher, tracker, intent_name(tracker), state)
        turn = Turn(dispatcher, tracker, Session(state))
        if timer is not None:
            self._on_timer(turn, timer[1])
        else:
            getattr(self, f"_on_{intent_name(tracker)}", self._on_repeat)(turn)
        c.sessions.save(tracker.sender_id, state)
        if state.finished:
            turn.events.append(SlotSet("session_active", False))
        return turn.events

    # -- timers -----------------------------------------------------------------------------------
    def _on_timer(self, turn: Turn, kind: str) -> None:
        step = turn.state.current
        if kind == "end":
            self._advance(turn)
            return
        check_in = kind == "halfway" and needs_check_in(turn.state, step)
        cue = next((c for c in cues_for(step, check_in) if c.kind == kind), None)
        if cue is None:
            return
        buttons = []
        if check_in:
            turn.state.checked_in.append(step.exercise_id)
            buttons = [{"title": t, "payload": p} for t, p in CHECK_IN_BUTTONS]
        phase = "halfway" if kind == "halfway" else "hold"
        seconds = round(step.seconds - cue.at_seconds)
        turn.dispatcher.utter_message(
            text=cue.text,
            buttons=buttons,
            json_message={**step.payload(), "phase": phase, "seconds": seconds, "cue": kind},
        )

    # -- pacing -----------------------------------------------------------------------------------
    def _advance(self, turn: Turn) -> None:
        turn.announce(turn.session.advance())

    def _on_ready(self, turn: Turn) -> None:
        if turn.state.status == "paused":
            self._on_resume(turn)
        else:
            self._advance(turn)

    _on_affirm = _on_ready

    def _on_resume(self, turn: Turn) -> None:
        turn.announce(turn.session.resume(), prefix="Let's carry on. ")

    def _on_skip(self, turn: Turn) -> None:
        turn.announce(turn.session.skip_exercise(), prefix="Skipping that one. ")

    _on_change_exercise = _on_skip

    def _on_repeat(self, turn: Turn) -> None:
        turn.announce(turn.state.current)

    def _on_pause(self, turn: Turn) -> None:
        turn.session.pause()
        turn.halt_timers()
        turn.dispatcher.utter_message(
            text='Paused. Come out of the stretch gently. Say "resume" when you\'re ready.',
            buttons=[{"title": "Resume", "payload": "/resume"}, {"title": "Stop", "payload": "/stop_session"}],
            json_message={**turn.state.current.payload(), "paused": True},
        )

    def _on_slower(self, turn: Turn) -> None:
        # More time: the current step starts over, with its timers.
        turn.announce(turn.state.current, prefix="No rush, take your time. ")

    def _on_time_left(self, turn: Turn) -> None:
        left = turn.state.seconds_left()
        turn.dispatcher.utter_message(text=f"About {left // 60} min {left % 60} s left, counting every step from here.")

    def _on_stop_session(self, turn: Turn) -> None:
        turn.session.stop()
        turn.halt_timers()
        turn.dispatcher.utter_message(
            text="Okay, we'll stop here. Nice work on what you did.",
            json_message={**turn.state.current.payload(), "phase": "done", "stopped": True},
        )
        finish(turn.dispatcher)

    def _on_deny(self, turn: Turn) -> None:
        turn.dispatcher.utter_message(text='No problem. Say "ready" when you want to go on, or "stop" to finish.')

    # -- check-ins ------------------------------------------------------------------------------
    def _on_feel_front_of_hip(self, turn: Turn) -> None:
        turn.dispatcher.utter_message(text="Good, that's exactly where it should be. Keep breathing and hold steady.")

    def _on_feel_nothing(self, turn: Turn) -> None:
        turn.dispatcher.utter_message(text=coach().catalog.get(turn.state.current.exercise_id).deepen)

    def _on_feel_lower_back(self, turn: Turn) -> None:
        turn.dispatcher.utter_message(text=coach().catalog.get(turn.state.current.exercise_id).back_feels_it)

    def _on_report_pain(self, turn: Turn) -> None:
        """IS1: stop the hold at once (timers too), then offer the gentler variant."""
        c = coach()
        decision = turn_decision(turn.tracker)
        turn.session.pause()
        turn.halt_timers()
        current = c.catalog.get(turn.state.current.exercise_id)
        if decision.outcome is not Outcome.STOP_STRETCH:
            c.profiles.log_safety(turn.tracker.sender_id, Outcome.STOP_STRETCH.value, ["IS1"], [current.id], True)
        gentler = next((r for r in current.regressions if r not in decision.excluded), None)
        text = f"Stop the stretch now and come out of it slowly. {c.kb.texts.pain_rule}"
        buttons = [{"title": "Stop the session", "payload": "/stop_session"}]
        if gentler:
            text += f" If you'd like, we can switch to the gentler {c.catalog.get(gentler).name.lower()}."
            buttons.insert(0, {"title": "Try the gentler one", "payload": "/make_easier"})
        payload = decision.payload()
        if decision.outcome is not Outcome.STOP_STRETCH:
            payload = {
                "type": "safety", "decision": "stop", "outcome": "STOP-STRETCH", "urgency": None,
                "flags": ["IS1"], "excluded": [current.id],
            }  # fmt: skip
        turn.dispatcher.utter_message(text=text, buttons=buttons, json_message=payload)

    def _on_describe_symptom(self, turn: Turn) -> None:
        """Something said mid-session may change what is safe: the safety hook has decided."""
        decision = turn_decision(turn.tracker)
        if decision.outcome is Outcome.STOP_STRETCH:
            self._on_report_pain(turn)
            return
        if decision.stops_coaching:  # a decision that ends the session never gets here (the hook ended it)
            say_safety(turn.dispatcher, turn.tracker, decision)
            return
        reason = decision.excluded.get(turn.state.current.exercise_id)
        if reason:
            turn.announce(turn.session.skip_exercise(), prefix=f"Let's leave this stretch out, because {reason}. ")
            return
        turn.dispatcher.utter_message(text="Thanks, noted. Carry on when you're ready.")

    _on_inform_limitation = _on_describe_symptom
    _on_disclose_condition = _on_describe_symptom

    def _on_ask_recommendation(self, turn: Turn) -> None:
        turn.dispatcher.utter_message(
            text='We\'re in the middle of a session. Say "skip" to move on, or "stop" to finish.'
        )

    # -- changing the plan ------------------------------------------------------------------------
    def _on_make_easier(self, turn: Turn) -> None:
        self._swap(turn, "regressions", "easier")

    def _on_make_harder(self, turn: Turn) -> None:
        self._swap(turn, "progressions", "harder")

    def _on_shorter_holds(self, turn: Turn) -> None:
        self._change_holds(turn, -10)

    def _on_longer_holds(self, turn: Turn) -> None:
        self._change_holds(turn, +10)

    def _on_rate_session(self, turn: Turn) -> None:
        turn.dispatcher.utter_message(text='Thanks! I\'ll ask again at the end. Say "next" to carry on.')

    def _swap(self, turn: Turn, relation: str, word: str) -> None:
        c = coach()
        decision = turn_decision(turn.tracker)
        state = turn.state
        current = c.catalog.get(state.current.exercise_id)
        options = [e for e in getattr(current, relation) if e not in decision.excluded]
        if not options:
            turn.dispatcher.utter_message(
                text=f"There's no {word} version of the {current.name.lower()} that suits you."
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
        state.index, state.status = start, "running"
        turn.announce(state.current, prefix=f"Switching to the {word} {c.catalog.get(options[0]).name.lower()}. ")

    def _change_holds(self, turn: Turn, delta: int) -> None:
        changed = coach().change_holds(turn.state, delta)
        word = "shorter" if delta < 0 else "longer"
        text = (
            f"Okay, {word} holds: {changed} seconds from now on." if changed else "There are no holds left to change."
        )
        turn.dispatcher.utter_message(text=text)

    # -- no session running ---------------------------------------------------------------------
    def _no_session(self, dispatcher, tracker, intent: str, state: Optional[SessionState]) -> List[EventType]:
        c = coach()
        decision = turn_decision(tracker)
        if decision.stops_coaching:  # e.g. "ready, oh and I had surgery last week": safety first
            say_safety(dispatcher, tracker, decision)
            return [SlotSet("session_active", False)]
        if intent == "rate_session" and state is not None:
            rating = next(iter(entity_values(tracker, "rating")), None)
            note = c.record_rating(tracker.sender_id, state, rating)
            dispatcher.utter_message(text=note)
            return [SlotSet("session_active", False)]
        if intent == "report_pain":
            dispatcher.utter_message(text=c.kb.texts.pain_rule)
            return [SlotSet("session_active", False)]
        dispatcher.utter_message(
            text="There's no session running right now.",
            buttons=[
                {"title": "Start a guided session", "payload": "/start_session"},
                {"title": "Suggest a stretch", "payload": "/ask_recommendation"},
            ],
        )
        return [SlotSet("session_active", False)]
