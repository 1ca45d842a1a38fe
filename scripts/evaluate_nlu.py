"""NLU accuracy on the held-out set (never trained on) and, with --cross-validation, 5 folds.

python -m scripts.evaluate_nlu                      # held-out only (CI gate: macro-F1 >= 0.90)
python -m scripts.evaluate_nlu --cross-validation   # also 5-fold cross-validation on data/nlu

Reports (confusion matrices, per-intent errors) are written under reports/ and regenerated
each run; they are not committed.

Rasa scores each entity extractor on its own (token-level). The coach uses what all of them
find together, so the held-out set is also scored that way: every entity any extractor found,
against the labelled spans, exact start, end and type (stricter than Rasa's token matching).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RASA = Path(sys.executable).parent / "rasa"
MODEL = ROOT / "models" / "coach.tar.gz"
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
REPORTS = ROOT / "reports"
MIN_HELDOUT_MACRO_F1 = 0.90
ENTITY_EXTRACTOR = "CRFEntityExtractor"


def run_rasa(args) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false"}
    log = REPORTS / "rasa_test.log"
    with log.open("a") as out:
        subprocess.run([str(RASA), *args], cwd=ROOT, env=env, check=True, stdout=out, stderr=subprocess.STDOUT)


def summarise(out_dir: Path, label: str) -> dict:
    intents = json.loads((out_dir / "intent_report.json").read_text())
    entity_file = out_dir / f"{ENTITY_EXTRACTOR}_report.json"
    entities = json.loads(entity_file.read_text()) if entity_file.exists() else {}
    row = {
        "set": label,
        "intent_accuracy": intents["accuracy"],
        "intent_macro_f1": intents["macro avg"]["f1-score"],
        "entity_micro_f1": (entities.get("micro avg") or {}).get("f1-score"),
        "entity_macro_f1": (entities.get("macro avg") or {}).get("f1-score"),
    }
    worst = sorted(
        (
            (name, v["f1-score"], v["support"])
            for name, v in intents.items()
            if isinstance(v, dict) and "support" in v and name not in ("macro avg", "weighted avg", "micro avg")
        ),
        key=lambda r: r[1],
    )[:5]
    row["weakest_intents"] = [f"{n} {f:.2f} (n={s})" for n, f, s in worst]
    return row


def combined_entity_scores(model: Path, data: Path) -> dict:
    """Micro precision/recall/F1 of the union of all extractors, exact spans, per entity too."""
    import logging

    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # not a debug line per parsed message

    ignored = {"coach_finding", "coach_when"}  # the safety component's own entities are scored in tests/safety
    examples = [m for m in load_data(str(data)).training_examples if m.get("text")]
    agent = Agent.load(str(model))

    async def parse_all():
        return [await agent.parse_message(m.get("text")) for m in examples]

    parsed = asyncio.run(parse_all())
    hits, found, labelled = Counter(), Counter(), Counter()
    for message, result in zip(examples, parsed, strict=True):
        gold = {(e["start"], e["end"], e["entity"]) for e in message.get("entities") or []}
        pred = {(e["start"], e["end"], e["entity"]) for e in result["entities"] if e["entity"] not in ignored}
        for _, _, entity in gold:
            labelled[entity] += 1
        for _, _, entity in pred:
            found[entity] += 1
        for _, _, entity in gold & pred:
            hits[entity] += 1

    def f1(h, f, g):
        p, r = (h / f if f else 0.0), (h / g if g else 0.0)
        return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "labelled": g}

    scores = {e: f1(hits[e], found[e], labelled[e]) for e in sorted(labelled | found)}
    scores["micro"] = f1(sum(hits.values()), sum(found.values()), sum(labelled.values()))
    return scores


def main(argv) -> int:
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "rasa_test.log").write_text("")
    rows = []
    heldout_dir = REPORTS / "nlu_heldout"
    run_rasa(["test", "nlu", "--nlu", str(HELDOUT), "--model", str(MODEL), "--out", str(heldout_dir)])
    rows.append(summarise(heldout_dir, "held-out"))
    combined = combined_entity_scores(MODEL, HELDOUT)
    (REPORTS / "nlu_heldout" / "entities_all_extractors.json").write_text(json.dumps(combined, indent=2))
    rows[0]["entity_all_extractors_f1"] = combined["micro"]["f1"]
    if "--cross-validation" in argv:
        cv_dir = REPORTS / "nlu_crossval"
        run_rasa(
            [
                "test",
                "nlu",
                "--nlu",
                "data/nlu",
                "--config",
                "config.yml",
                "--cross-validation",
                "--folds",
                "5",
                "--out",
                str(cv_dir),
            ]
        )
        rows.append(summarise(cv_dir, "5-fold cross-validation"))
    for r in rows:
        entity = f"{r['entity_micro_f1']:.3f}" if r["entity_micro_f1"] is not None else "n/a"
        print(
            f"{r['set']:<24} intent accuracy {r['intent_accuracy']:.3f}  macro-F1 {r['intent_macro_f1']:.3f}  "
            f"entity F1 ({ENTITY_EXTRACTOR}, micro) {entity}"
        )
        if "entity_all_extractors_f1" in r:
            print(f"{'':<24} entity F1 (all extractors together, exact spans) {r['entity_all_extractors_f1']:.3f}")
        print(f"{'':<24} weakest: {', '.join(r['weakest_intents'])}")
    (REPORTS / "nlu_summary.json").write_text(json.dumps(rows, indent=2))
    heldout_f1 = rows[0]["intent_macro_f1"]
    if heldout_f1 < MIN_HELDOUT_MACRO_F1:
        print(f"FAIL: held-out macro-F1 {heldout_f1:.3f} is below {MIN_HELDOUT_MACRO_F1}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
