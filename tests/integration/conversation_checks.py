"""What a reply must show, checked on its docs/api.md payloads: each check returns the broken
expectations in words (empty when the reply is right), so a failure says what was expected and
what came back."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from coach.kb.schema import Outcome
from tests.integration.conversation_format import (
    CURRENT_STRETCH,
    Expect,
    QuestionExpect,
    RecommendationExpect,
    SafetyExpect,
    StepExpect,
    question_matches,
)

Reply = List[Dict[str, Any]]  # the REST answer: one object per bot message
SEVERITY = [o.value for o in Outcome]  # most severe first


def payloads(reply: Reply, kind: str) -> List[Dict]:
    return [m["custom"] for m in reply if isinstance(m.get("custom"), dict) and m["custom"].get("type") == kind]


def safety_decisions(reply: Reply) -> List[Dict]:
    """Standalone safety payloads and those inside recommendations."""
    inner = [r["safety"] for r in payloads(reply, "recommendation") if isinstance(r.get("safety"), dict)]
    return payloads(reply, "safety") + inner


def most_severe(decisions: Sequence[Dict]) -> Optional[Dict]:
    def rank(d: Dict) -> int:
        return SEVERITY.index(d.get("outcome")) if d.get("outcome") in SEVERITY else len(SEVERITY)

    return min(decisions, key=rank) if decisions else None


def questions(reply: Reply) -> List[Tuple[Dict, str, bool]]:
    """(payload, text of its message, whether that message has buttons) for every question."""
    return [
        (m["custom"], m.get("text") or "", bool(m.get("buttons")))
        for m in reply
        if isinstance(m.get("custom"), dict) and m["custom"].get("type") == "screening_question"
    ]


def reply_text(reply: Reply) -> str:
    return "\n".join(m.get("text") or "" for m in reply)


def summary(reply: Reply, width: int = 160) -> str:
    """The reply in a few lines: each message's text (cut) and its payload."""
    lines = []
    for m in reply:
        text = " ".join((m.get("text") or "").split())
        line = f"    text: {text[:width]}{'…' if len(text) > width else ''}"
        if m.get("buttons"):
            line += f"  buttons: {[b.get('title') for b in m['buttons']]}"
        lines.append(line)
        custom = m.get("custom")
        if custom:
            if custom.get("type") == "recommendation":
                custom = {
                    "type": "recommendation",
                    "exercises": [e.get("id") for e in custom.get("exercises") or []],
                    "excluded": [e.get("id") for e in custom.get("excluded") or []],
                    "safety": custom.get("safety"),
                }
            lines.append(f"    custom: {json.dumps(custom)}")
    return "\n".join(lines) or "    (no messages)"


def _resolve(ids: Iterable[str], current: Optional[str]) -> Tuple[List[str], List[str]]:
    """Replaces $current; returns (ids, problems) where a problem is a $current with no session step yet."""
    resolved, problems = [], []
    for ex in ids:
        if ex == CURRENT_STRETCH:
            if current is None:
                problems.append("$current used before any session step was sent")
            else:
                resolved.append(current)
        else:
            resolved.append(ex)
    return resolved, problems


def _any_of(values: Sequence) -> str:
    return repr(values[0]) if len(values) == 1 else f"one of {list(values)}"


