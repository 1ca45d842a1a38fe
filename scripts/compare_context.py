"""Our context reader (coach/safety/context.py) against medspaCy's ConText, on the same findings.

python -m scripts.compare_context --medspacy-path DIR [--sets real-tuning real-blind labelled]

medspaCy is not in the lock (see docs/safety.md for why); install it beside it for the
comparison only:  .venv/bin/pip install --target DIR medspacy==1.3.1 spacy==3.4.4 numpy==1.23.5
pydantic==1.10.9 thinc==8.1.12

Both readers get the same findings from our detector (same phrases, combos, time reading);
only the context flags differ: negated, someone else's (ConText's FAMILY experiencer),
hypothetical, and historical (ConText's HISTORICAL, read as "more than six weeks ago"). Each
variant is then decided by the same triage and scored by evaluation/scoring.py. Blind sets
print totals only. PyRuSH, medspaCy's sentence splitter, logs every message it splits; health
text must never reach logs, so its logger is disabled before anything runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from typing import Callable, Dict, List

from coach import settings
from coach.catalog import Catalog
from coach.kb.loader import load_directory
from coach.profile import Profile
from coach.recommend import recommend
from coach.safety.findings import Finding
from coach.safety.triage import Triage
from evaluation.scoring import Seen, score
from scripts.safety_report import cases_of

HISTORICAL_DAYS = 365.0


class ConTextReader:
    """Reads ConText's modifiers for each of our findings, one finding (entity) at a time."""

    def __init__(self) -> None:
        from loguru import logger

        logger.disable("PyRuSH")  # it would log each message's text
        import medspacy  # noqa: F401  (registers the pipes)
        import spacy

        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("medspacy_pyrush")
        self.nlp.add_pipe("medspacy_context", config={"rules": "default"})

    def flags(self, text: str, finding: Finding) -> Dict[str, bool]:
        from spacy.tokens import Span

        doc = self.nlp.make_doc(text.lower())
        for name, proc in self.nlp.pipeline:
            if name == "medspacy_context":
                span = doc.char_span(finding.start, finding.end, label="FINDING", alignment_mode="expand")
                if span is None:
                    return {}
                doc.ents = [Span(doc, span.start, span.end, label="FINDING")]
            doc = proc(doc)
        ent = doc.ents[0] if doc.ents else None
        if ent is None:
            return {}
        return {
            "negated": bool(ent._.is_negated),
            "third_party": bool(ent._.is_family),
            "hypothetical": bool(ent._.is_hypothetical),
            "historical": bool(ent._.is_historical),
        }


def with_context(findings: List[Finding], text: str, reader: ConTextReader, combine: bool) -> List[Finding]:
    out = []
    for f in findings:
        flags = reader.flags(text, f)
        if not flags:
            out.append(f)
            continue
        if combine:  # either reader may add a context; neither removes the other's
            negated = f.negated or flags["negated"]
            third = f.third_party or flags["third_party"]
            hypothetical = f.hypothetical or flags["hypothetical"]
        else:
            negated, third, hypothetical = flags["negated"], flags["third_party"], flags["hypothetical"]
        days = f.days_ago
        if flags["historical"] and (days is None or days < HISTORICAL_DAYS):
            days = HISTORICAL_DAYS if not combine or days is None else days
        out.append(replace(f, negated=negated, third_party=third, hypothetical=hypothetical, days_ago=days))
    return out


def seen_with(triage: Triage, findings: List[Finding], case: dict) -> Seen:
    decision, _ = triage.decide(findings, Profile(user_id=case["id"]))
    offered = [] if decision.stops_coaching else [p.id for p in recommend(Catalog(triage.kb), decision).picks]
    return Seen(decision.outcome.value, decision.urgency, decision.stops_coaching, decision.about, offered)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--medspacy-path", required=True, help="folder medspacy was pip-installed into (--target)")
    parser.add_argument("--sets", nargs="+", default=["real-tuning", "real-blind", "labelled", "blind-2026"])
    args = parser.parse_args(argv)
    sys.path.append(args.medspacy_path)  # after the lock's own packages, so ours win
    triage = Triage(load_directory(settings.knowledge_dir()))
    reader = ConTextReader()
    variants: Dict[str, Callable[[List[Finding], str], List[Finding]]] = {
        "ours": lambda fs, text: fs,
        "ConText": lambda fs, text: with_context(fs, text, reader, combine=False),
        "both": lambda fs, text: with_context(fs, text, reader, combine=True),
    }
    for name in args.sets:
        cases = [c for c in cases_of(name) if not c.get("history") and not c.get("in_session")]
        base = [(c, triage.detector.detect(c["text"])) for c in cases]
        print(f"\n{name}: {len(cases)} single messages")
        for variant, apply in variants.items():
            started = time.perf_counter()
            pairs = [(c, seen_with(triage, apply(fs, c["text"]), c)) for c, fs in base]
            ms = (time.perf_counter() - started) * 1000 / max(1, len(cases))
            figures = score(pairs)
            rates = ", ".join(f"{k} {figures.ok[k]}/{figures.n[k]}" for k in figures.n)
            print(
                f"  {variant:<8} {sum(figures.ok.values())}/{len(cases)} right ({rates}); ordinary stopped "
                f"{figures.ordinary_stopped}; exclusions leaked {figures.leaks}; context {ms:.1f} ms/message"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
