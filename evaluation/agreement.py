"""How far two labellers of the same messages agree: the ceiling of any figure measured on them.

A coach cannot be shown to be right more often than two careful people agree on what right is.
The first labels are the evaluation set's own; the second come from a labeller who saw only the
text and the rule table (tests/safety/agreement/).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence

import yaml
from sklearn.metrics import cohen_kappa_score

from coach.kb.schema import Outcome
from evaluation.scoring import category_of

KNOWN_OUTCOMES = {o.value for o in Outcome}
CONFIDENCES = ("high", "medium", "low")


@dataclass
class Agreement:
    messages: int
    same_outcome: int
    same_category: int
    outcome_kappa: float
    category_kappa: float
    by_confidence: Dict[str, tuple] = field(default_factory=dict)  # confidence -> (same category, of)
    by_first_category: Dict[str, tuple] = field(default_factory=dict)  # category -> (same, of, where else)

    def table(self) -> str:
        rows = [
            f"  {self.messages} messages labelled twice",
            f"  same outcome   {self.same_outcome:4d} ({self.same_outcome / self.messages:.0%}), Cohen's kappa {self.outcome_kappa:.2f}",
            f"  same category  {self.same_category:4d} ({self.same_category / self.messages:.0%}), Cohen's kappa {self.category_kappa:.2f}",
            "  same category by the second labeller's confidence:",
        ]
        rows += [f"    {conf:7s} {same}/{of}" for conf, (same, of) in self.by_confidence.items()]
        rows.append("  by the first label's category (same / of; where the second put the rest):")
        for category, (same, of, elsewhere) in sorted(self.by_first_category.items()):
            rest = ", ".join(f"{k} {v}" for k, v in elsewhere.most_common())
            rows.append(f"    {category:12s} {same}/{of}" + (f"  ({rest})" if rest else ""))
        return "\n".join(rows)


def second_category(label: dict) -> str:
    """A second label's category, derived as the first labels' is when they name none."""
    return category_of({"outcome": label["outcome"], "third_party": label.get("third_party")})


def check_second_labels(first: Sequence[dict], second: Sequence[dict]) -> List[str]:
    """What is wrong with a second-label file against the set it relabels (empty when sound)."""
    problems = []
    first_ids = [c["id"] for c in first]
    second_ids = [c["id"] for c in second]
    if len(set(second_ids)) != len(second_ids):
        problems.append("an id is labelled twice")
    if set(first_ids) != set(second_ids):
        problems.append(
            f"ids differ: {len(set(first_ids) - set(second_ids))} missing, {len(set(second_ids) - set(first_ids))} unknown"
        )
    problems += [f"{c['id']}: unknown outcome {c['outcome']!r}" for c in second if c["outcome"] not in KNOWN_OUTCOMES]
    problems += [
        f"{c['id']}: unknown confidence {c.get('confidence')!r}"
        for c in second
        if c.get("confidence") not in CONFIDENCES
    ]
    return problems


def agreement(first: Sequence[dict], second: Sequence[dict]) -> Agreement:
    by_id = {c["id"]: c for c in second}
    pairs = [(c, by_id[c["id"]]) for c in first]
    first_outcomes = [a["outcome"] for a, _ in pairs]
    second_outcomes = [b["outcome"] for _, b in pairs]
    first_categories = [category_of(a) for a, _ in pairs]
    second_categories = [second_category(b) for _, b in pairs]
    result = Agreement(
        messages=len(pairs),
        same_outcome=sum(x == y for x, y in zip(first_outcomes, second_outcomes, strict=True)),
        same_category=sum(x == y for x, y in zip(first_categories, second_categories, strict=True)),
        outcome_kappa=float(cohen_kappa_score(first_outcomes, second_outcomes)),
        category_kappa=float(cohen_kappa_score(first_categories, second_categories)),
    )
    for confidence in CONFIDENCES:
        chosen = [i for i, (_, b) in enumerate(pairs) if b.get("confidence") == confidence]
        result.by_confidence[confidence] = (
            sum(first_categories[i] == second_categories[i] for i in chosen),
            len(chosen),
        )
    for category in sorted(set(first_categories)):
        chosen = [i for i, c in enumerate(first_categories) if c == category]
        elsewhere = Counter(second_categories[i] for i in chosen if second_categories[i] != category)
        same = sum(second_categories[i] == category for i in chosen)
        result.by_first_category[category] = (same, len(chosen), elsewhere)
    return result


def load_second_labels(path: Path) -> List[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
