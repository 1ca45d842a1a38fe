"""Guided sessions in conversation: starting one, everything said during it, and its timers.

Each step's reply carries a session_step payload with its seconds. On channels that can
receive pushed messages the coach keeps time itself: every announced step gets a fresh
token and its own timers (halfway, last seconds, end), named per user and step. A timer comes
back with "<token>:<kind>"; a token that is not the current step's is stale and ignored, so a
step already left, a pause or a stop never produces a late cue. On request-response channels
(REST, voice) the client or the user ("ready", "next") keeps time.
"""

from __future__ import annotations

import uuid
from typing import Callable, Dict, Optional

from coach.dialogue.coaching import say_safety
from coach.dialogue.context import TurnContext
from coach.dialogue.model import TimerRequest
from coach.kb.schema import Outcome
from coach.session import Session, SessionState, Step, cues_for

STEP_BUTTONS = {
    "get_ready": [("button_ready", "/ready"), ("button_pause", "/pause"), ("button_stop", "/stop_session")],
    "hold": [("button_next", "/ready"), ("button_it_hurts", "/report_pain"), ("button_stop", "/stop_session")],
    "rest": [("button_next", "/ready"), ("button_stop", "/stop_session")],
    "switch_sides": [("button_ready", "/ready"), ("button_stop", "/stop_session")],
    "done": [],
}
CHECK_IN_BUTTONS = [
    ("button_front_of_hip", "I feel it in the front of my hip"),
    ("button_lower_back", "it's more in my lower back"),
    ("button_nothing_much", "I don't feel much"),
    ("button_it_hurts", "/report_pain"),
]
# What is said during a session goes to the session; everything else is answered as usual.
SESSION_INTENTS = {
    "ready", "pause", "resume", "skip", "repeat", "slower", "time_left", "stop_session", "feel_front_of_hip",
    "feel_nothing", "feel_lower_back", "report_pain", "make_easier", "make_harder", "change_exercise",
    "shorter_holds", "longer_holds", "rate_session", "affirm", "deny", "describe_symptom", "inform_limitation",
    "disclose_condition", "ask_recommendation",
}  # fmt: skip
# Session words said with no session running.
SESSION_WORDS = {
    "ready", "pause", "resume", "skip", "repeat", "slower", "time_left", "stop_session", "feel_front_of_hip",
    "feel_nothing", "feel_lower_back", "report_pain", "shorter_holds", "longer_holds", "rate_session",
}  # fmt: skip


def current(ctx: TurnContext) -> Optional[SessionState]:
    state = ctx.coach.sessions.get(ctx.sender)
    return state if state is not None and not state.finished else None


# -- starting ---------------------------------------------------------------------------------
def begin(ctx: TurnContext) -> None:
    c = ctx.coach
    minutes = ctx.state.minutes_available or ctx.profile().minutes_available
    decision = c.standing(ctx.sender)
    state = c.start_session(ctx.sender, decision, minutes=minutes)
    if state is None:
        if decision.stops_coaching:
            say_safety(ctx, decision)
        else:
            ctx.say(ctx.kb.texts.nothing_safe)
        return
    ctx.say(c.session_preview(ctx.sender, state, minutes))
    announce(ctx, Session(state), state.current)
    c.sessions.save(ctx.sender, state)


# -- timers -----------------------------------------------------------------------------------
def stop_timers(ctx: TurnContext, state: SessionState) -> None:
    ctx.result.cancel_timers += state.timer_names
    state.timer_names, state.timer_token = [], None


def pace(ctx: TurnContext, state: SessionState) -> None:
    """Cancels the previous step's timers and, on push channels, starts the current step's."""
    stop_timers(ctx, state)
    step = state.current
    if state.status != "running" or step.phase == "done" or not ctx.turn.can_push:
        return
    token = uuid.uuid4().hex[:12]
    for cue in cues_for(ctx.kb, step, needs_check_in(state, step)):
        name = f"coach-{ctx.sender}-{state.index}-{cue.kind}-{token}"
        ctx.result.start_timers.append(TimerRequest(name, cue.at_seconds, f"{token}:{cue.kind}"))
        state.timer_names.append(name)
    state.timer_token = token


