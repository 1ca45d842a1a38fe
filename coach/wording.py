"""Turns decisions and knowledge entries into short replies. Safety wording itself is fixed
text from the knowledge base; this module only arranges it."""

from __future__ import annotations

from typing import List, Optional

from coach.kb.loader import KnowledgeBase
from coach.kb.schema import EmergencyNumbers, Exercise
from coach.profile import Profile
from coach.recommend import Recommendation
from coach.safety.triage import Decision

EMERGENCY_URGENCIES = {"emergency", "urgent", "crisis"}


def find_country(kb: KnowledgeBase, name: Optional[str]) -> Optional[EmergencyNumbers]:
    if not name:
        return None
    key = name.strip().lower().strip(".!")
    for entry in kb.emergency_numbers:
        if key == entry.country.lower() or key in entry.aliases:
            return entry
    return None


def local_numbers(kb: KnowledgeBase, profile: Profile, urgency: Optional[str]) -> Optional[str]:
    entry = find_country(kb, profile.country)
    if entry is None or urgency not in EMERGENCY_URGENCIES:
        return None
    number = {"emergency": entry.emergency, "urgent": entry.urgent, "crisis": entry.crisis}[urgency]
    return f"In {entry.country}: {number}."


def safety_reply(kb: KnowledgeBase, decision: Decision, profile: Profile) -> str:
    parts: List[str] = list(decision.messages)
    local = local_numbers(kb, profile, decision.urgency)
    if local:
        parts.insert(1, local)
    elif decision.urgency in EMERGENCY_URGENCIES and profile.country is None:
        parts.append(kb.texts.ask_country)
    return "\n\n".join(parts)


def exclusions_sentence(kb: KnowledgeBase, rec: Recommendation) -> Optional[str]:
    if not rec.left_out:
        return None
    by_reason: dict = {}
    for item in rec.left_out:
        by_reason.setdefault(item.reason, []).append(f"the {kb.exercises[item.id].name.lower()}")
    clauses = [f"{_join(names)} because {reason}" for reason, names in by_reason.items()]
    return kb.say("recommend_left_out", clauses="; and ".join(clauses))


def recommendation_reply(kb: KnowledgeBase, rec: Recommendation) -> str:
    if not rec.picks:
        return kb.texts.nothing_safe
    lines = [kb.say("recommend_intro")]
    lines += [f"{i}. {p.name}: {p.reason}" for i, p in enumerate(rec.picks, 1)]
    left = exclusions_sentence(kb, rec)
    if left:
        lines.append(left)
    lines += rec.cautions
    lines.append(kb.say("recommend_next", name=rec.picks[0].name.lower()))
    return "\n".join(lines)


def exercise_card(kb: KnowledgeBase, ex: Exercise) -> str:
    hold = ex.hold_seconds
    per = kb.say("card_per_side") if ex.per_side else kb.say("card_in_all")
    lines = [f"{ex.name}: {ex.summary}", "", kb.say("card_set_up") + " " + " ".join(ex.setup), ""]
    lines += [f"{i}. {step}" for i, step in enumerate(ex.steps, 1)]
    hold_line = kb.say(
        "card_hold",
        default=hold.default,
        min=hold.min,
        max=hold.max,
        reps=ex.reps_per_side,
        per=per,
        rest=ex.rest_seconds,
    )
    lines += [
        "",
        hold_line,
        f"{kb.say('card_breathing')} {ex.breathing}",
        f"{kb.say('card_keep_in_mind')} " + " ".join(ex.form_cues),
        f"{kb.say('card_mistakes')} " + " ".join(ex.common_mistakes),
    ]
    return "\n".join(lines)


def _join(items: List[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
