"""Turns one benchmark run's results into text: the console table and docs/performance.md.

docs/performance.md mixes written analysis (where the time goes, what each lever did) with the
generated figures. Only the part between the two markers below is rewritten by a run, so the
analysis around it survives; a file without the markers gets them appended.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from scripts.bench.stats import ratio

START = "<!-- bench:start (written by `make bench`; edits inside are overwritten) -->"
END = "<!-- bench:end -->"

# The scenarios every target runs, by the keys the results use (each carries its own label).
ONE = "one"
MANY = "many"
PAUSING = "pausing"

P95_GOAL_MS = 150.0
THROUGHPUT_GOAL = 2.0


def _ms(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.0f} ms"


def _x(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.2f}×"


def _s(value: Optional[float]) -> str:
    return "not measured" if value is None else f"{value:.1f} s"


def _scenario(target: dict, key: str) -> Optional[dict]:
    return target["scenarios"].get(key)


def goals(starter: dict, coach: dict) -> List[Dict[str, object]]:
    """Issue 11's goals for one coach layout against the starter bot: what, figure, met."""
    rows: List[Dict[str, object]] = []
    many_s, many_c = _scenario(starter, MANY), _scenario(coach, MANY)
    if many_s and many_c:
        r = ratio(many_c["throughput"], many_s["throughput"])
        rows.append(
            {
                "goal": f"throughput, {many_c['label']}, ≥ {THROUGHPUT_GOAL:g}× the starter's",
                "figure": f"{many_c['throughput']:.1f} vs {many_s['throughput']:.1f} turns/s = {_x(r)}",
                "met": r is not None and r >= THROUGHPUT_GOAL,
            }
        )
    pausing = _scenario(coach, PAUSING)
    if pausing:
        p95 = pausing["p95_ms"]
        rows.append(
            {
                "goal": f"p95 ≤ {P95_GOAL_MS:g} ms, {pausing['label']}",
                "figure": _ms(p95),
                "met": p95 is not None and p95 <= P95_GOAL_MS,
            }
        )
    one_s, one_c = _scenario(starter, ONE), _scenario(coach, ONE)
    if one_s and one_c:
        rows.append(
            {
                "goal": "one user back to back, p50 ≤ the starter's",
                "figure": f"{_ms(one_c['p50_ms'])} vs {_ms(one_s['p50_ms'])}",
                "met": one_c["p50_ms"] is not None
                and one_s["p50_ms"] is not None
                and one_c["p50_ms"] <= one_s["p50_ms"],
            }
        )
    errors = sum(s["errors"] for s in coach["scenarios"].values())
    rows.append({"goal": "zero errors", "figure": f"{errors} errors", "met": errors == 0})
    starter_rss = max(starter["rasa_rss"]) if starter["rasa_rss"] else None
    coach_rss = max(coach["rasa_rss"]) if coach["rasa_rss"] else None
    if starter_rss and coach_rss:
        rows.append(
            {
                "goal": "RSS per Rasa process ≤ the starter's",
                "figure": f"{coach_rss:.0f} MB (largest) vs {starter_rss:.0f} MB",
                "met": coach_rss <= starter_rss,
            }
        )
    return rows


