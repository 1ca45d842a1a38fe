"""Recall per outcome class on the labelled safety corpus (issue #3 targets).

python -m scripts.safety_report [--misses] [--blind]

--blind scores tests/safety/blind_cases.yml instead: a set nobody tuned on (report only).
"""

from __future__ import annotations

import sys
import time

from coach import settings
from coach.kb.loader import load_directory
from coach.safety.triage import Triage
from tests.safety.corpus import (
    BLIND_CASES,
    CASES,
    HIGH_STAKES,
    leaked_exclusions,
    load_cases,
    recall_report,
    run_case,
    wrongly_stopped,
)


def main(argv) -> int:
    triage = Triage(load_directory(settings.knowledge_dir()))
    cases = load_cases(BLIND_CASES if "--blind" in argv else CASES)
    started = time.perf_counter()
    results = [run_case(triage, c) for c in cases]
    per_message_ms = (time.perf_counter() - started) * 1000 / len(results)
    report = recall_report(results)
    print(f"{len(results)} labelled messages, {per_message_ms:.1f} ms per message\n")
    print(f"{'outcome':<14}{'n':>5}{'recall':>9}  what it was decided as")
    for outcome, row in report.items():
        got = ", ".join(f"{k} {v}" for k, v in sorted(row["got"].items(), key=lambda kv: -kv[1]))
        print(f"{outcome:<14}{row['n']:>5}{row['recall']:>9.1%}  {got}")
    high = [r for r in results if r.expected in HIGH_STAKES]
    high_ok = sum(r.got == r.expected and r.decision.urgency == r.case.get("urgency") for r in high)
    ordinary = [r for r in results if r.expected in ("PROCEED", "CAUTION")]
    exclude = [r for r in results if r.case.get("excluded")]
    print(f"\nEMERGENCY/URGENT/CRISIS stopped with the right urgency: {high_ok}/{len(high)}")
    print(f"Excluded stretches never offered: {sum(not leaked_exclusions(r) for r in exclude)}/{len(exclude)}")
    print(f"PROCEED/CAUTION wrongly stopped: {len(wrongly_stopped(results))}/{len(ordinary)}")
    if "--misses" in argv:
        print("\nMisses:")
        for r in results:
            if r.got != r.expected:
                print(f"  [{r.expected} -> {r.got} {r.decision.rule_ids}] {r.case['id']}: {r.case['text']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