def check_safety(exp: SafetyExpect, reply: Reply, current: Optional[str]) -> List[str]:
    decision = most_severe(safety_decisions(reply))
    if decision is None:
        return ["a safety payload (standalone or in a recommendation); got none"]
    failures = []
    outcome = decision.get("outcome")
    if exp.outcome and outcome not in [o.value for o in exp.outcome]:
        failures.append(f"safety.outcome {_any_of([o.value for o in exp.outcome])}; got {outcome!r}")
    if exp.outcome_not and outcome in [o.value for o in exp.outcome_not]:
        failures.append(f"safety.outcome not {[o.value for o in exp.outcome_not]}; got {outcome!r}")
    if exp.decision and decision.get("decision") not in exp.decision:
        failures.append(f"safety.decision {_any_of(exp.decision)}; got {decision.get('decision')!r}")
    if exp.urgency and decision.get("urgency") not in exp.urgency:
        failures.append(f"safety.urgency {_any_of(exp.urgency)}; got {decision.get('urgency')!r}")
    flags = set(decision.get("flags") or [])
    if exp.flags_any and not flags & set(exp.flags_any):
        failures.append(f"safety.flags to include one of {exp.flags_any}; got {sorted(flags)}")
    missing = [f for f in exp.flags_all if f not in flags]
    if missing:
        failures.append(f"safety.flags to include {missing}; got {sorted(flags)}")
    excluded = set(decision.get("excluded") or [])
    has, problems = _resolve(exp.excluded_has, current)
    lacks, more = _resolve(exp.excluded_lacks, current)
    failures += problems + more
    if [e for e in has if e not in excluded]:
        failures.append(f"safety.excluded to include {[e for e in has if e not in excluded]}; got {sorted(excluded)}")
    if [e for e in lacks if e in excluded]:
        failures.append(f"safety.excluded without {[e for e in lacks if e in excluded]}; got {sorted(excluded)}")
    if exp.about is not None and decision.get("about") != exp.about:
        failures.append(f"safety.about {exp.about!r}; got {decision.get('about')!r}")
    if exp.about_not is not None and decision.get("about") == exp.about_not:
        failures.append(f"safety.about not {exp.about_not!r}; got it")
    return failures


def check_question(exp: QuestionExpect, reply: Reply) -> List[str]:
    asked = questions(reply)
    for payload, _, buttons in asked:
        qid = str(payload.get("id"))
        if any(question_matches(p, qid) for p in exp.id) and (not exp.buttons or buttons):
            return []
    got = [(p.get("id"), "with buttons" if b else "no buttons") for p, _, b in asked]
    wanted = _any_of(exp.id) + (" with buttons" if exp.buttons else "")
    return [f"a question {wanted}; got {got or 'no question'}"]


def check_recommendation(exp: RecommendationExpect, reply: Reply, current: Optional[str]) -> List[str]:
    recs = payloads(reply, "recommendation")
    if not recs:
        return ["a recommendation payload; got none"]
    rec = recs[-1]
    offered = [e.get("id") for e in rec.get("exercises") or []]
    left_out = [e.get("id") for e in rec.get("excluded") or []]
    failures = []
    lists = {}
    for name in ("includes_any", "includes_all", "excludes", "excluded_has", "excluded_lacks"):
        lists[name], problems = _resolve(getattr(exp, name), current)
        failures += problems
    if lists["includes_any"] and not set(lists["includes_any"]) & set(offered):
        failures.append(f"recommendation to offer one of {lists['includes_any']}; offered {offered}")
    if [e for e in lists["includes_all"] if e not in offered]:
        failures.append(f"recommendation to offer {lists['includes_all']}; offered {offered}")
    if [e for e in lists["excludes"] if e in offered]:
        failures.append(f"recommendation never to offer {lists['excludes']}; offered {offered}")
    if [e for e in lists["excluded_has"] if e not in left_out]:
        failures.append(f"recommendation to leave out {lists['excluded_has']}; left out {left_out}")
    if [e for e in lists["excluded_lacks"] if e in left_out]:
        failures.append(f"recommendation not to leave out {lists['excluded_lacks']}; left out {left_out}")
    if exp.min_exercises is not None and len(offered) < exp.min_exercises:
        failures.append(f"recommendation with at least {exp.min_exercises} exercises; offered {offered}")
    return failures


def check_step(exp: StepExpect, reply: Reply, current: Optional[str]) -> List[str]:
    steps = payloads(reply, "session_step")
    if not steps:
        return ["a session_step payload; got none"]
    avoid, failures = _resolve(exp.exercises_not, current)
    fitting = [s for s in steps if (not exp.phase or s.get("phase") in exp.phase) and s.get("exercise_id") not in avoid]
    if not fitting:
        got = [(s.get("exercise_id"), s.get("phase")) for s in steps]
        wanted = f"phase {_any_of(exp.phase)}" if exp.phase else "a step"
        failures.append(f"a session_step with {wanted}" + (f" not of {avoid}" if avoid else "") + f"; got {got}")
    return failures


def check_not_asked(patterns: Sequence[str], reply: Reply) -> List[str]:
    asked = [str(p.get("id")) for p, _, _ in questions(reply)]
    repeated = [q for q in asked if any(question_matches(p, q) for p in patterns)]
    return [f"no question matching {list(patterns)}; asked {repeated}"] if repeated else []


