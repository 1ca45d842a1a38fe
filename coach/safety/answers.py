"""Reads a typed answer to a clarifying safety question ("about a month ago", "yes, it's controlled")."""

from __future__ import annotations

import re
from datetime import date
from typing import Optional

from coach.kb.loader import KnowledgeBase
from coach.safety.context import days_ago
from coach.safety.text import make_doc

_NEGATIVE = re.compile(
    r"\b(no|not|nope|nah|never|haven't|hasn't|isn't|don't|unsure|anymore|any more|stopped|over|past)\b|n't\b"
)
_POSITIVE = re.compile(r"\b(yes|yeah|yep|cleared|controlled|allowed|fine|happy|ok|okay|now|still|today|currently)\b")
_RECENT_WORDS = re.compile(r"\b(recent|recently|weeks?|last month|days?|just)\b")


def interpret(kb: KnowledgeBase, about: str, text: str, today: Optional[date] = None) -> Optional[str]:
    """Returns the structured answer ("recent", "past", "cleared", "not_cleared", "now", "over") or None."""
    today = today or date.today()
    lowered = (text or "").lower()
    kind, _, ident = about.partition(":")
    if kind == "condition" and ident in kb.conditions:
        rule = kb.conditions[ident].time_rule
        if rule:
            doc = make_doc(lowered)
            days = days_ago(doc, 0, len(doc), today)
            if days is not None:
                return "recent" if days <= rule.recent_days else "past"
            return "recent" if _RECENT_WORDS.search(lowered) else None
        if _NEGATIVE.search(lowered):
            return "not_cleared"
        return "cleared" if _POSITIVE.search(lowered) else None
    if kind == "flag" and ident in kb.red_flags:
        if _NEGATIVE.search(lowered):
            return "over"
        return "now" if _POSITIVE.search(lowered) else None
    return None
