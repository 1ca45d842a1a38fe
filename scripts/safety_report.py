"""Safety figures on a labelled message set, through the core or the real servers.

python -m scripts.safety_report [--set NAME] [--rest] [--misses] [--json]

Sets:
  labelled     tests/safety/cases.yml: our regression suite (written with the rules; measures fit)
  blind-2026   tests/safety/blind_cases.yml: written apart from the rules in an earlier round
  real-tuning  tests/safety/real/tuning_r*.yml: real people's messages, the half we learn from
  real-blind   tests/safety/real/blind_r*.yml: real people's messages nobody reads; totals only
  real-opened  tests/safety/real/opened_r*.yml: blind halves of past rounds, measured once, then opened
--rest runs the messages through the real Rasa and action servers over REST, each as a new
user's first message. --misses lists the failures (refused for blind sets: their words are
not for reading while the rules change).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import List

from coach import settings
from coach.kb.loader import load_directory
from coach.safety.triage import Triage
from evaluation.runners import EVALUATION_ENV, run_in_core, run_over_rest
from evaluation.scoring import REAL, ROOT, load_set

SETS = {
    "labelled": [ROOT / "tests" / "safety" / "cases.yml"],
    "blind-2026": [ROOT / "tests" / "safety" / "blind_cases.yml"],
    "real-tuning": sorted(REAL.glob("tuning_r*.yml")),
    "real-blind": sorted(REAL.glob("blind_r*.yml")),
    "real-opened": sorted(REAL.glob("opened_r*.yml")),
}


def cases_of(name: str) -> List[dict]:
    return [c for path in SETS[name] for c in load_set(path)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="labelled", choices=sorted(SETS))
    parser.add_argument("--rest", action="store_true", help="through the real servers over REST")
    parser.add_argument("--misses", action="store_true", help="list failures (not for blind sets)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument(
        "--sure-only", action="store_true", help="only messages whose labeller was sure (`sure` not false)"
    )
    args = parser.parse_args(argv)
    blind = "blind" in args.set and args.set != "blind-2026"
    if args.misses and blind:
        print("The blind half is not for reading while the rules change: totals only.", file=sys.stderr)
        return 2
    cases = [
        c
        for c in cases_of(args.set)
        if not (args.rest and c.get("in_session")) and not (args.sure_only and c.get("sure") is False)
    ]
    started = time.perf_counter()
    if args.rest:
        figures, pairs = _over_rest(cases)
    else:
        figures, pairs = run_in_core(Triage(load_directory(settings.knowledge_dir())), cases)
    ms = (time.perf_counter() - started) * 1000 / max(1, len(cases))
    where = "the real servers over REST" if args.rest else "the core"
    print(f"{args.set}: {len(cases)} messages through {where}, {ms:.1f} ms per message")
    print(figures.table())
    if not blind:
        print(figures.confusion_table())
    if args.json:
        print(json.dumps(figures.as_dict()))
    if args.misses:
        failed = set(figures.failures)
        print("\nMisses:")
        for case, seen in pairs:
            if case["id"] in failed:
                print(
                    f"  [{case['outcome']} -> {seen.outcome}/{seen.urgency} offered={seen.offered[:3]}] {case['id']}: {case['text']}"
                )
    return 0


def _over_rest(cases):
    from coach.store import create_db_engine
    from coach.store import knowledge as kb_store
    from tests.integration.servers import Servers, ensure_model

    ensure_model()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'coach.sqlite3'}"
        kb_store.save(create_db_engine(url), load_directory(settings.knowledge_dir()))
        servers = Servers(Path(tmp), url, env=EVALUATION_ENV)
        try:
            servers.start()
            return run_over_rest(servers.url, cases)
        finally:
            servers.stop()


if __name__ == "__main__":
    sys.exit(main())
