"""Reads knowledge/*.yml, validates every entry and the links between them.

Errors name the file, the entry and the field, e.g.
``knowledge/exercises.yml: exercises[hip_flexor_bed_stretch].hold_seconds.default: …``
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import yaml
from pydantic import ValidationError

from coach.kb.replies import problems_with as reply_problems
from coach.kb.schema import (
    SECTIONS,
    Concept,
    Condition,
    Constraint,
    EmergencyNumbers,
    Exercise,
    FaqEntry,
    Goal,
    KnowledgeFile,
    RedFlag,
    ScreeningQuestion,
    Seed,
    Texts,
)

FIXED_EXERCISE_IDS = frozenset(
    {
        "half_kneeling_hip_flexor_stretch",
        "standing_hip_flexor_stretch",
        "glute_bridge",
        "hip_flexor_bed_stretch",
        "table_psoas_stretch",
        "low_lunge_twist",
        "rear_foot_elevated_hip_flexor_stretch",
    }
)
SYMPTOM_TAGS = frozenset({"sitting", "lower_back", "front_of_hip", "running", "beginner", "no_kneeling"})


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML key given twice silently keeps the last value; in a safety file that hides rules."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}' (line {key_node.start_mark.line + 1})", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class KnowledgeError(ValueError):
    """The knowledge base is invalid; the message lists every problem found."""

    def __init__(self, problems: List[str]):
        self.problems = problems
        super().__init__("invalid knowledge base:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class KnowledgeBase:
    exercises: Dict[str, Exercise]
    conditions: Dict[str, Condition]
    constraints: Dict[str, Constraint]
    red_flags: Dict[str, RedFlag]
    concepts: Dict[str, Concept]
    faq: Dict[str, FaqEntry]
    goals: Dict[str, Goal]
    emergency_numbers: List[EmergencyNumbers]
    screening: List[ScreeningQuestion]
    seeds: List[Seed]
    texts: Texts
    replies: Dict[str, str]
    content_hash: str = field(compare=False)

    def say(self, reply_id: str, **values: Any) -> str:
        """A chat sentence from knowledge/replies.yml, filled in."""
        return self.replies[reply_id].format(**values)

    def to_documents(self) -> Dict[str, Any]:
        """Plain-JSON form, the shape stored in SQL and hashed."""
        return _documents(self)

    @classmethod
    def from_documents(cls, docs: Dict[str, Any]) -> KnowledgeBase:
        merged = KnowledgeFile.parse_obj(docs)
        return _assemble(merged, "the knowledge store")


def load_directory(directory: Path) -> KnowledgeBase:
    directory = Path(directory)
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise KnowledgeError([f"{directory}: no .yml files found"])
    problems: List[str] = []
    parsed: List[KnowledgeFile] = []
    for path in files:
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader) or {}
        except yaml.YAMLError as err:
            problems.append(f"{path}: not valid YAML: {err}")
            continue
        if not isinstance(raw, dict):
            problems.append(f"{path}: the top level must be a mapping of sections")
            continue
        try:
            parsed.append(KnowledgeFile.parse_obj(raw))
        except ValidationError as err:
            problems.extend(_describe(path, raw, err))
    if problems:
        raise KnowledgeError(problems)
    merged = _merge(parsed, problems)
    if problems:
        raise KnowledgeError(problems)
    return _assemble(merged, str(directory))


def _describe(path: Path, raw: Dict[str, Any], err: ValidationError) -> Iterable[str]:
    for e in err.errors():
        loc = list(e["loc"])
        where = str(loc[0]) if loc else "?"
        if len(loc) >= 2 and isinstance(loc[1], int):
            entries = raw.get(str(loc[0])) or []
            entry = entries[loc[1]] if loc[1] < len(entries) else None
            name = entry.get("id") if isinstance(entry, dict) and entry.get("id") else f"#{loc[1]}"
            where = f"{loc[0]}[{name}]"
            loc = loc[2:]
        else:
            loc = loc[1:]
        field_path = ".".join(str(p) for p in loc)
        yield f"{path}: {where}{'.' + field_path if field_path else ''}: {e['msg']}"


def _merge(files: List[KnowledgeFile], problems: List[str]) -> KnowledgeFile:
    merged: Dict[str, Any] = {name: [] for name in SECTIONS}
    texts: Optional[Texts] = None
    replies: Optional[Dict[str, str]] = None
    for kf in files:
        for name in SECTIONS:
            merged[name].extend(getattr(kf, name))
        if kf.texts is not None:
            if texts is not None:
                problems.append("texts: defined in more than one file")
            texts = kf.texts
        if kf.replies is not None:
            if replies is not None:
                problems.append("replies: defined in more than one file")
            replies = kf.replies
    result = KnowledgeFile(**merged, texts=texts, replies=replies)
    return result


def _unique(entries: Iterable[Any], section: str, problems: List[str], key: str = "id") -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for entry in entries:
        value = getattr(entry, key)
        if value in out:
            problems.append(f"{section}[{value}]: duplicate {key}")
        out[value] = entry
    return out


def _assemble(kf: KnowledgeFile, origin: str) -> KnowledgeBase:
    problems: List[str] = []
    exercises = _unique(kf.exercises, "exercises", problems)
    conditions = _unique(kf.conditions, "conditions", problems)
    constraints = _unique(kf.constraints, "constraints", problems)
    red_flags = _unique(kf.red_flags, "red_flags", problems)
    concepts = _unique(kf.concepts, "concepts", problems)
    faq = _unique(kf.faq, "faq", problems)
    _unique(kf.faq, "faq", problems, key="intent")
    goals = _unique(kf.goals, "goals", problems)

    missing = FIXED_EXERCISE_IDS - exercises.keys()
    extra = exercises.keys() - FIXED_EXERCISE_IDS
    if missing:
        problems.append(f"exercises: missing fixed ids {sorted(missing)}")
    if extra:
        problems.append(f"exercises: unknown ids {sorted(extra)} (ids are fixed; clients depend on them)")

    aliases: Dict[str, str] = {}
    for ex in exercises.values():
        for alias in [ex.name.lower(), *[a.lower() for a in ex.aliases]]:
            owner = aliases.setdefault(alias, ex.id)
            if owner != ex.id:
                problems.append(f"exercises[{ex.id}].aliases: '{alias}' also names {owner}")
        for ref_field in ("regressions", "progressions"):
            for ref in getattr(ex, ref_field):
                if ref not in exercises:
                    problems.append(f"exercises[{ex.id}].{ref_field}: unknown exercise '{ref}'")
        for cond in ex.contraindications + [c.condition for c in ex.cautions]:
            if cond not in conditions:
                problems.append(f"exercises[{ex.id}]: unknown condition '{cond}'")
        for tag in ex.good_for:
            if tag not in goals and tag not in SYMPTOM_TAGS:
                problems.append(f"exercises[{ex.id}].good_for: unknown tag '{tag}'")
    for rf in red_flags.values():
        for concept in rf.all_of + rf.any_of:
            if concept not in concepts:
                problems.append(f"red_flags[{rf.id}]: unknown concept '{concept}'")
        for ident in rf.unless:
            if ident not in concepts and ident not in conditions:
                problems.append(f"red_flags[{rf.id}].unless: unknown concept or condition '{ident}'")
    for concept in concepts.values():
        for ref in concept.from_duration.of if concept.from_duration else []:
            if ref not in concepts:
                problems.append(f"concepts[{concept.id}].from_duration: unknown concept '{ref}'")
    for concept in concepts.values():
        if concept.implies and concept.implies not in conditions:
            problems.append(f"concepts[{concept.id}].implies: unknown condition '{concept.implies}'")
    if "retraction" not in concepts:
        problems.append("concepts: 'retraction' is required (take-backs such as 'jk')")
    _unique(kf.screening, "screening", problems)
    for q in kf.screening:
        for key in q.yes_means + q.known_from:
            kind, _, ident = key.partition(":")
            pool = {"concept": concepts, "condition": conditions, "constraint": constraints}.get(kind)
            if pool is None or ident not in pool:
                problems.append(f"screening[{q.id}]: unknown finding '{key}'")
    seeds = {seed.file for seed in kf.seeds}
    if not seeds:
        problems.append("seeds: missing (knowledge/sources.yml lists the source articles)")
    for section, entries in (("exercises", kf.exercises), ("faq", kf.faq)):
        for entry in entries:
            for source in entry.sources:
                if source not in seeds:
                    problems.append(f"{section}[{entry.id}].sources: '{source}' is not a known source article")
    if kf.texts is None:
        problems.append("texts: missing")
    else:
        for option in kf.texts.red_flag_check_options:
            for concept in option.means:
                if concept not in concepts:
                    problems.append(f"texts.red_flag_check_options[{option.title}]: unknown concept '{concept}'")
    if kf.replies is None:
        problems.append("replies: missing")
    else:
        problems.extend(reply_problems(kf.replies))
    if not kf.emergency_numbers:
        problems.append("emergency_numbers: missing")
    if problems or kf.texts is None:
        raise KnowledgeError([f"{origin}: {p}" for p in problems])

    kb = KnowledgeBase(
        exercises=exercises,
        conditions=conditions,
        constraints=constraints,
        red_flags=red_flags,
        concepts=concepts,
        faq=faq,
        goals=goals,
        emergency_numbers=list(kf.emergency_numbers),
        screening=list(kf.screening),
        seeds=list(kf.seeds),
        texts=kf.texts,
        replies=dict(kf.replies or {}),
        content_hash="",
    )
    digest = hashlib.sha256(json.dumps(_documents(kb), sort_keys=True).encode()).hexdigest()
    object.__setattr__(kb, "content_hash", digest)
    return kb


def _documents(kb: KnowledgeBase) -> Dict[str, Any]:
    def dump(items: Iterable[Any]) -> List[Dict[str, Any]]:
        return [json.loads(item.json()) for item in items]

    return {
        "exercises": dump(kb.exercises.values()),
        "conditions": dump(kb.conditions.values()),
        "constraints": dump(kb.constraints.values()),
        "red_flags": dump(kb.red_flags.values()),
        "concepts": dump(kb.concepts.values()),
        "faq": dump(kb.faq.values()),
        "goals": dump(kb.goals.values()),
        "emergency_numbers": dump(kb.emergency_numbers),
        "screening": dump(kb.screening),
        "seeds": dump(kb.seeds),
        "texts": json.loads(kb.texts.json()),
        "replies": dict(kb.replies),
    }
