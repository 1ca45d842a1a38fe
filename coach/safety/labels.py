"""The categories a labelled message falls in (evaluation sets, the learned reader's classes).

One source: evaluation/scoring.py judges by these, and coach/safety/reader.py learns them.
"""

from __future__ import annotations

CATEGORIES = ("high_stakes", "referral", "deferral", "in_stretch", "third_party", "out_of_scope", "ordinary")
HIGH_STAKES = {"EMERGENCY", "URGENT", "CRISIS"}
# The learned reader's classes (coach/safety/reader.py): COACH means it has nothing to add; THIRD
# is someone else's health (SC1); the others are outcomes it may raise a coaching decision to.
COACH = "COACH"
THIRD = "THIRD"
READER_ADDS = ("EMERGENCY", "CRISIS", "URGENT", "REFER", "DEFER", "STOP-STRETCH", THIRD)


def category_of(case: dict) -> str:
    """A labelled case's category: its own `category` when it names one, else from its outcome."""
    if case.get("category"):
        return str(case["category"])
    outcome = case["outcome"]
    if outcome in HIGH_STAKES:
        return "high_stakes"
    if outcome == "OUT-OF-SCOPE":
        return "third_party" if case.get("third_party") else "out_of_scope"
    return {"REFER": "referral", "DEFER": "deferral", "STOP-STRETCH": "in_stretch"}.get(outcome, "ordinary")
