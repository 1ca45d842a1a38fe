"""The figures the real-message sets must keep, and how they are recorded.

python -m scripts.safety_gates            # print today's figures against the gates
python -m scripts.safety_gates --write    # record today's core figures as the gates

Gates are counts (messages right per category, ordinary messages stopped, exclusions leaked)
for each set file, through the core (tests/safety/test_real_messages.py) and over REST
(tests/integration/test_real_messages_over_rest.py checks those recorded with --rest --write).
CI fails below the figures reached, not below lower ones: raise a gate only with the evidence
in docs/safety.md. Blind sets print totals only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict

import yaml

from coach import settings
from coach.kb.loader import load_directory
from coach.safety.triage import Triage
from evaluation.runners import run_in_core
from evaluation.scoring import REAL, Figures, load_set

GATES = REAL / "gates.yml"


def figures_as_gate(figures: Figures) -> Dict[str, int]:
    gate = {f"right_{category}": int(figures.ok[category]) for category in figures.n}
    gate["ordinary_stopped_at_most"] = int(figures.ordinary_stopped)
    gate["leaks_at_most"] = int(figures.leaks)
    return gate


def set_files():
    return sorted(REAL.glob("tuning_r*.yml")) + sorted(REAL.glob("opened_r*.yml")) + sorted(REAL.glob("blind_r*.yml"))


def read_gates() -> Dict:
    return yaml.safe_load(GATES.read_text()) if GATES.exists() else {"core": {}, "rest": {}}


def write_gates(gates: Dict) -> None:
    header = (
        "# Figures the real-message sets must keep (counts). Written by python -m scripts.safety_gates --write\n"
        "# (core) and with --rest --write (over REST); CI fails below them. Evidence: docs/safety.md.\n"
    )
    GATES.write_text(header + yaml.safe_dump(gates, sort_keys=True))


def shortfalls(figures: Figures, gate: Dict[str, int]) -> Dict[str, str]:
    """What falls below the gate, in counts only (safe to print for blind sets)."""
    now = figures_as_gate(figures)
    problems = {}
    for key, value in gate.items():
        got = now.get(key, 0)
        if key.endswith("_at_most") and got > value or not key.endswith("_at_most") and got < value:
            problems[key] = f"{got} (gate {value})"
    return problems


def _figures(rest: bool):
    if not rest:
        triage = Triage(load_directory(settings.knowledge_dir()))
        return [(path, run_in_core(triage, load_set(path))[0]) for path in set_files()]
    from scripts.safety_report import _over_rest

    paths = set_files()
    cases = {path: load_set(path) for path in paths}
    _, pairs = _over_rest([c for path in paths for c in cases[path]])
    seen = {case["id"]: s for case, s in pairs}
    from evaluation.scoring import score

    return [(path, score((c, seen[c["id"]]) for c in cases[path])) for path in paths]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="record today's figures as the gates")
    parser.add_argument("--rest", action="store_true", help="through the real servers over REST")
    args = parser.parse_args(argv)
    gates = read_gates()
    where = "rest" if args.rest else "core"
    for path, figures in _figures(args.rest):
        gate = gates.get(where, {}).get(path.stem, {})
        print(
            f"{path.name} ({where}): {figures_as_gate(figures)}; below the gate: {shortfalls(figures, gate) or 'nothing'}"
        )
        if args.write:
            gates.setdefault(where, {})[path.stem] = figures_as_gate(figures)
    if args.write:
        write_gates(gates)
        print(f"wrote {Path(GATES).relative_to(REAL.parent.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
