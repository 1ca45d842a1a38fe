"""NLU accuracy on the held-out set (never trained on) and, with --cross-validation, 5 folds.

python -m scripts.evaluate_nlu                      # held-out only (CI gate: macro-F1 >= 0.90)
python -m scripts.evaluate_nlu --cross-validation   # also 5-fold cross-validation on data/nlu

Reports (confusion matrices, per-intent errors) are written under reports/ and regenerated
each run; they are not committed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


def main(argv) -> int:
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "rasa_test.log").write_text("")
    rows = []
    heldout_dir = REPORTS / "nlu_heldout"
    run_rasa(["test", "nlu", "--nlu", str(HELDOUT), "--model", str(MODEL), "--out", str(heldout_dir)])
    rows.append(summarise(heldout_dir, "held-out"))
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
        print(f"{'':<24} weakest: {', '.join(r['weakest_intents'])}")
    (REPORTS / "nlu_summary.json").write_text(json.dumps(rows, indent=2))
    heldout_f1 = rows[0]["intent_macro_f1"]
    if heldout_f1 < MIN_HELDOUT_MACRO_F1:
        print(f"FAIL: held-out macro-F1 {heldout_f1:.3f} is below {MIN_HELDOUT_MACRO_F1}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
