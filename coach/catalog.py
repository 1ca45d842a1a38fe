"""Query API over the exercises: by id or alias, filtered by safety, ranked for the user."""

from __future__ import annotations

import re
from typing import Dict, Iterable, List, Optional, Sequence

from coach.kb.loader import KnowledgeBase
from coach.kb.schema import Exercise

_WORDS = re.compile(r"[a-z0-9#]+")


def _key(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


class Catalog:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self._by_alias: Dict[str, str] = {}
        for ex in kb.exercises.values():
            for alias in (ex.id.replace("_", " "), ex.name, *ex.aliases):
                self._by_alias[_key(alias)] = ex.id

    def get(self, exercise_id: str) -> Exercise:
        return self.kb.exercises[exercise_id]

    def find(self, name: Optional[str]) -> Optional[Exercise]:
        """Exact id or alias first, then the longest alias contained in what the user said."""
        if not name:
            return None
        key = _key(name)
        if key in self._by_alias:
            return self.get(self._by_alias[key])
        contained = [a for a in self._by_alias if a and re.search(rf"\b{re.escape(a)}\b", key)]
        if contained:
            return self.get(self._by_alias[max(contained, key=len)])
        return None

    def query(
        self,
        excluded: Iterable[str] = (),
        tags: Sequence[str] = (),
        cautious: bool = False,
        limit: Optional[int] = None,
    ) -> List[Exercise]:
        """Exercises not excluded, most relevant first. Cautious ranking favours the gentlest
        (the reference's fallback order S1 supported → S3 → S4)."""
        excluded = set(excluded)
        wanted = set(tags)

        def score(ex: Exercise) -> float:
            relevance = len(wanted & set(ex.good_for))
            gentleness = -ex.intensity_rank * (1.0 if cautious else 0.25)
            return 3 * relevance + gentleness

        ranked = sorted((ex for ex in self.kb.exercises.values() if ex.id not in excluded), key=score, reverse=True)
        return ranked[:limit] if limit else ranked
