"""Where a server's time goes under load: py-spy samples it while the load generator drives it.

    python -m scripts.bench.profile --py-spy /tmp/pyspy/bin/py-spy [--layout embedded] [--seconds 20]

py-spy is a profiling tool, not a dependency of the coach, so it is not in requirements.lock:
install it apart, e.g. `pip install --no-deps --target /tmp/pyspy py-spy==0.4.3`. It samples the
Rasa server and the action server (every process of the layout whose name starts with rasa or
actions) while 50 users talk back to back, and prints, per process, the share of its CPU samples
spent in each part of a turn (each sample counted once, in the first part of PARTS it is in);
idle time (the event loop waiting for a socket) is not sampled.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Tuple

from scripts.bench import conversations, load
from scripts.bench.load import Scenario

# (part, pattern on one frame "function (path:line)"), in priority order: a sample belongs to the
# first part with a frame anywhere in its stack that matches (the stages of a Rasa turn first,
# the libraries they call last), so each sample counts once.
PARTS: Sequence[Tuple[str, str]] = (
    # The Rasa server, in the order of a turn (rasa/core/processor.py).
    ("Rasa: lock store", r"lock_store\.py"),
    (
        "Rasa: tracker store, retrieve",
        r"get_tracker \(rasa/core/processor|fetch_tracker|retrieve \(rasa/core/tracker_store",
    ),
    ("Rasa: NLU pipeline", r"_parse_message_with_graph|parse_message \(rasa/core/processor"),
    ("Rasa: policy prediction", r"_predict_next_with_tracker|predict_next_with_tracker_if_should"),
    ("Rasa: running actions (the call to the action server)", r"_run_action \(rasa/core/processor|rasa/core/actions/"),
    ("Rasa: tracker store, save", r"save_tracker \(rasa/core/processor|save \(rasa/core/tracker_store"),
    ("Rasa: event broker", r"rasa/core/brokers/|analytics_broker"),
    # The action server.
    ("actions: coach's store (SQLAlchemy)", r"\(coach/store/"),
    ("actions: coach's dialogue and safety logic", r"\(coach/"),
    ("actions: door (tracker to turn, events back)", r"\(actions/"),
    ("actions: rasa_sdk (tracker JSON in, events out)", r"webhook \(rasa_sdk/endpoint"),
    # What is left: the HTTP server, JSON, the event loop.
    ("HTTP server (Sanic), JSON and the event loop", r"sanic/|json|asyncio/|uvloop"),
)


def categorise(stack: Iterable[str], parts: Sequence[Tuple[str, str]] = PARTS) -> str:
    """The part one sampled stack (outermost frame first) belongs to."""
    frames = list(stack)
    for name, pattern in parts:
        compiled = re.compile(pattern)
        if any(compiled.search(frame) for frame in frames):
            return name
    return "other"


def shares(collapsed: str, parts: Sequence[Tuple[str, str]] = PARTS) -> Dict[str, float]:
    """Share (0-1) of samples per part, from py-spy's raw (collapsed) output."""
    counts: Dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        if not line.strip():
            continue
        stack, _, count = line.rpartition(" ")
        n = int(count)
        frames = stack.split(";")
        if frames and frames[0].startswith(("process ", "thread ")):
            frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        part = categorise(frames, parts)
        counts[part] = counts.get(part, 0) + n
        total += n
    return {part: n / total for part, n in sorted(counts.items(), key=lambda kv: -kv[1])} if total else {}


def record(py_spy: str, pid: int, seconds: float, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    import os

    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: List[str] = None) -> int:
    from scripts import benchmark
    from scripts.bench import targets

    parser = argparse.ArgumentParser(prog="python -m scripts.bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--py-spy", default="py-spy")
    parser.add_argument("--layout", default="embedded")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workdir", help="keep logs and the raw profiles here")
    parser.add_argument("--port-base", type=int, default=benchmark.PORT_BASE, help="as make bench's (5500)")
    parser.add_argument("--model", default=str(benchmark.ROOT / "models" / "coach.tar.gz"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="psoas-profile-") as tmp:
        work = Path(args.workdir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        target = benchmark.start(args.layout, work, Path(args.model), work / "starter-bot", args.port_base)
        try:
            convs = list((conversations.STARTER if args.layout == "starter" else conversations.COACH).values())
            load.warm_up(target.url, convs)
            pids = {
                name: process.pid for name, process in target.processes.items() if name.startswith(("rasa", "actions"))
            }
            for name, pid in list(pids.items()):  # Sanic workers, when there are any
                for number, child in enumerate(targets.descendants(pid)[1:], 1):
                    pids[f"{name} (worker {number})"] = child
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            spies = {name: record(args.py_spy, pid, args.seconds, work / f"{name}.txt") for name, pid in pids.items()}
            turns, started, ended = load.run(target.url, convs, Scenario("profile", args.users, 0, args.seconds))
            for spy in spies.values():
                spy.wait(timeout=60)
            wall = ended - started
            print(
                f"{args.layout}: {len(turns)} turns in {wall:.0f} s ({len(turns) / wall:.1f} turns/s), "
                f"{sum(not t.ok for t in turns)} errors"
            )
            for name, pid in pids.items():
                used = cpu_seconds(pid) - before[name]
                raw = work / f"{name}.txt"
                print(f"\n{name}: {100 * used / wall:.0f}% of one core")
                if raw.exists():
                    for part, share in shares(raw.read_text()).items():
                        print(f"  {100 * share:5.1f}%  {part}")
                else:
                    print("  (py-spy wrote nothing: " + spies[name].stderr.read().decode()[-300:] + ")")
        finally:
            target.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
