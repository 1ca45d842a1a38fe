"""docs/rules.md is the rule table people read instead of the reference draft, so it must say
what the knowledge base does: one row per rule id used anywhere in knowledge/, no row for an id
that is gone, the outcome of every red-flag entry, and the concept, condition, constraint and
screening ids each row is made of. A rule added, removed or re-graded in knowledge/ without
the doc fails here.

Rows are table lines that start with the bare id: ``| RF1 | trigger | outcome | says | row |``.
"""

from __future__ import annotations

import re
from typing import Dict, List, Set

import pytest

from coach.kb.loader import KnowledgeBase, load_directory
from coach.kb.schema import Outcome, reference_rule
from coach.safety.triage import PRECAUTION_RULE, READER_RULE
from tests.conftest import ROOT

RULES_DOC = ROOT / "docs" / "rules.md"
ROW = re.compile(r"^\| (?P<id>(?:RF|PQ|CI|IS|SC|LR)\d+[a-z]?) \|")
COLUMNS = ("id", "trigger", "outcome", "says", "reference")
OUTCOME_WORDS = {o.value for o in Outcome}


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return load_directory(ROOT / "knowledge")


@pytest.fixture(scope="module")
def doc() -> str:
    return RULES_DOC.read_text(encoding="utf-8")


def rule_rows(text: str) -> Dict[str, List[List[str]]]:
    """Every table row of the doc by rule id (a list, so a duplicated row can be seen)."""
    rows: Dict[str, List[List[str]]] = {}
    for line in text.splitlines():
        match = ROW.match(line)
        if match:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows.setdefault(match["id"], []).append(cells)
    return rows


def used_rule_ids(kb: KnowledgeBase) -> Set[str]:
    """Every rule id the knowledge base can report: red-flag entries and the rule_ids of
    conditions, constraints and screening questions."""
    # the learned reader's, worded in texts.learned_reader and texts.learned_precaution
    ids = set(kb.red_flags) | {READER_RULE, PRECAUTION_RULE}
    for entry in [*kb.conditions.values(), *kb.constraints.values(), *kb.screening]:
        ids.update(entry.rule_ids)
    return ids


def named_in_row(kb: KnowledgeBase) -> Dict[str, Set[str]]:
    """The knowledge-base ids each rule's row must name, so a developer can find them."""
    names: Dict[str, Set[str]] = {}
    for rule in kb.red_flags.values():
        names.setdefault(rule.id, set()).update(rule.all_of, rule.any_of, rule.unless)
    for entry in [*kb.conditions.values(), *kb.constraints.values(), *kb.screening]:
        for rule_id in entry.rule_ids:
            names.setdefault(rule_id, set()).add(entry.id)
    return names


def outcomes_in_row(kb: KnowledgeBase) -> Dict[str, Set[str]]:
    """Outcomes the outcome cell of a condition or constraint row must mention: each condition's
    outcome (its recent outcome when it has a time rule) and its later outcome; EXCLUDE for a
    constraint, which only ever removes stretches."""
    needed: Dict[str, Set[str]] = {}
    for condition in kb.conditions.values():
        outcomes = {condition.outcome.value}
        if condition.time_rule:
            outcomes |= {condition.time_rule.recent_outcome.value, condition.time_rule.past_outcome.value}
        for rule_id in condition.rule_ids:
            needed.setdefault(rule_id, set()).update(outcomes)
    for constraint in kb.constraints.values():
        for rule_id in constraint.rule_ids:
            needed.setdefault(rule_id, set()).add(Outcome.EXCLUDE.value)
    return needed


def _cell(cells: List[str], column: str) -> str:
    return cells[COLUMNS.index(column)]


def row_problems(kb: KnowledgeBase, text: str) -> List[str]:
    """Missing, duplicated, stale and malformed rows."""
    rows = rule_rows(text)
    used = used_rule_ids(kb)
    problems = [f"{rule_id}: no row in docs/rules.md" for rule_id in sorted(used - set(rows))]
    problems += [f"{rule_id}: row for an id no knowledge file uses" for rule_id in sorted(set(rows) - used)]
    for rule_id, found in sorted(rows.items()):
        if len(found) > 1:
            problems.append(f"{rule_id}: {len(found)} rows, expected one")
        problems += [
            f"{rule_id}: {len(cells)} cells, expected {len(COLUMNS)}" for cells in found if len(cells) != len(COLUMNS)
        ]
    return problems


