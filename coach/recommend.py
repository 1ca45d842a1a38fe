"""Which stretches to suggest, why, and which were left out and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from coach.catalog import Catalog
from coach.kb.schema import Outcome
from coach.safety.triage import Decision

DEFAULT_TAGS = ("sitting", "front_of_hip")  # the commonest reason people come: desk-bound hips
SUGGESTIONS = 3


@dataclass
class Pick:
    id: str
    name: str
    reason: str


@dataclass
class Recommendation:
    picks: List[Pick] = field(default_factory=list)
    left_out: List[Pick] = field(default_factory=list)
    cautions: List[str] = field(default_factory=list)

    def payload(self) -> Dict:
        return {
            "type": "recommendation",
            "exercises": [{"id": p.id, "name": p.name, "reason": p.reason} for p in self.picks],
            "excluded": [{"id": p.id, "name": p.name, "reason": p.reason} for p in self.left_out],
        }


def recommend(
    catalog: Catalog,
    decision: Decision,
    tags: Sequence[str] = (),
    limit: int = SUGGESTIONS,
    conditions: Sequence[str] = (),
) -> Recommendation:
    """Never returns an excluded stretch; returns no picks when the decision stops coaching."""
    kb = catalog.kb
    rec = Recommendation(
        left_out=[Pick(ex_id, catalog.get(ex_id).name, reason) for ex_id, reason in sorted(decision.excluded.items())]
    )
    if decision.stops_coaching:
        return rec
    tags = list(tags) or list(DEFAULT_TAGS)
    cautious = decision.outcome in (Outcome.CAUTION, Outcome.EXCLUDE, Outcome.CLARIFY) or bool(decision.excluded)
    for ex in catalog.query(excluded=decision.excluded, tags=tags, cautious=cautious, limit=limit):
        rec.picks.append(Pick(ex.id, ex.name, _reason(kb, ex, tags, decision.excluded)))
        for caution in ex.cautions:
            if caution.condition in conditions:
                rec.cautions.append(f"{ex.name}: {caution.advice}")
    return rec


def _reason(kb, ex, tags: Sequence[str], excluded: Dict[str, str]) -> str:
    reason = ex.summary
    replaces: Optional[str] = next(
        (kb.exercises[e].name for e in excluded if ex.id in kb.exercises[e].regressions), None
    )
    if replaces:
        reason += f" It stands in for the {replaces.lower()}."
    return reason
