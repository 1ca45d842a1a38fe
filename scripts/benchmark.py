"""`make bench`: the coach against the stock `rasa init` starter bot, in one run, on this machine.

Builds the starter bot in a temporary folder (`rasa init --no-prompt`: scaffold and train, no
download), trains the coach from scratch, then starts each bot in turn and drives it with the
same load generator (scripts/bench/load.py) over REST:

    1 user back to back · 50 users back to back · 50 users pausing ~3 s between turns

and reports training time, start to first answer, the RSS of every process, p50/p95/p99,
throughput and errors, with every figure as a ratio against the starter bot. The figures are
written into docs/performance.md (between its markers; the analysis around them stays).

    python -m scripts.benchmark                       # the full run (about 20 minutes on 2 cores)
    python -m scripts.benchmark --quick               # a short run for development (no training)
    python -m scripts.benchmark --layouts embedded,production2 --seconds 20

Layouts: embedded (`make run`), embedded-memory (the same with Rasa's in-memory tracker store:
what the tracker store costs), embedded-stock-sqlite (the same with Rasa's own SQLite journal
setting, COACH_TRACKER_SQLITE_WAL=0: what rasa_fixes' WAL setting saves), embedded-rebuild (the
same with COACH_TRACKER_KEEP=0: the tracker rebuilt from SQL every turn, as Rasa does), productionN (`make run-production` with N Rasa servers and N
action servers behind HAProxy), production1-workersN (one Rasa server with N Sanic workers).
The production layouts need this machine's PostgreSQL, Redis and RabbitMQ and HAProxy; they use
databases of their own (psoas_bench, psoas_bench_tracker). Ports 5500-5599.

Compare figures only within one run, on a quiet machine: they swing by a third between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional

from scripts.bench import conversations, load, report, targets
from scripts.bench.load import Scenario
from scripts.bench.stats import summarise

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
PORT_BASE = 5500


def machine() -> dict:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(row.split()[1]) for row in Path("/proc/meminfo").read_text().splitlines() if row.startswith("MemTotal")
    )
    import rasa

    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": mem_kb / 1024 / 1024,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "rasa": rasa.__version__,
    }


def machine_load() -> str:
    load1, load5, _ = os.getloadavg()
    others = subprocess.run(["pgrep", "-fc", "rasa run"], capture_output=True, text=True).stdout.strip() or "0"
    return f"load average {load1:.2f} (1 min), {load5:.2f} (5 min); {others} `rasa run` processes already running"


def scenarios(args: argparse.Namespace) -> Dict[str, Scenario]:
    return {
        "one": Scenario("1 user back to back", 1, 0, args.seconds),
        "many": Scenario(f"{args.users} users back to back", args.users, 0, args.seconds),
        "pausing": Scenario(
            f"{args.users} users pausing ~{args.think:g} s", args.users, args.think, args.seconds * 1.5
        ),
    }


def measure(target: targets.Target, convs: List[List[str]], plan: Dict[str, Scenario], say) -> dict:
    say("    warm-up: each conversation once")
    warm = load.warm_up(target.url, convs)
    failed = [t for t in warm if not t.ok]
    if failed:
        say(f"    warm-up: {len(failed)} of {len(warm)} turns failed ({failed[0].error}); see {target.workdir}")
    results = {}
    for key, scenario in plan.items():
        turns, started, ended = load.run(target.url, convs, scenario)
        summary = summarise(turns, started, ended).as_dict()
        summary["label"] = scenario.label
        results[key] = summary
        say(
            f"    {scenario.label:28s} {summary['turns']:5d} turns, {summary['errors']} errors, "
            f"{summary['throughput']:.1f} turns/s, p50 {summary['p50_ms'] or 0:.0f} ms, p95 {summary['p95_ms'] or 0:.0f} ms"
        )
    return {
        "name": target.name,
        "layout": target.layout,
        "start_seconds": target.start_seconds,
        "rss": target.memory(),
        "rasa_rss": target.rasa_rss(),
        "scenarios": results,
    }


def start(layout: str, work: Path, model: Path, starter_dir: Path, port_base: int = PORT_BASE) -> targets.Target:
    """Starts one layout on ports from `port_base` (+1 to +5 for the single-process ones, +10 to +91
    for the production layout)."""
    folder = work / layout
    folder.mkdir(parents=True, exist_ok=True)
    if layout == "starter":
        return targets.start_starter(starter_dir, port_base + 1, folder)
    if layout == "embedded":
        return targets.start_embedded(port_base + 2, port_base + 3, folder, model)
    if layout == "embedded-stock-sqlite":  # what rasa_fixes' SQLite setting saves
        return targets.start_embedded(
            port_base + 6,
            port_base + 7,
            folder,
            model,
            extra_env={"COACH_TRACKER_SQLITE_WAL": "0"},
            name="coach (embedded, Rasa's stock SQLite journal)",
        )
    if layout == "embedded-rebuild":  # what keeping the last saved trackers saves
        return targets.start_embedded(
            port_base + 8,
            port_base + 9,
            folder,
            model,
            extra_env={"COACH_TRACKER_KEEP": "0"},
            name="coach (embedded, tracker rebuilt from SQL every turn)",
        )
    if layout == "embedded-memory":
        return targets.start_embedded(
            port_base + 4,
            port_base + 5,
            folder,
            model,
            tracker_store="memory",
            name="coach (embedded, in-memory tracker)",
        )
    match = re.fullmatch(r"production(\d)(?:-workers(\d))?", layout)
    if match:
        workers = match.group(2)
        return targets.start_production(
            int(match.group(1)), port_base, folder, extra_env={"SANIC_WORKERS": workers} if workers else None
        )
    raise SystemExit(
        f"unknown layout {layout!r} (starter, embedded, embedded-memory, embedded-rebuild, embedded-stock-sqlite, "
        "productionN, production1-workersN)"
    )


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs, 10 users, no training (for development)")
    parser.add_argument("--layouts", default="embedded,production2", help="coach layouts after the starter bot")
    parser.add_argument(
        "--recommend",
        default="auto",
        help="the coach layout recommended for one machine (auto: the one with the most throughput at 50 users)",
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0, help="per back-to-back scenario (pausing: 1.5×)")
    parser.add_argument("--think", type=float, default=3.0, help="pause between turns of pausing users")
    parser.add_argument("--no-training", action="store_true", help="skip timing training (reuses models/coach.tar.gz)")
    parser.add_argument("--workdir", help="keep logs and the starter bot here (reused when already built)")
    parser.add_argument("--model", default=str(ROOT / "models" / "coach.tar.gz"))
    parser.add_argument("--out", default=str(DOC), help="the Markdown file to write ('-' to write none)")
    parser.add_argument("--json", help="also write the raw results here")
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.seconds, args.no_training = min(args.users, 10), min(args.seconds, 6.0), True
        args.out = "-" if args.out == str(DOC) else args.out
    say = lambda text: print(text, flush=True)  # noqa: E731
    command = "python -m scripts.benchmark " + " ".join(argv if argv is not None else sys.argv[1:])
    model = Path(args.model)
    if not model.exists():
        raise SystemExit(f"{model} is missing: `make train` first (make bench does)")
    layouts = ["starter"] + [name for name in args.layouts.split(",") if name]
    results = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "command": command.strip(),
        "machine": machine(),
        "load": machine_load(),
        "training": {},
        "targets": [],
    }
    say(f"Benchmark: {', '.join(layouts)}; {results['load']}.")
    keep = Path(args.workdir) if args.workdir else None
    with tempfile.TemporaryDirectory(prefix="psoas-bench-") as tmp:
        work = keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        starter_dir = work / "starter-bot"
        if not list((starter_dir / "models").glob("*.tar.gz")):
            targets.remove(starter_dir)
            say("==> Building the starter bot: rasa init --no-prompt (scaffold and train, cold cache)…")
            results["training"]["starter bot (rasa init)"] = targets.build_starter(starter_dir)
            say(f"    {results['training']['starter bot (rasa init)']:.0f} s")
        else:
            results["training"]["starter bot (rasa init)"] = None
        if args.no_training:
            results["training"]["coach (rasa train)"] = None
        else:
            say("==> Training the coach from scratch (cold cache)…")
            results["training"]["coach (rasa train)"] = targets.train_coach(work / "coach-training")
            say(f"    {results['training']['coach (rasa train)']:.0f} s")
        plan = scenarios(args)
        for layout in layouts:
            convs = list((conversations.STARTER if layout == "starter" else conversations.COACH).values())
            say(f"==> {layout}: starting…")
            target = start(layout, work, model, starter_dir)
            try:
                say(f"    first answer after {target.start_seconds:.1f} s")
                measured = measure(target, convs, plan, say)
                measured["layout_key"] = layout
                results["targets"].append(measured)
            finally:
                target.stop()
    coach = results["targets"][1:]
    if coach:
        best = args.recommend
        if best == "auto":
            best = max(coach, key=lambda t: t["scenarios"]["many"]["throughput"])["layout_key"]
        for t in coach:
            t["recommended"] = t["layout_key"] == best
    say("")
    say(report.console(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    if args.out != "-":
        out = Path(args.out)
        out.write_text(report.merge(out.read_text() if out.exists() else "", report.render(results)))
        say(f"\nWrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
