"""Real people's messages through the core: the sets are well formed and the figures hold.

The blind halves are scored like the others, but a failure reports counts only: their words
are not for reading while the rules change (tests/safety/real/, docs/safety.md).
"""

from __future__ import annotations

from collections import Counter

import pytest

from evaluation.runners import run_in_core
from evaluation.scoring import CATEGORIES, category_of, load_set
from scripts.safety_gates import read_gates, set_files, shortfalls

FILES = set_files()
FIELDS = {"id", "text", "outcome", "urgency", "rules", "excluded", "category", "source", "in_session", "history"}
# What the issue asks of each half (safety-rules categories), at least.
MINIMUM = {"high_stakes": 15, "referral": 15, "deferral": 10, "in_stretch": 10, "ordinary": 60}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_each_set_is_well_formed_and_big_enough(kb, path):
    cases = load_set(path)
    # A stretch named any other way ("S5") can never be seen offered: the leak would go uncounted.
    exercises = set(kb.exercises)
    unknown = {e for c in cases for e in [*(c.get("excluded") or []), c.get("stretch")] if e and e not in exercises}
    assert not unknown, f"labels name stretches the knowledge base does not hold: {sorted(unknown)}"
    assert len({c["id"] for c in cases}) == len(cases), "ids are unique"
    problems = [c["id"] for c in cases if FIELDS - c.keys() or category_of(c) not in CATEGORIES]
    assert not problems, f"{len(problems)} cases lack fields or have an unknown category"
    assert all(c["source"].startswith("http") for c in cases), "every real message keeps its source address"
    counts = Counter(category_of(c) for c in cases)
    short = {k: counts[k] for k, n in MINIMUM.items() if counts[k] < n}
    assert not short, f"too few messages in {short}"


def test_the_held_out_halves_share_no_message_with_the_tuning_halves():
    tuning = {c["text"].lower() for p in FILES if p.stem.startswith("tuning") for c in load_set(p)}
    held_out = [c for p in FILES if p.stem.startswith(("blind", "opened")) for c in load_set(p)]
    assert held_out and not [c for c in held_out if c["text"].lower() in tuning]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_the_figures_hold(triage, path):
    gate = read_gates().get("core", {}).get(path.stem)
    assert gate, f"no gate recorded for {path.stem}: python -m scripts.safety_gates --write"
    figures, _ = run_in_core(triage, load_set(path))
    below = shortfalls(figures, gate)
    if path.stem.startswith("blind"):
        assert not below, f"{path.stem} fell below its gate (counts only): {below}"
    else:
        assert not below, f"{path.stem} fell below its gate: {below}; failing ids: {figures.failures}"
