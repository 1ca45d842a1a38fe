"""Pass/fail of every scripted conversation (tests/conversations/*.yml), per conversation and per
theme, so progress on the conversation issue is visible at a glance.

    python -m scripts.conversation_report              # trains if needed, starts its own servers
    python -m scripts.conversation_report --url http://127.0.0.1:5005   # servers already running
    python -m scripts.conversation_report --theme recent_surgery --details

Exit status 0 when every conversation passes, 1 otherwise. It starts the servers on free ports
with a throwaway database (as the integration tests do) and stops them when it is done.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Optional

from coach.kb.loader import load_directory
from coach.store import create_db_engine
from coach.store import knowledge as kb_store
from tests.integration.conversation_format import THEMES, Conversation, FormatError, load_suite
from tests.integration.conversation_runner import Transcript, play
from tests.integration.servers import ROOT, ensure_model, running


@contextmanager
def servers_at(url: Optional[str]) -> Iterator[str]:
    if url:
        yield url.rstrip("/")
        return
    ensure_model()
    with tempfile.TemporaryDirectory(prefix="conversation-report-") as workdir:
        database = f"sqlite:///{Path(workdir) / 'coach.sqlite3'}"
        kb_store.save(create_db_engine(database), load_directory(ROOT / "knowledge"))
        with running(Path(workdir), database) as servers:
            yield servers.url


def first_problem(transcript: Transcript) -> str:
    if transcript.turn_failures:
        turn = transcript.turn_failures[0]
        return f"turn {turn.number}: expected {turn.failures[0]}"
    if transcript.contract_failures:
        return transcript.contract_failures[0]
    if transcript.repeated_questions:
        return transcript.repeated_questions[0]
    return ""


def report(suite: Dict[str, Conversation], transcripts: Dict[str, Transcript], details: bool) -> List[str]:
    lines = []
    for cid, transcript in transcripts.items():
        mark = "PASS" if transcript.passed else "FAIL"
        lines.append(f"{mark}  {cid}" + ("" if transcript.passed else f"  ({first_problem(transcript)})"))
        if details and not transcript.passed:
            lines.append("\n".join("      " + line for line in transcript.explain().splitlines()))
    lines.append("")
    by_theme: Dict[str, List[bool]] = defaultdict(list)
    for cid, transcript in transcripts.items():
        for theme in suite[cid].themes:
            by_theme[theme].append(transcript.passed)
    width = max(len(t) for t in THEMES)
    for theme in THEMES:
        results = by_theme.get(theme, [])
        if results:
            lines.append(f"{theme:<{width}}  {sum(results):>3} / {len(results):<3} pass")
    repeats = sum(1 for t in transcripts.values() if t.repeated_questions)
    passed = sum(1 for t in transcripts.values() if t.passed)
    lines.append(f"{'question twice in a row':<{width}}  {repeats:>3} conversations")
    lines.append(f"{'all':<{width}}  {passed:>3} / {len(transcripts):<3} pass")
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="base URL of running servers (default: start our own)")
    parser.add_argument("--theme", choices=THEMES, help="only conversations with this theme")
    parser.add_argument("--id", action="append", help="only this conversation (repeatable)")
    parser.add_argument("--details", action="store_true", help="print every failing turn with the reply")
    args = parser.parse_args(argv)
    try:
        suite = load_suite()
    except FormatError as error:
        print(error, file=sys.stderr)
        return 2
    chosen = {
        cid: c
        for cid, c in suite.items()
        if (not args.theme or args.theme in c.themes) and (not args.id or cid in args.id)
    }
    if not chosen:
        print("no conversation matches", file=sys.stderr)
        return 2
    with servers_at(args.url) as url:
        transcripts = {cid: play(c, url) for cid, c in chosen.items()}
    print("\n".join(report(suite, transcripts, args.details)))
    return 0 if all(t.passed for t in transcripts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