def needs_check_in(state: SessionState, step: Step) -> bool:
    return step.phase == "hold" and step.exercise_id not in state.checked_in


def announce(ctx: TurnContext, session: Session, step: Step, prefix: str = "") -> None:
    """Says a step and (re)starts its timers: the single place a step begins."""
    custom = {**step.payload(), "pace": "server" if ctx.turn.can_push else "client"}
    if not ctx.turn.can_push:  # no pushed cues: the client (a voice answer) says them at their times
        custom["cues"] = [
            {"kind": c.kind, "at_seconds": c.at_seconds, "text": c.text} for c in cues_for(ctx.kb, step) if c.text
        ]
    ctx.say(
        f"{prefix} {step.text}".strip(),
        buttons=[(ctx.words(title), payload) for title, payload in STEP_BUTTONS[step.phase]],
        custom=custom,
    )
    pace(ctx, session.state)
    if step.phase == "done":
        finish(ctx)


def finish(ctx: TurnContext) -> None:
    ctx.say(
        f"{ctx.kb.texts.safety_net}\n\n{ctx.words('session_rate_question')}",
        buttons=[(str(n), f"{n} out of 10") for n in (3, 5, 7, 9)],
    )


def on_timer(ctx: TurnContext) -> None:
    c = ctx.coach
    state = c.sessions.get(ctx.sender)
    timer = ctx.turn.timer
    assert timer is not None
    if state is None or state.status != "running" or timer.token != state.timer_token:
        return  # a timer from a step already left, a pause or a stop: stay silent
    session = Session(state)
    step = state.current
    if timer.kind == "end":
        announce(ctx, session, session.advance())
    else:
        check_in = timer.kind == "halfway" and needs_check_in(state, step)
        cue = next((q for q in cues_for(ctx.kb, step, check_in) if q.kind == timer.kind), None)
        if cue is not None:
            buttons = []
            if check_in:
                state.checked_in.append(step.exercise_id)
                buttons = [(ctx.words(t), p) for t, p in CHECK_IN_BUTTONS]
            phase = "halfway" if timer.kind == "halfway" else "hold"
            ctx.say(
                cue.text,
                buttons=buttons,
                custom={
                    **step.payload(),
                    "phase": phase,
                    "seconds": round(step.seconds - cue.at_seconds),
                    "cue": timer.kind,
                },
            )
    c.sessions.save(ctx.sender, state)


# -- what the user says during a session -------------------------------------------------------
def control(ctx: TurnContext, state: SessionState) -> None:
    control_with(ctx, state, HANDLERS.get(ctx.turn.intent, on_repeat))


def control_with(ctx: TurnContext, state: SessionState, handler: Callable[[TurnContext, Session], None]) -> None:
    handler(ctx, Session(state))
    ctx.coach.sessions.save(ctx.sender, state)


def on_ready(ctx: TurnContext, session: Session) -> None:
    if session.state.status == "paused":
        on_resume(ctx, session)
    else:
        announce(ctx, session, session.advance())


def on_resume(ctx: TurnContext, session: Session) -> None:
    before = session.state.current.exercise_id
    step = session.resume()
    if step.exercise_id != before:  # the stretch that gave a warning symptom stays out
        name = ctx.coach.catalog.get(before).name.lower()
        announce(ctx, session, step, prefix=ctx.words("session_carry_on_without", name=name))
        return
    announce(ctx, session, step, prefix=ctx.words("session_carry_on"))


def on_skip(ctx: TurnContext, session: Session) -> None:
    announce(ctx, session, session.skip_exercise(), prefix=ctx.words("session_skipping"))


def on_repeat(ctx: TurnContext, session: Session) -> None:
    announce(ctx, session, session.state.current)