def outcome_problems(kb: KnowledgeBase, text: str) -> List[str]:
    """Red-flag rows must start their outcome cell with the entry's outcome; condition and
    constraint rows must mention every outcome their entries can lead to."""
    rows = rule_rows(text)
    problems = []
    for rule in kb.red_flags.values():
        for cells in rows.get(rule.id, []):
            written = _cell(cells, "outcome").split()[0].strip("*`")
            if written != rule.outcome.value:
                problems.append(f"{rule.id}: doc says {written}, knowledge/safety.yml says {rule.outcome.value}")
    for rule_id, outcomes in outcomes_in_row(kb).items():
        for cells in rows.get(rule_id, []):
            written = set(re.findall(r"[A-Z][A-Z-]+[A-Z]", _cell(cells, "outcome"))) & OUTCOME_WORDS
            problems += [f"{rule_id}: outcome cell does not mention {o}" for o in sorted(outcomes - written)]
    return problems


def naming_problems(kb: KnowledgeBase, text: str) -> List[str]:
    rows = rule_rows(text)
    problems = []
    for rule_id, names in named_in_row(kb).items():
        for cells in rows.get(rule_id, []):
            line = " | ".join(cells)
            problems += [f"{rule_id}: row does not name `{name}`" for name in sorted(names) if f"`{name}`" not in line]
    return problems


def payload_problems(kb: KnowledgeBase, text: str) -> List[str]:
    """A lettered id (RF9r) is reported as its reference row (RF9): its row must say so."""
    rows = rule_rows(text)
    problems = []
    for rule_id in sorted(used_rule_ids(kb)):
        reported = reference_rule(rule_id)
        if reported == rule_id:
            continue
        for cells in rows.get(rule_id, []):
            if f"Payloads report `{reported}`" not in _cell(cells, "reference"):
                problems.append(f"{rule_id}: row does not say payloads report `{reported}`")
    return problems


def test_the_knowledge_base_uses_rule_ids_of_every_family(knowledge):
    used = used_rule_ids(knowledge)
    assert {rule_id[:2] for rule_id in used} == {"RF", "PQ", "CI", "IS", "SC", "LR"}


def test_every_rule_id_has_exactly_one_row_and_no_row_is_stale(knowledge, doc):
    assert row_problems(knowledge, doc) == []


def test_red_flag_and_condition_rows_give_the_knowledge_base_outcomes(knowledge, doc):
    assert outcome_problems(knowledge, doc) == []


def test_rows_name_the_ids_that_trigger_them(knowledge, doc):
    assert naming_problems(knowledge, doc) == []


def test_rows_of_lettered_ids_say_which_reference_row_payloads_report(knowledge, doc):
    assert payload_problems(knowledge, doc) == []


def _without_row(text: str, rule_id: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith(f"| {rule_id} |"))


def test_the_checks_catch_a_removed_a_stale_and_a_regraded_row(knowledge, doc):
    assert "RF1: no row in docs/rules.md" in row_problems(knowledge, _without_row(doc, "RF1"))
    stale = doc + "\n| RF99 | nothing | PROCEED | nothing | nothing |\n"
    assert "RF99: row for an id no knowledge file uses" in row_problems(knowledge, stale)
    duplicated = doc + "\n" + next(line for line in doc.splitlines() if line.startswith("| CI5 |"))
    assert "CI5: 2 rows, expected one" in row_problems(knowledge, duplicated)
    regraded = "\n".join(
        line.replace("| EMERGENCY (emergency) |", "| URGENT (urgent) |", 1) if line.startswith("| RF1 |") else line
        for line in doc.splitlines()
    )
    assert "RF1: doc says URGENT, knowledge/safety.yml says EMERGENCY" in outcome_problems(knowledge, regraded)
    unnamed = doc.replace("`saddle_numbness`", "saddle numbness")
    assert "RF1: row does not name `saddle_numbness`" in naming_problems(knowledge, unnamed)
