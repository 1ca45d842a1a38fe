"""Guided sessions as a pure state machine: a plan of steps and a cursor over it.

Time is not kept here. A step says how many seconds it lasts; the channel decides who
counts them (server reminders on push channels, the client on request-response ones).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Literal, Optional, Sequence, get_args

from coach.catalog import Catalog
from coach.kb.loader import KnowledgeBase
from coach.kb.schema import Exercise

GET_READY_SECONDS = 10
SWITCH_SECONDS = 5
SIDES = ("left", "right")

# The vocabularies a session is made of, as types the checker holds every assignment to; the
# values stay plain strings (they go to JSON payloads, SQL columns and the channels as they are).
Phase = Literal["get_ready", "hold", "rest", "switch_sides", "done"]
SessionStatus = Literal["running", "paused", "done", "stopped"]
CueKind = Literal["halfway", "last", "end"]
PHASES: tuple = get_args(Phase)
STATUSES: tuple = get_args(SessionStatus)


@dataclass
class Step:
    exercise_id: str
    side: Optional[str]  # "left" | "right" | None when both sides work together
    rep: int
    phase: Phase
    seconds: int
    text: str
    halfway_text: Optional[str] = None  # spoken at half time of a hold on push channels

    def payload(self) -> Dict:
        return {
            "type": "session_step",
            "exercise_id": self.exercise_id,
            "side": self.side,
            "phase": self.phase,
            "seconds": self.seconds,
            "rep": self.rep,
        }


@dataclass
class Cue:
    """Something to say at a time within a step, on channels where the server keeps time."""

    kind: CueKind
    at_seconds: float
    text: Optional[str] = None


@dataclass
class SessionState:
    steps: List[Step]
    index: int = 0
    status: SessionStatus = "running"
    completed_holds: List[Dict] = field(default_factory=list)
    # Server pacing (push channels): the current step's timer token and reminder names, so a
    # timer from an earlier step is recognised as stale and earlier reminders can be cancelled.
    timer_token: Optional[str] = None
    timer_names: List[str] = field(default_factory=list)
    checked_in: List[str] = field(default_factory=list)  # exercises already asked "where do you feel it?"
    rating: Optional[int] = None
    # For the user's progress (coach/progress.py): which session this is, when it started, and
    # what they reported during it, each with the stretch and side it was on.
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    started_at: Optional[str] = None  # ISO moment (UTC)
    pain_reports: List[Dict] = field(default_factory=list)
    feelings: List[Dict] = field(default_factory=list)
    # Stretches stopped for a warning symptom (IS1/IS2): never taken up again in this session.
    stopped_for_symptom: List[str] = field(default_factory=list)

    def note(self, kind: str, value: str) -> None:
        """Keeps something the user reported about the current step ("pain", or a feeling)."""
        step = self.current
        entry = {"exercise_id": step.exercise_id, "side": step.side}
        if kind == "pain":
            self.pain_reports.append(entry)
        else:
            self.feelings.append({**entry, "feel": value})

    @property
    def current(self) -> Step:
        return self.steps[min(self.index, len(self.steps) - 1)]

    @property
    def finished(self) -> bool:
        return self.status in ("done", "stopped")

    def seconds_left(self) -> int:
        return sum(s.seconds for s in self.steps[self.index :])

    def to_dict(self) -> Dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Dict) -> SessionState:
        """A stored session back; a phase or status outside the vocabulary is refused here rather
        than steering the session engine somewhere it has no branch for."""
        data = dict(data, steps=[Step(**s) for s in data["steps"]])
        bad = [s.phase for s in data["steps"] if s.phase not in PHASES]
        if bad or data.get("status", "running") not in STATUSES:
            raise ValueError(f"a stored session with an unknown phase or status: {bad or data.get('status')}")
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


LAST_SECONDS = 5


def cues_for(kb: KnowledgeBase, step: Step, check_in: bool = False) -> List[Cue]:
    """Halfway (its form cue, or the check-in question on a stretch's first hold) and 'last
    seconds' cues during a hold; every step ends with an 'end' cue that moves on."""
    cues: List[Cue] = []
    if step.phase == "done":
        return cues
    if step.phase == "hold":
        halfway = kb.say("step_check_in") if check_in else step.halfway_text or kb.say("step_halfway", cue="")
        cues.append(Cue("halfway", step.seconds / 2, halfway))
        if step.seconds >= 3 * LAST_SECONDS:
            cues.append(Cue("last", step.seconds - LAST_SECONDS, kb.say("step_last_seconds")))
    cues.append(Cue("end", float(step.seconds)))
    return cues


OLDER_ADULT_MIN_HOLD = 30  # ACSM: 30-60 s holds suit adults over 65


def shortest_hold(ex: Exercise, older_adult: bool = False) -> int:
    """The shortest hold this person may get for this stretch, whatever changes the plan."""
    floor = max(ex.hold_seconds.min, OLDER_ADULT_MIN_HOLD if older_adult else 0)
    return min(floor, ex.hold_seconds.max)


def hold_seconds(ex: Exercise, older_adult: bool = False) -> int:
    """Default hold from the knowledge base; 30–60 s for older adults (ACSM)."""
    hold = ex.hold_seconds
    seconds = max(hold.default, OLDER_ADULT_MIN_HOLD) if older_adult else hold.default
    return min(seconds, hold.max)


def build_plan(
    catalog: Catalog,
    exercise_ids: Sequence[str],
    older_adult: bool = False,
    minutes: Optional[float] = None,
    reps: Optional[int] = None,
    hold_adjust: int = 0,
) -> List[Step]:
    """The session's steps. With `minutes`, the whole plan (get-ready, rests, switches
    included) fits that time: holds shorten first (never below the knowledge base's
    minimum, nor 30 s for older adults), then one rep per side, then fewer stretches."""
    exercises = [catalog.get(i) for i in exercise_ids]

    def usual(ex: Exercise) -> int:
        # A learnt adjustment never takes an older adult below their minimum.
        return max(
            shortest_hold(ex, older_adult), min(ex.hold_seconds.max, hold_seconds(ex, older_adult) + hold_adjust)
        )

    plan = _steps(catalog.kb, exercises, usual, reps)
    if not minutes or not exercises:
        return plan
    budget = minutes * 60
    shortest = {ex.id: min(usual(ex), shortest_hold(ex, older_adult)) for ex in exercises}
    for count in range(len(exercises), 0, -1):
        for rep_choice in dict.fromkeys([reps, 1]):
            for cut in range(0, max(usual(ex) for ex in exercises) + 1, 5):
                plan = _steps(
                    catalog.kb, exercises[:count], lambda ex, cut=cut: max(shortest[ex.id], usual(ex) - cut), rep_choice
                )
                if sum(st.seconds for st in plan) <= budget:
                    return plan
    return plan  # the smallest plan there is: one stretch, one rep, shortest holds


def _steps(kb: KnowledgeBase, exercises: Sequence[Exercise], hold_for, reps: Optional[int]) -> List[Step]:
    steps: List[Step] = []
    for n, ex in enumerate(exercises):
        seconds = hold_for(ex)
        sides = SIDES if ex.per_side else (None,)
        total_reps = reps or ex.reps_per_side
        for s_i, side in enumerate(sides):
            for rep in range(1, total_reps + 1):
                first = rep == 1
                if first:
                    intro = kb.say("step_next_exercise", name=ex.name) if n and s_i == 0 else ""
                    intro = intro or (f"{ex.name}." if s_i == 0 else "")
                    where = f" {side.capitalize()} side." if side else ""
                    ready = kb.say("step_get_ready", where=where, setup=ex.setup[0])
                    steps.append(Step(ex.id, side, rep, "get_ready", GET_READY_SECONDS, f"{intro} {ready}".strip()))
                steps.append(
                    Step(
                        ex.id,
                        side,
                        rep,
                        "hold",
                        seconds,
                        hold_text(kb, ex, rep, seconds),
                        halfway_text=kb.say("step_halfway", cue=ex.form_cues[rep % len(ex.form_cues)]),
                    )
                )
                if rep < total_reps:
                    rest = kb.say("step_rest", seconds=ex.rest_seconds)
                    steps.append(Step(ex.id, side, rep, "rest", ex.rest_seconds, rest))
            if side == "left":
                switch = kb.say("step_switch_sides")
                steps.append(Step(ex.id, side, total_reps, "switch_sides", SWITCH_SECONDS, switch))
    if steps:
        steps.append(Step(steps[-1].exercise_id, None, 0, "done", 0, kb.say("step_done")))
    return steps


def hold_text(kb: KnowledgeBase, ex: Exercise, rep: int, seconds: int) -> str:
    return kb.say("step_hold", seconds=seconds, cue=ex.form_cues[(rep - 1) % len(ex.form_cues)], breathing=ex.breathing)


class Session:
    """Moves the cursor; every method returns the step to announce (or None)."""

    def __init__(self, state: SessionState):
        self.state = state

    def advance(self) -> Step:
        st = self.state
        if st.current.phase == "hold":
            st.completed_holds.append(
                {
                    "exercise_id": st.current.exercise_id,
                    "side": st.current.side,
                    "rep": st.current.rep,
                    "seconds": st.current.seconds,
                }
            )
        st.index = min(st.index + 1, len(st.steps) - 1)
        st.status = "done" if st.current.phase == "done" else "running"
        return st.current

    def skip_exercise(self) -> Step:
        st = self.state
        current = st.current.exercise_id
        while st.index < len(st.steps) - 1 and st.steps[st.index].exercise_id == current and st.current.phase != "done":
            st.index += 1
        st.status = "done" if st.current.phase == "done" else "running"
        return st.current

    def pause(self) -> None:
        if not self.state.finished:
            self.state.status = "paused"

    def stop_for_symptom(self) -> None:
        """A warning symptom in the current stretch: the hold stops, and that stretch is out for
        the rest of the session (resume moves past it)."""
        self.pause()
        current = self.state.current.exercise_id
        if current not in self.state.stopped_for_symptom:
            self.state.stopped_for_symptom.append(current)

    def resume(self) -> Step:
        if self.state.status == "paused":
            self.state.status = "running"
        while self.state.current.exercise_id in self.state.stopped_for_symptom and not self.state.finished:
            self.skip_exercise()  # never back into the stretch that just gave a warning symptom
        return self.state.current

    def stop(self) -> None:
        self.state.status = "stopped"

    def swap(self, catalog: Catalog, replacement_id: str, older_adult: bool = False, hold_adjust: int = 0) -> Step:
        """Replaces the current stretch's remaining steps with another stretch, planned for the
        same person (the older-adult minimum and their learnt hold change included)."""
        st = self.state
        current = st.current.exercise_id
        replacement = build_plan(catalog, [replacement_id], older_adult, hold_adjust=hold_adjust)[:-1]  # no "done"
        start = st.index
        while start > 0 and st.steps[start - 1].exercise_id == current:
            start -= 1
        end = start
        while end < len(st.steps) and st.steps[end].exercise_id == current and st.steps[end].phase != "done":
            end += 1
        st.steps[start:end] = replacement
        st.index, st.status = start, "running"
        return st.current

    def change_holds(self, catalog: Catalog, delta: int, older_adult: bool = False) -> Optional[int]:
        """Changes every hold still to come by `delta` seconds, within each stretch's limits and
        never below this person's minimum; returns the new length of the next hold."""
        changed = None
        for step in self.state.steps[self.state.index :]:
            if step.phase == "hold":
                ex = catalog.get(step.exercise_id)
                step.seconds = max(shortest_hold(ex, older_adult), min(ex.hold_seconds.max, step.seconds + delta))
                step.text = hold_text(catalog.kb, ex, step.rep, step.seconds)
                changed = changed if changed is not None else step.seconds
        return changed
