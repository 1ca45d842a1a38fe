"""Finds safety-relevant facts in one message, with their context.

The vocabulary (symptom concepts, conditions, constraints) comes from the knowledge base;
this module only knows how to match it and how to read negation, time, third parties and
hypotheticals around each match.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Dict, Iterable, List, Optional, Tuple

from spacy.matcher import PhraseMatcher

from coach.kb.loader import KnowledgeBase
from coach.safety import context as ctx
from coach.safety.findings import Finding
from coach.safety.text import TypoFixer, blank_english, make_doc

# Match labels are "<kind>:<id>", e.g. "concept:saddle_numbness", "condition:knee_pain".
KINDS = ("concept", "condition", "constraint")


class Detector:
    def __init__(self, kb: KnowledgeBase):
        phrases: Dict[str, List[str]] = {}
        for concept in kb.concepts.values():
            phrases[f"concept:{concept.id}"] = concept.phrases
        for condition in kb.conditions.values():
            phrases[f"condition:{condition.id}"] = condition.phrases
        for constraint in kb.constraints.values():
            phrases[f"constraint:{constraint.id}"] = constraint.phrases
        # Combo groups are matched like phrases under labels "group:<concept>:<combo>:<group>".
        self.combos: Dict[str, List[Tuple[int, int, int]]] = {}
        for concept in kb.concepts.values():
            for c_i, combo in enumerate(concept.combos):
                self.combos.setdefault(concept.id, []).append((c_i, len(combo.groups), combo.window))
                for g_i, terms in enumerate(combo.groups):
                    phrases[f"group:{concept.id}:{c_i}:{g_i}"] = terms
        self.unless = {c.id: {w.lower() for w in c.unless} for c in kb.concepts.values() if c.unless}
        self.historical = {c.id for c in kb.concepts.values() if c.historical}
        self.durations = {c.id: c.from_duration for c in kb.concepts.values() if c.from_duration}
        vocabulary = {w for plist in phrases.values() for p in plist for w in p.lower().split()}
        self.fixer = TypoFixer(vocabulary)
        self.matcher = PhraseMatcher(blank_english().vocab, attr="LEMMA")
        for label, plist in phrases.items():
            self.matcher.add(label, [make_doc(p) for p in plist])

    def detect(self, text: str, today: Optional[date] = None) -> List[Finding]:
        today = today or date.today()
        doc = make_doc(text, self.fixer)
        raw = [(self.matcher.vocab.strings[label], start, end) for label, start, end in self.matcher(doc)]
        combos = self._combos(doc, raw)
        spans = _longest_first([m for m in raw if not m[0].startswith("group:")] + list(combos))
        findings: List[Finding] = list(_age_findings(doc.text))
        for label, start, end in spans:
            kind, _, ident = label.partition(":")
            if kind == "concept" and ident in self.unless and self._cancelled(doc, start, end, self.unless[ident]):
                continue
            c = ctx.read(doc, start, end, today)
            terms = combos.get((label, start, end))
            if terms and not c.negated:
                c = ctx.with_negation(c, ctx.any_term_negated(doc, terms))
            findings.append(
                Finding(
                    kind=kind,
                    id=ident,
                    text=doc[start:end].text,
                    start=doc[start].idx,
                    end=doc[end - 1].idx + len(doc[end - 1].text),
                    negated=c.negated,
                    third_party=c.third_party,
                    hypothetical=c.hypothetical,
                    resolved=c.resolved,
                    days_ago=None if ident in self.historical and kind == "concept" else c.days_ago,
                    duration_days=c.duration_days,
                )
            )
        return findings + self._lasting(findings)

    def when(self, text: str, today: Optional[date] = None) -> Optional[float]:
        """How many days ago the whole message says something happened ("about 8 weeks ago",
        "in March", "last year"), or None: the answer to a "when was that?" question."""
        doc = make_doc(text, self.fixer)
        return ctx.days_ago(doc, 0, len(doc), today or date.today())

    def _lasting(self, findings: List[Finding]) -> List[Finding]:
        """Concepts implied by how long another has lasted (pain not settling after ~6 weeks, RF9)."""
        extra = []
        for concept, rule in self.durations.items():
            for f in findings:
                if (
                    f.kind == "concept"
                    and f.id in rule.of
                    and f.about_user_now
                    and (f.duration_days or 0) >= rule.min_days
                ):
                    extra.append(Finding("concept", concept, f.text, f.start, f.end, duration_days=f.duration_days))
                    break
        return extra

    @staticmethod
    def _cancelled(doc, start: int, end: int, words) -> bool:
        left, right = ctx.clause_bounds(doc, start, end)
        return any(t.lower_ in words or t.lemma_.lower() in words for t in doc[left:right])

    def _combos(self, doc, raw: List[Tuple[str, int, int]]) -> Dict[Tuple[str, int, int], List[Tuple[int, int]]]:
        """A combo matches when every group has a term inside one clause and one window.
        Returns each match with the spans of its terms (negation is read before each term)."""
        by_group: Dict[Tuple[str, int, int], List[Tuple[int, int]]] = {}
        for label, start, end in raw:
            if label.startswith("group:"):
                _, concept, c_i, g_i = label.split(":")
                by_group.setdefault((concept, int(c_i), int(g_i)), []).append((start, end))
        found: Dict[Tuple[str, int, int], List[Tuple[int, int]]] = {}
        for concept, combos in self.combos.items():
            for c_i, n_groups, window in combos:
                anchors = by_group.get((concept, c_i, 0), [])
                for a_start, a_end in anchors:
                    left, right = ctx.clause_bounds(doc, a_start, a_end)
                    span = [(a_start, a_end)]
                    for g_i in range(1, n_groups):
                        near = [
                            (s, e)
                            for s, e in by_group.get((concept, c_i, g_i), [])
                            if left <= s and e <= right and max(e, a_end) - min(s, a_start) <= window
                        ]
                        if not near:
                            break
                        span.append(min(near, key=lambda se: abs(se[0] - a_start)))
                    else:
                        found[(f"concept:{concept}", min(s for s, _ in span), max(e for _, e in span))] = span
        return found


# "I'm 79", "aged 14", "63 years old" — but not "I'm 14 weeks pregnant" or "I'm 14 stone".
_AGE = re.compile(
    r"\b(?:i'?m|i am|aged?|age)\s+(\d{1,3})\b(?!\s*(?:weeks?|wks?|months?|days?|stone|st\b|kg|kilos?|lbs?|pounds?|"
    r"km|kms|miles?|minutes?|mins?|hours?|hrs?|cm|ft|feet|inches|%|x\b|times))"
    r"|\b(\d{1,3})\s*(?:years? old|yrs? old|y/?o\b|year-old)"
)
OLDER_ADULT_AGE = 65
AGE_50 = 50  # first-ever back pain over ~50 is an RF7 risk modifier (combined, never alone)
MINOR_AGE = 16


def _age_findings(text: str) -> Iterable[Finding]:
    """Age is a risk modifier (RF7, RF8, PQ7): a number, so it is read here, not from phrases."""
    for match in _AGE.finditer(text):
        age = int(match.group(1) or match.group(2))
        if AGE_50 <= age <= 110:
            yield Finding("concept", "age_50_plus", match.group(0), start=match.start(), end=match.end())
        if OLDER_ADULT_AGE <= age <= 110:
            yield Finding("concept", "older_adult", match.group(0), start=match.start(), end=match.end())
        elif age < MINOR_AGE and age >= 5:
            yield Finding("condition", "under_16", match.group(0), start=match.start(), end=match.end())


def _longest_first(matches: Iterable[Tuple[str, int, int]]) -> List[Tuple[str, int, int]]:
    """Drops a match nested inside a longer one of the same kind ("hip replacement" inside
    "anterior hip replacement"), so the most specific condition wins."""
    ordered = sorted(set(matches), key=lambda m: (-(m[2] - m[1]), m[1]))
    kept: List[Tuple[str, int, int]] = []
    for label, start, end in ordered:
        kind = label.split(":")[0]
        nested = any(
            k.split(":")[0] == kind
            and (kind != "concept" or k == label)  # symptom concepts combine, so keep all of them
            and s <= start
            and end <= e
            and (e - s) > (end - start)
            for k, s, e in kept
        )
        if not nested:
            kept.append((label, start, end))
    return sorted(kept, key=lambda m: m[1])
