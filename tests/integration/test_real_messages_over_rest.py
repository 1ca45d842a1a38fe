"""The real messages of the blind and opened halves through the real servers over REST, each as a
new user's first message:
NLU, the safety component, the one door and the payloads together. Gates: tests/safety/real/
gates.yml (`rest`), recorded with `python -m scripts.safety_gates --rest --write`. Blind halves
report counts only."""

from __future__ import annotations

import pytest

from coach.store import create_db_engine
from coach.store import knowledge as kb_store
from evaluation.runners import EVALUATION_ENV, run_over_rest
from evaluation.scoring import load_set
from scripts.safety_gates import read_gates, set_files, shortfalls
from tests.integration.servers import ensure_model, running

# The evidence sets: every blind and opened half, each scored once blind. The tuning halves keep
# their REST gates in gates.yml (`python -m scripts.safety_gates --rest`) and their core gates in
# `make test`; sending them too would cost CI minutes and test nothing the core gates do not.
FILES = [p for p in set_files() if not p.stem.startswith("tuning_r")]


@pytest.fixture(scope="module")
def dated_servers(tmp_path_factory, kb):
    """Servers that read every date against evaluation/runners.py EVALUATION_DAY, as the gates were
    recorded: "on Sunday" in an old post must not mean another day each weekday CI runs."""
    ensure_model()
    workdir = tmp_path_factory.mktemp("dated-servers")
    url = f"sqlite:///{workdir / 'coach.sqlite3'}"
    kb_store.save(create_db_engine(url), kb)
    with running(workdir, url, env=EVALUATION_ENV) as s:
        yield s


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_the_figures_hold_over_rest(dated_servers, path):
    gate = read_gates().get("rest", {}).get(path.stem)
    assert gate, f"no REST gate recorded for {path.stem}: python -m scripts.safety_gates --rest --write"
    figures, _ = run_over_rest(dated_servers.url, load_set(path))
    below = shortfalls(figures, gate)
    if path.stem.startswith("blind"):
        assert not below, f"{path.stem} over REST fell below its gate (counts only): {below}"
    else:
        assert not below, f"{path.stem} over REST fell below its gate: {below}; failing ids: {figures.failures}"