def on_pause(ctx: TurnContext, session: Session) -> None:
    session.pause()
    stop_timers(ctx, session.state)
    ctx.say(
        ctx.words("session_paused"),
        buttons=[(ctx.words("button_resume"), "/resume"), (ctx.words("button_stop"), "/stop_session")],
        custom={**session.state.current.payload(), "paused": True},
    )


def on_pause_quietly(ctx: TurnContext, session: Session) -> None:
    """Holds the session (timers too) while a safety question is answered."""
    session.pause()
    stop_timers(ctx, session.state)


def on_slower(ctx: TurnContext, session: Session) -> None:
    announce(ctx, session, session.state.current, prefix=ctx.words("session_slower"))


def on_time_left(ctx: TurnContext, session: Session) -> None:
    left = session.state.seconds_left()
    ctx.say(ctx.words("session_time_left", minutes=left // 60, seconds=left % 60))


def on_stop(ctx: TurnContext, session: Session) -> None:
    session.stop()
    stop_timers(ctx, session.state)
    ctx.say(ctx.words("session_stopped"), custom={**session.state.current.payload(), "phase": "done", "stopped": True})
    finish(ctx)


def on_deny(ctx: TurnContext, session: Session) -> None:
    ctx.say(ctx.words("session_not_now"))


def on_feel_front(ctx: TurnContext, session: Session) -> None:
    session.state.note("feeling", "front_of_hip")
    ctx.say(ctx.words("session_feel_front"))


def on_feel_nothing(ctx: TurnContext, session: Session) -> None:
    session.state.note("feeling", "nothing")
    ctx.say(ctx.coach.catalog.get(session.state.current.exercise_id).deepen)


def on_feel_back(ctx: TurnContext, session: Session) -> None:
    session.state.note("feeling", "lower_back")
    ctx.say(ctx.coach.catalog.get(session.state.current.exercise_id).back_feels_it)


def stop_stretch(ctx: TurnContext, session: Session) -> None:
    """IS1/IS2: stop the hold at once (timers too), then offer the gentler variant."""
    c = ctx.coach
    decision = ctx.decision
    session.stop_for_symptom()
    stop_timers(ctx, session.state)
    session.state.note("pain", "pain")  # kept for the user's progress, with its side
    current_ex = c.catalog.get(session.state.current.exercise_id)
    if decision.outcome is not Outcome.STOP_STRETCH:  # "/report_pain" or "that hurts": no symptom words to judge
        c.profiles.log_safety(ctx.sender, Outcome.STOP_STRETCH.value, ["IS1"], [current_ex.id], True)
    gentler = next((r for r in current_ex.regressions if r not in decision.excluded), None)
    text = ctx.words("session_stop_stretch", pain_rule=ctx.kb.texts.pain_rule)
    buttons = [(ctx.words("button_stop_session"), "/stop_session")]
    if gentler:
        text += " " + ctx.words("session_offer_gentler", name=c.catalog.get(gentler).name.lower())
        buttons.insert(0, (ctx.words("button_try_gentler"), "/make_easier"))
    payload = decision.payload()
    if decision.outcome is not Outcome.STOP_STRETCH:
        payload = {
            "type": "safety", "decision": "stop", "outcome": "STOP-STRETCH", "urgency": None,
            "flags": ["IS1"], "excluded": [current_ex.id],
        }  # fmt: skip
    payload["stretch"] = current_ex.id
    payload["excluded"] = sorted(set(payload["excluded"]) | {current_ex.id})  # this stretch, for the rest of it
    ctx.say(text, buttons=buttons, custom=payload)


def on_pain(ctx: TurnContext, session: Session) -> None:
    stop_stretch(ctx, session)


def on_disclosure(ctx: TurnContext, session: Session) -> None:
    """Something said mid-session may change what is safe: the rules have decided already."""
    decision = ctx.decision
    if decision.outcome is Outcome.STOP_STRETCH:
        stop_stretch(ctx, session)
        return
    reason = decision.excluded.get(session.state.current.exercise_id)
    if reason:
        announce(ctx, session, session.skip_exercise(), prefix=ctx.words("session_left_out", reason=reason))
        return
    ctx.say(ctx.words("session_noted"))


def on_ask_recommendation(ctx: TurnContext, session: Session) -> None:
    ctx.say(ctx.words("session_in_progress"))


def on_easier(ctx: TurnContext, session: Session) -> None:
    swap(ctx, session, "regressions", ctx.words("word_easier"))


def on_harder(ctx: TurnContext, session: Session) -> None:
    swap(ctx, session, "progressions", ctx.words("word_harder"))


def swap(ctx: TurnContext, session: Session, relation: str, word: str) -> None:
    c = ctx.coach
    current_ex = c.catalog.get(session.state.current.exercise_id)
    options = [
        e
        for e in getattr(current_ex, relation)
        if e not in ctx.decision.excluded and e not in session.state.stopped_for_symptom
    ]
    if not options:
        ctx.say(ctx.words("session_no_variant", word=word, name=current_ex.name.lower()))
        return
    profile = ctx.profile()
    step = session.swap(c.catalog, options[0], profile.older_adult, profile.hold_adjust)
    announce(
        ctx,
        session,
        step,
        prefix=ctx.words("session_switching", word=word, name=c.catalog.get(options[0]).name.lower()),
    )


def change_holds(ctx: TurnContext, session: Session, delta: int) -> None:
    profile = ctx.profile()
    changed = session.change_holds(ctx.coach.catalog, delta, profile.older_adult)
    word = ctx.words("word_shorter") if delta < 0 else ctx.words("word_longer")
    if changed is None:
        ctx.say(ctx.words("session_no_holds_left"))
    else:
        # A preferred hold time, remembered for the next session (as ratings adapt it).
        profile.hold_adjust = max(-10, min(15, profile.hold_adjust + delta))
        ctx.coach.profiles.save(profile)
        ctx.say(ctx.words("session_holds_changed", word=word, seconds=changed))


def on_rate(ctx: TurnContext, session: Session) -> None:
    ctx.say(ctx.words("session_rate_later"))


HANDLERS: Dict[str, Callable[[TurnContext, Session], None]] = {
    "ready": on_ready,
    "affirm": on_ready,
    "resume": on_resume,
    "skip": on_skip,
    "change_exercise": on_skip,
    "repeat": on_repeat,
    "pause": on_pause,
    "slower": on_slower,
    "time_left": on_time_left,
    "stop_session": on_stop,
    "deny": on_deny,
    "feel_front_of_hip": on_feel_front,
    "feel_nothing": on_feel_nothing,
    "feel_lower_back": on_feel_back,
    "report_pain": on_pain,
    "describe_symptom": on_disclosure,
    "inform_limitation": on_disclosure,
    "disclose_condition": on_disclosure,
    "ask_recommendation": on_ask_recommendation,
    "make_easier": on_easier,
    "make_harder": on_harder,
    "shorter_holds": lambda ctx, s: change_holds(ctx, s, -10),
    "longer_holds": lambda ctx, s: change_holds(ctx, s, +10),
    "rate_session": on_rate,
}


def no_session(ctx: TurnContext) -> None:
    """Session words with no session running."""
    c = ctx.coach
    intent = ctx.turn.intent
    last = c.sessions.get(ctx.sender)
    if intent == "rate_session" and last is not None:
        ctx.say(c.record_rating(ctx.sender, last, ctx.turn.entity("rating")))
        return
    if intent == "report_pain":
        ctx.say(ctx.kb.texts.pain_rule)
        return
    ctx.say(
        ctx.words("session_none_running"),
        buttons=[
            (ctx.words("button_start_session"), "/start_session"),
            (ctx.words("button_suggest_stretch"), "/ask_recommendation"),
        ],
    )