def check_reply(exp: Expect, reply: Reply, current: Optional[str] = None) -> List[str]:
    """Every broken expectation of one turn. `current` is the exercise of the last session step
    sent before this turn (what $current stands for)."""
    failures: List[str] = []
    present = {(m.get("custom") or {}).get("type") for m in reply if isinstance(m.get("custom"), dict)}
    failures += [f"a {kind} payload; got none" for kind in exp.has if kind not in present]
    failures += [f"no {kind} payload; got one" for kind in exp.absent if kind in present]
    if exp.safety is not None:
        failures += check_safety(exp.safety, reply, current)
    decisions = safety_decisions(reply)
    if exp.not_stopped and any(d.get("decision") == "stop" for d in decisions):
        failures.append(f"not stopped; got {[d.get('outcome') for d in decisions if d.get('decision') == 'stop']}")
    banned = {o.value for o in exp.outcome_not}
    if banned & {d.get("outcome") for d in decisions}:
        failures.append(f"no safety outcome in {sorted(banned)}; got {[d.get('outcome') for d in decisions]}")
    if exp.question is not None:
        failures += check_question(exp.question, reply)
    failures += check_not_asked(exp.not_asked, reply)
    if exp.recommendation is not None:
        failures += check_recommendation(exp.recommendation, reply, current)
    if exp.exercise is not None:
        cards = payloads(reply, "exercise")
        if not cards:
            failures.append("an exercise payload; got none")
        else:
            card = cards[-1]
            if exp.exercise.id is not None and card.get("id") != exp.exercise.id:
                failures.append(f"exercise.id {exp.exercise.id!r}; got {card.get('id')!r}")
            if exp.exercise.excluded is not None and card.get("excluded") is not exp.exercise.excluded:
                failures.append(f"exercise.excluded {exp.exercise.excluded}; got {card.get('excluded')!r}")
    if exp.session_step is not None:
        failures += check_step(exp.session_step, reply, current)
    text = reply_text(reply).lower()
    if exp.text_any and not any(t.lower() in text for t in exp.text_any):
        failures.append(f"the text to mention one of {exp.text_any}")
    failures += [f"the text not to say {t!r}" for t in exp.text_none if t.lower() in text]
    return failures


# -- invariants over a whole conversation ------------------------------------------------------------
def repeated_questions(replies: Sequence[Reply]) -> List[str]:
    """A question (same id AND same text) in two consecutive replies: the coach asking twice in a row."""
    found = []
    for index in range(1, len(replies)):
        before = {(str(p.get("id")), text) for p, text, _ in questions(replies[index - 1])}
        for payload, text, _ in questions(replies[index]):
            if (str(payload.get("id")), text) in before:
                found.append(f"reply {index + 1} asks {payload.get('id')!r} again with the same text: {text[:120]!r}")
    return found


def offered_excluded(replies: Sequence[Reply]) -> List[str]:
    """A recommendation offering a stretch it (or its safety decision) lists as excluded."""
    found = []
    for index, reply in enumerate(replies):
        for rec in payloads(reply, "recommendation"):
            offered = {e.get("id") for e in rec.get("exercises") or []}
            excluded = {e.get("id") for e in rec.get("excluded") or []} | set(
                (rec.get("safety") or {}).get("excluded") or []
            )
            if offered & excluded:
                found.append(f"reply {index + 1} offers excluded stretches {sorted(offered & excluded)}")
    return found


def short_holds(replies: Sequence[Reply], floor: int) -> List[str]:
    """Hold steps (not the pushed cues, whose seconds are the time left) shorter than `floor`."""
    found, holds = [], 0
    for index, reply in enumerate(replies):
        for step in payloads(reply, "session_step"):
            if step.get("phase") != "hold" or step.get("cue"):
                continue
            holds += 1
            if not isinstance(step.get("seconds"), (int, float)) or step["seconds"] < floor:
                found.append(
                    f"reply {index + 1}: a {step.get('exercise_id')} hold of {step.get('seconds')} s (at least {floor} s)"
                )
    if holds < 2:
        found.append(f"only {holds} hold step(s) in the conversation: too few to show holds stay >= {floor} s")
    return found
