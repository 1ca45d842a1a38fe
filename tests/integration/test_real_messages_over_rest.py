"""Every real message through the real servers over REST, each as a new user's first message:
NLU, the safety component, the one door and the payloads together. Gates: tests/safety/real/
gates.yml (`rest`), recorded with `python -m scripts.safety_gates --rest --write`. Blind halves
report counts only."""

from __future__ import annotations

import pytest

from evaluation.runners import run_over_rest
from evaluation.scoring import load_set
from scripts.safety_gates import read_gates, set_files, shortfalls

FILES = set_files()


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_the_figures_hold_over_rest(servers, path):
    gate = read_gates().get("rest", {}).get(path.stem)
    assert gate, f"no REST gate recorded for {path.stem}: python -m scripts.safety_gates --rest --write"
    figures, _ = run_over_rest(servers.url, load_set(path))
    below = shortfalls(figures, gate)
    if path.stem.startswith("blind"):
        assert not below, f"{path.stem} over REST fell below its gate (counts only): {below}"
    else:
        assert not below, f"{path.stem} over REST fell below its gate: {below}; failing ids: {figures.failures}"