def figures_table(targets: Sequence[dict]) -> List[str]:
    """One row per target and scenario, ratios against the first target (the starter bot)."""
    starter = targets[0]
    lines = [
        "| bot and layout | scenario | turns | errors | throughput | ×starter | p50 | p95 | p99 | p95 ×starter |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for target in targets:
        for key, s in target["scenarios"].items():
            base = starter["scenarios"].get(key)
            same = target is starter
            lines.append(
                f"| {target['name']} | {s.get('label', key)} | {s['turns']} | {s['errors']} | {s['throughput']:.1f} turns/s | "
                f"{'' if same else _x(ratio(s['throughput'], base and base['throughput']))} | "
                f"{_ms(s['p50_ms'])} | {_ms(s['p95_ms'])} | {_ms(s['p99_ms'])} | "
                f"{'' if same else _x(ratio(s['p95_ms'], base and base['p95_ms']))} |"
            )
    return lines


def memory_table(targets: Sequence[dict]) -> List[str]:
    lines = ["| bot and layout | start to first answer | RSS per process | all together |", "|---|---|---|---|"]
    for target in targets:
        parts = ", ".join(f"{name} {mb:.0f} MB" for name, mb in target["rss"].items())
        lines.append(
            f"| {target['name']} | {_s(target.get('start_seconds'))} | {parts} | {sum(target['rss'].values()):.0f} MB |"
        )
    return lines


def render(results: dict) -> str:
    """The generated section of docs/performance.md (between the markers, markers included)."""
    targets = results["targets"]
    starter = targets[0]
    machine = results["machine"]
    lines = [
        START,
        "",
        f"Measured {results['date']} at commit `{results['commit']}` with:",
        "",
        f"    {results['command']}",
        "",
        f"Machine: {machine['cpus']} CPU cores ({machine['cpu']}), {machine['memory_gb']:.0f} GB RAM, "
        f"{machine['os']}, Python {machine['python']}, Rasa {machine['rasa']}. "
        f"Load on the machine when the run started: {results['load']}.",
        "",
        "Layouts:",
        "",
        *[f"- **{t['name']}**: {t['layout']}" for t in targets],
        "",
        "Training from scratch (cold cache): "
        + ", ".join(f"{name} {_s(seconds)}" for name, seconds in results["training"].items())
        + ".",
        "",
        "### Latency and throughput (REST, the same load generator, one run)",
        "",
        *figures_table(targets),
        "",
        "### Start and memory",
        "",
        *memory_table(targets),
        "",
        "### Goals (issue 11), per coach layout",
        "",
    ]
    for target in targets[1:]:
        lines += [f"**{target['name']}**" + (" (recommended for one machine)" if target.get("recommended") else ""), ""]
        lines += ["| goal | figure | met |", "|---|---|---|"]
        lines += [
            f"| {g['goal']} | {g['figure']} | {'yes' if g['met'] else '**no**'} |" for g in goals(starter, target)
        ]
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def merge(document: str, section: str) -> str:
    """`document` with its generated section replaced by `section` (appended when missing)."""
    if START in document and END in document:
        before = document[: document.index(START)]
        after = document[document.index(END) + len(END) :]
        return before + section.rstrip("\n") + after
    return document.rstrip("\n") + ("\n\n" if document.strip() else "") + section


def console(results: dict) -> str:
    """The figures as the run prints them: ratios against the starter bot."""
    targets = results["targets"]
    starter = targets[0]
    out = []
    for target in targets:
        out.append(
            f"{target['name']}: started in {_s(target.get('start_seconds'))}, RSS "
            + ", ".join(f"{n} {mb:.0f} MB" for n, mb in target["rss"].items())
        )
        for key, s in target["scenarios"].items():
            base = starter["scenarios"].get(key)
            tail = ""
            if target is not starter and base:
                tail = (
                    f"  [throughput {_x(ratio(s['throughput'], base['throughput']))}, "
                    f"p50 {_x(ratio(s['p50_ms'], base['p50_ms']))}, p95 {_x(ratio(s['p95_ms'], base['p95_ms']))} of the starter's]"
                )
            out.append(
                f"  {s.get('label', key):28s} {s['turns']:5d} turns {s['errors']:3d} errors {s['throughput']:6.1f} turns/s "
                f"p50 {_ms(s['p50_ms']):>7s} p95 {_ms(s['p95_ms']):>7s} p99 {_ms(s['p99_ms']):>7s}{tail}"
            )
    for target in targets[1:]:
        for g in goals(starter, target):
            out.append(f"{target['name']}: {'MET    ' if g['met'] else 'NOT MET'} {g['goal']}: {g['figure']}")
    return "\n".join(out)
