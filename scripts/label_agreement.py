"""How far a second labeller agrees with a real-message set's labels.

python -m scripts.label_agreement [--set opened_r2]

Reads tests/safety/real/<set>.yml and tests/safety/agreement/<set>_second.yml. Only opened and
tuning sets have second labels: a blind half is not shown to anyone, a labeller included.
"""

from __future__ import annotations

import argparse
import sys

from coach import settings
from coach.kb.loader import load_directory
from coach.safety.triage import Triage
from evaluation.agreement import agreement, check_second_labels, load_second_labels, second_category
from evaluation.runners import run_in_core
from evaluation.scoring import REAL, ROOT, category_of, load_set, score

AGREEMENT = ROOT / "tests" / "safety" / "agreement"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="opened_r2")
    args = parser.parse_args(argv)
    if args.set.startswith("blind"):
        print("A blind half has no second labels: nobody reads it while the rules change.", file=sys.stderr)
        return 2
    first = load_set(REAL / f"{args.set}.yml")
    second = load_second_labels(AGREEMENT / f"{args.set}_second.yml")
    problems = check_second_labels(first, second)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print(f"{args.set}: first labels against a second labeller's")
    print(agreement(first, second).table())
    # Is the coach wrong where the labels are unsure, or where they agree? (core, this commit's rules)
    by_id = {c["id"]: c for c in second}
    agreed = {c["id"] for c in first if category_of(c) == second_category(by_id[c["id"]])}
    _, pairs = run_in_core(Triage(load_directory(settings.knowledge_dir())), first)
    for name, chosen in (("both labellers agree", True), ("they disagree", False)):
        subset = [(case, seen) for case, seen in pairs if (case["id"] in agreed) == chosen]
        figures = score(subset)
        print(f"\nThe coach (core) on the {len(subset)} messages where {name} (first labels):")
        print(figures.table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
