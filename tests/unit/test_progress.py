"""The first run's long steps (scripts/progress.py): what each does, that it moves, how long it took."""

from __future__ import annotations

import sys

from scripts import progress

PIP_OUTPUT = """Collecting absl-py==1.4.0
  Using cached absl_py-1.4.0-py3-none-any.whl (126 kB)
Collecting aio-pika==8.2.3
  Using cached aio_pika-8.2.3-py3-none-any.whl (49 kB)
Installing collected packages: absl-py, aio-pika
Successfully installed absl-py-1.4.0 aio-pika-8.2.3
"""
TRAIN_OUTPUT = """2026-12-01 13:00:01 INFO     rasa.engine.training.hooks  - Starting to train component 'CRFEntityExtractor'.
Epochs:  40%|####      | 4/10 [00:01<00:02]\rEpochs: 100%|##########| 10/10 [00:02<00:00]
2026-12-01 13:00:19 INFO     rasa.engine.training.hooks  - Finished training component 'CRFEntityExtractor'.
2026-12-01 13:00:19 INFO     rasa.engine.training.hooks  - Restored component 'RegexFeaturizer' from cache.
"""


def emit(text: str, code: int = 0):
    return [sys.executable, "-c", f"import sys; sys.stdout.write({text!r}); sys.exit({code})"]


def test_pip_step_counts_packages_and_says_when_it_unpacks(capsys):
    assert progress.main(["Installing 2 packages", "--kind", "pip", "--total", "2", "--", *emit(PIP_OUTPUT)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("==> Installing 2 packages…")
    assert "fetched 2/2: aio-pika==8.2.3" in out
    assert "unpacking 2 packages" in out and "installed 2 packages" in out
    assert "==> Installing 2 packages: done in 0 s." in out
    assert "Using cached" not in out, "the tool's own chatter stays back"


def test_training_names_each_component_and_its_time(capsys):
    assert progress.main(["Training the model", "--kind", "train", "--", *emit(TRAIN_OUTPUT)]) == 0
    out = capsys.readouterr().out
    assert "training CRFEntityExtractor…" in out
    assert "CRFEntityExtractor trained in" in out
    assert "RegexFeaturizer unchanged (from the cache)" in out
    assert "Epochs" not in out


def test_a_failed_step_says_so_and_shows_the_tools_last_lines(capsys):
    code = progress.main(["Training the model", "--kind", "train", "--", *emit("loading\nData error: bad yaml\n", 3)])
    out = capsys.readouterr().out
    assert code == 3
    assert "==> Training the model FAILED after 0 s (exit 3)" in out
    assert "| Data error: bad yaml" in out


def test_a_silent_tool_gets_a_heartbeat(capsys, monkeypatch):
    monkeypatch.setattr(progress, "HEARTBEAT_SECONDS", 1)
    command = [sys.executable, "-c", "import time; time.sleep(2.5)"]
    assert progress.main(["Installing packages (the slow part)", "--", *command]) == 0
    assert "… still installing packages (" in capsys.readouterr().out


def test_a_command_that_cannot_start_is_named(capsys):
    assert progress.main(["Installing", "--", "/nonexistent/pip"]) == 127
    assert "cannot start /nonexistent/pip" in capsys.readouterr().out


def test_durations_read_as_people_say_them():
    assert progress.duration(4.4) == "4 s"
    assert progress.duration(211) == "3 min 31 s"
