"""Finding keys ("<kind>:<id>") are a type of their own; the knowledge base's keys must parse."""

from __future__ import annotations

import pytest

from coach.safety.findings import FINDING_KINDS, Finding, finding_key, parse_key


def test_a_key_round_trips_through_its_kind_and_id():
    finding = Finding("constraint", "no_kneeling", "can't kneel")
    assert finding.key == finding_key("constraint", "no_kneeling") == "constraint:no_kneeling"
    assert parse_key(finding.key) == ("constraint", "no_kneeling")


@pytest.mark.parametrize("bad", ["no_kneeling", "symptom:numbness", "concept:", ":x", ""])
def test_a_key_of_no_known_kind_or_without_an_id_is_refused(bad):
    with pytest.raises(ValueError, match="not a finding key"):
        parse_key(bad)


def test_every_screening_answer_names_findings_of_known_kinds_and_ids(kb):
    known = {"concept": kb.concepts, "condition": kb.conditions, "constraint": kb.constraints}
    for question in kb.screening:
        for key in question.yes_means:
            kind, ident = parse_key(key)
            assert kind in FINDING_KINDS and ident in known[kind], (question.id, key)
