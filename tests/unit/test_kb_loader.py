"""The knowledge base loads whole and valid, or not at all, with errors that name file, entry and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from coach.kb.loader import FIXED_EXERCISE_IDS, KnowledgeError, load_directory
from coach.store import knowledge as kb_store
from coach.store.models import KnowledgeEntry
from tests.conftest import ROOT


@pytest.fixture()
def kb_copy(tmp_path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _error(directory: Path) -> str:
    with pytest.raises(KnowledgeError) as err:
        load_directory(directory)
    return str(err.value)


def test_real_knowledge_base_is_valid(kb):
    assert set(kb.exercises) == FIXED_EXERCISE_IDS
    assert kb.conditions and kb.red_flags and kb.faq and kb.screening
    known = {seed.file for seed in kb.seeds}
    for entry in [*kb.exercises.values(), *kb.faq.values()]:
        assert entry.sources and set(entry.sources) <= known, entry.id


SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the source articles are not at {SEEDS} on this machine")
def test_the_seed_registry_matches_the_source_articles(kb):
    """knowledge/sources.yml names every article, with the hash of the text we checked against."""
    import hashlib

    on_disk = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in SEEDS.glob("*.txt")}
    assert {seed.file: seed.sha256 for seed in kb.seeds} == on_disk


def test_a_source_that_is_not_a_known_article_is_refused(kb_copy):
    _edit(kb_copy / "exercises.yml", lambda d: d["exercises"][0].update(sources=["999_0000000000000000.txt"]))
    assert "is not a known source article" in _error(kb_copy)


def test_every_rule_family_from_the_reference_is_covered(kb):
    rule_ids = set(kb.red_flags) | {r for c in kb.conditions.values() for r in c.rule_ids}
    for family, count in (("RF", 11), ("CI", 20)):
        expected = {f"{family}{n}" for n in range(1, count + 1)}
        assert expected <= rule_ids, sorted(expected - rule_ids)


def test_wrong_field_type_names_file_entry_and_field(kb_copy):
    _edit(kb_copy / "exercises.yml", lambda d: d["exercises"][0]["hold_seconds"].update(default="long"))
    message = _error(kb_copy)
    first = yaml.safe_load((kb_copy / "exercises.yml").read_text())["exercises"][0]["id"]
    assert f"exercises.yml: exercises[{first}].hold_seconds.default" in message


def test_unknown_field_is_rejected(kb_copy):
    _edit(kb_copy / "faq.yml", lambda d: d["faq"][0].update(colour="blue"))
    assert "colour" in _error(kb_copy)


def test_missing_required_field_is_rejected(kb_copy):
    _edit(kb_copy / "conditions.yml", lambda d: d["conditions"][0].pop("label"))
    assert "label: field required" in _error(kb_copy)


def test_inconsistent_hold_seconds_are_rejected(kb_copy):
    _edit(kb_copy / "exercises.yml", lambda d: d["exercises"][0]["hold_seconds"].update(min=50, default=20))
    assert "min <= default <= max" in _error(kb_copy)


def test_broken_reference_is_rejected(kb_copy):
    _edit(kb_copy / "exercises.yml", lambda d: d["exercises"][0].update(contraindications=["no_such_condition"]))
    assert "unknown condition 'no_such_condition'" in _error(kb_copy)


def test_unknown_exercise_id_is_rejected(kb_copy):
    _edit(kb_copy / "exercises.yml", lambda d: d["exercises"][0].update(id="mystery_stretch"))
    message = _error(kb_copy)
    assert "unknown ids ['mystery_stretch']" in message and "missing fixed ids" in message


def test_duplicate_alias_is_rejected(kb_copy):
    def dup(d):
        d["exercises"][1]["aliases"].append(d["exercises"][0]["aliases"][0])

    _edit(kb_copy / "exercises.yml", dup)
    assert "also names" in _error(kb_copy)


def test_source_must_be_a_seed_file(kb_copy):
    _edit(kb_copy / "exercises.yml", lambda d: d["exercises"][0].update(sources=["wikipedia"]))
    assert "seed file name" in _error(kb_copy)


def test_invalid_yaml_is_reported_with_its_file(kb_copy):
    (kb_copy / "goals.yml").write_text("goals: [unclosed\n")
    assert "goals.yml: not valid YAML" in _error(kb_copy)


def test_load_is_all_or_nothing_and_idempotent(engine, kb, kb_copy):
    assert kb_store.save(engine, kb) is True
    assert kb_store.save(engine, kb) is False  # same content: nothing to do
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(KnowledgeEntry)).scalar()
    _edit(kb_copy / "faq.yml", lambda d: d["faq"][0].update(answer=""))
    with pytest.raises(KnowledgeError):
        kb_store.save(engine, load_directory(kb_copy))
    with engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(KnowledgeEntry)).scalar()
    assert before == after
    assert kb_store.load(engine) == kb


def test_store_round_trip_and_alias_lookup(loaded_engine, kb):
    assert kb_store.load(loaded_engine) == kb
    assert kb_store.exercise_id_for_alias(loaded_engine, "Couch Stretch") == "rear_foot_elevated_hip_flexor_stretch"


def test_reading_an_empty_store_explains_what_to_run(engine):
    with pytest.raises(kb_store.KnowledgeNotLoaded, match="python -m coach.kb load"):
        kb_store.load(engine)
