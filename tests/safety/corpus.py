"""Runs the labelled safety corpus (tests/safety/cases.yml) through the core, as a user would meet it."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Set

import yaml

from coach.catalog import Catalog
from coach.profile import Profile
from coach.recommend import recommend
from coach.safety.triage import Decision, Triage

CASES = Path(__file__).with_name("cases.yml")
# Written separately and never used to tune the vocabulary or rules: it measures generalisation.
BLIND_CASES = Path(__file__).with_name("blind_cases.yml")
HIGH_STAKES = {"EMERGENCY", "URGENT", "CRISIS"}


def load_cases(path: Path = CASES) -> List[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]


@dataclass
class Result:
    case: dict
    decision: Decision
    offered: List[str]  # what a recommendation would show this user

    @property
    def expected(self) -> str:
        return self.case["outcome"]

    @property
    def got(self) -> str:
        return self.decision.outcome.value


def run_case(triage: Triage, case: dict) -> Result:
    profile = Profile(user_id=case["id"])
    for earlier in case.get("history") or []:
        _, profile = triage.assess(earlier, profile, in_session=case.get("in_session", False))
    decision, _ = triage.assess(case["text"], profile, in_session=case.get("in_session", False))
    offered = [p.id for p in recommend(Catalog(triage.kb), decision).picks]
    return Result(case, decision, offered)


def recall_report(results: List[Result]) -> Dict[str, Dict[str, float]]:
    totals: Counter = Counter(r.expected for r in results)
    hits: Counter = Counter(r.expected for r in results if r.got == r.expected)
    confusion: Dict[str, Counter] = defaultdict(Counter)
    for r in results:
        confusion[r.expected][r.got] += 1
    return {o: {"n": totals[o], "recall": hits[o] / totals[o], "got": dict(confusion[o])} for o in sorted(totals)}


def wrongly_stopped(results: List[Result]) -> List[Result]:
    return [r for r in results if r.expected in ("PROCEED", "CAUTION") and r.decision.stops_coaching]


def leaked_exclusions(result: Result) -> Set[str]:
    return set(result.case.get("excluded") or []) & set(result.offered)


def missing_exclusions(result: Result) -> Set[str]:
    return set(result.case.get("excluded") or []) - set(result.decision.excluded)


def urgency_of(case: dict) -> Optional[str]:
    return case.get("urgency")
