"""How late pushed session cues arrive, at real time, for 1 and for N concurrent sessions.

python -m scripts.benchmark_pacing [--sessions 20] [--seconds 50]

"same instant" starts every session together, so every cue of every session fires at once
(the worst case); "within 10 s" spreads the starts as real users would.

Each cue's expected arrival is when its step was announced plus the cue's offset in that step
(halfway, last seconds, end = next step); lateness is what the client actually saw minus that.
Goal (issue #5): p95 under 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

from coach.kb.loader import load_directory
from coach.session import Step, cues_for
from coach.store import create_db_engine
from coach.store import knowledge as kb_store
from coach.store.profiles import ProfileStore
from tests.integration.servers import ROOT, Servers
from tests.integration.socket_client import WebUser


def lateness_ms(received) -> list:
    """Pairs each announced step with the cues that followed it."""
    late = []
    steps = [m for m in received if (m.get("custom") or {}).get("type") == "session_step"]
    announced = None
    for m in steps:
        c = m["custom"]
        if "cue" not in c:  # a new step: it is itself the 'end' cue of the previous one
            if announced is not None:
                late.append((m["at"] - announced["at"] - announced["custom"]["seconds"]) * 1000)
            announced = m
        elif announced is not None:
            step = Step(c["exercise_id"], c["side"], c["rep"], "hold", announced["custom"]["seconds"], "")
            offset = next(x.at_seconds for x in cues_for(step) if x.kind == c["cue"])
            late.append((m["at"] - announced["at"] - offset) * 1000)
    return late


async def run_sessions(servers: Servers, n: int, seconds: float, stagger: float = 0.0) -> list:
    store = ProfileStore(create_db_engine(servers.env["DATABASE_URL"]))
    users = [WebUser(servers.url, uuid.uuid4().hex) for _ in range(n)]
    for u in users:
        store.save_screening(u.session_id, {}, "PROCEED")
    for u in users:
        await u.__aenter__()

    async def start(i: int, u: WebUser) -> None:
        await asyncio.sleep(stagger * i / max(n, 1))  # users don't all press start in the same instant
        await u.say("let's start")

    await asyncio.gather(*(start(i, u) for i, u in enumerate(users)))
    await asyncio.sleep(seconds)
    for u in users:
        await u.say("stop")
    await asyncio.sleep(1)
    for u in users:
        await u.__aexit__(None, None, None)
    return [x for u in users for x in lateness_ms(u.received)]


def report(label: str, values: list) -> None:
    values = sorted(values)
    p95 = values[int(0.95 * (len(values) - 1))]
    print(
        f"{label:<26} {len(values):4d} cues  median {statistics.median(values):6.0f} ms  "
        f"p95 {p95:6.0f} ms  max {values[-1]:6.0f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'coach.sqlite3'}"
        kb_store.save(create_db_engine(url), load_directory(ROOT / "knowledge"))
        servers = Servers(work, url)
        servers.env["COACH_TIME_SCALE"] = "1"  # real time
        try:
            servers.start()
            report("1 session, real time", asyncio.run(run_sessions(servers, 1, args.seconds)))
            report(
                f"{args.sessions} sessions, same instant",
                asyncio.run(run_sessions(servers, args.sessions, args.seconds)),
            )
            report(
                f"{args.sessions} sessions, within 10 s",
                asyncio.run(run_sessions(servers, args.sessions, args.seconds, stagger=10.0)),
            )
        finally:
            servers.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
