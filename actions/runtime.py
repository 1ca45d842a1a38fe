"""Shared plumbing for the actions: the coach instance, this turn's decision, replies."""

from __future__ import annotations

import json
from typing import Any, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from coach.profile import Profile
from coach.safety.findings import Finding
from coach.safety.triage import Decision
from coach.service import Coach
from coach.time_phrases import minutes_in
from coach.wording import safety_reply

FINDING_ENTITY = "coach_finding"
_coach: Optional[Coach] = None


def coach() -> Coach:
    """One Coach per action-server process, built on first use from DATABASE_URL."""
    global _coach
    if _coach is None:
        _coach = Coach.from_database()
    return _coach


def use_coach(instance: Optional[Coach]) -> None:
    """Lets tests run the real actions against their own database."""
    global _coach
    _coach = instance


def latest_findings(tracker: Tracker) -> List[Finding]:
    entities = tracker.latest_message.get("entities") or []
    return [Finding.from_dict(e["finding"]) for e in entities if e.get("entity") == FINDING_ENTITY and e.get("finding")]


def turn_decision(tracker: Tracker) -> Decision:
    """This turn's decision from the safety hook, or the standing one when there was no user text."""
    stored = tracker.get_slot("safety")
    return Decision.from_dict(stored) if stored else coach().standing(tracker.sender_id)


def profile(tracker: Tracker) -> Profile:
    return coach().profiles.get(tracker.sender_id)


def say_safety(dispatcher: CollectingDispatcher, tracker: Tracker, decision: Decision) -> None:
    """Fixed safety wording with its machine-readable payload; a CLARIFY also gets its question."""
    c = coach()
    text = safety_reply(c.kb, decision, profile(tracker))
    dispatcher.utter_message(text=text or None, json_message=decision.payload())
    if decision.clarify and not decision.stops_coaching:
        ask_clarify(dispatcher, decision, tracker.sender_id)


def ask_clarify(dispatcher: CollectingDispatcher, decision: Decision, tracker_id: str) -> None:
    """Asks the one targeted question; buttons carry structured answers (intent answer_clarify)."""
    question = clarify_question(decision.clarify)
    if question is None:
        return
    text, options = question
    coach().remember_question(tracker_id, decision.clarify)

    def payload(answer: str) -> str:
        return "/answer_clarify" + json.dumps({"clarify_about": decision.clarify, "clarify_answer": answer})

    dispatcher.utter_message(
        text=text,
        buttons=[{"title": title, "payload": payload(answer)} for title, answer in options],
        json_message={"type": "screening_question", "id": decision.clarify, "options": [a for _, a in options]},
    )


def clarify_question(about: Optional[str]) -> Optional[Tuple[str, List[Tuple[str, str]]]]:
    kb = coach().kb
    kind, _, ident = (about or "").partition(":")
    if kind == "condition" and ident in kb.conditions:
        condition = kb.conditions[ident]
        if condition.time_rule:
            return (
                kb.texts.clarify_when.format(label=condition.label),
                [("In the last 3 months", "recent"), ("Longer ago", "past")],
            )
        return (
            kb.texts.clarify_cleared.format(label=condition.label),
            [("Yes, controlled and cleared", "cleared"), ("No, or not sure", "not_cleared")],
        )
    if kind == "flag" and ident in kb.red_flags:
        return (
            kb.texts.clarify_current.format(flag=kb.red_flags[ident].title.lower()),
            [("Yes, right now", "now"), ("No, none of that now", "over")],
        )
    return None


def entity_values(tracker: Tracker, entity: str) -> List[Any]:
    return [e.get("value") for e in tracker.latest_message.get("entities") or [] if e.get("entity") == entity]


def minutes_said(tracker: Tracker) -> Optional[float]:
    """The time the user says they have: a `duration` entity, else a duration phrase NLU missed."""
    for value in entity_values(tracker, "duration"):
        minutes = minutes_in(str(value))
        if minutes:
            return minutes
    return minutes_in(tracker.latest_message.get("text") or "")


def intent_name(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""
