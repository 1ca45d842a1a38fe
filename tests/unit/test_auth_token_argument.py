"""A random API token may start with "-" (token_urlsafe draws from A-Z a-z 0-9 - _), and Rasa's
argument parser then reads it as an option: `rasa run --auth-token -Xy…` stops with "expected one
argument", about one start in 64 (a clean-clone CI run failed so). Every launcher passes the
token glued to its option, `--auth-token=…`, which argparse never mistakes for an option."""

import re
from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

from connectors.guard import startup_problems

ROOT = Path(__file__).resolve().parents[2]
LAUNCHERS = ["scripts/run.sh", "scripts/production.py", "scripts/bench/targets.py"]


def test_rasa_reads_a_dash_token_only_when_glued_to_its_option():
    parsed = create_argument_parser().parse_args(["run", "--enable-api", "--auth-token=-dashFirst"])
    assert parsed.auth_token == "-dashFirst"
    with pytest.raises(SystemExit):  # the separate form is what failed
        create_argument_parser().parse_args(["run", "--enable-api", "--auth-token", "-dashFirst"])


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_every_launcher_glues_the_token_to_its_option(launcher):
    text = (ROOT / launcher).read_text()
    assert "--auth-token=" in text, launcher
    assert not re.search(r"--auth-token[\"']?\s*[,\s]\s*[\"$]", text), launcher


def test_the_guard_sees_a_glued_dash_token():
    argv = ["/x/rasa", "run", "-i", "127.0.0.1", "--enable-api", "--auth-token=-dashFirst"]
    assert startup_problems(argv, "") == []
