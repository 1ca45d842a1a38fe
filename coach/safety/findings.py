"""What the detector found in a message: plain data, so deciding needs no NLP libraries."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal, NewType, Optional, Tuple, cast, get_args

# What a finding is about: a knowledge-base concept, condition or constraint, a stretch named in the
# message, "lifted" (a condition or constraint said to be over: its id is "<kind>.<id>"), or
# "suspicion": the learned reader's outcome for the whole message (its id an outcome such as
# "REFER", or "THIRD"; coach/safety/reader.py), which may only add caution, or "precaution": a
# limit (a constraint id such as "no_kneeling") the reader proposes, which may only leave stretches out.
FindingKind = Literal["concept", "condition", "constraint", "exercise", "lifted", "suspicion", "precaution"]
FINDING_KINDS: tuple = get_args(FindingKind)
# "<kind>:<id>", e.g. "constraint:no_kneeling": how findings are named in profiles, questions
# ("update:constraint:no_kneeling") and decisions; a type of its own so a bare id is not passed for it.
FindingKey = NewType("FindingKey", str)


def finding_key(kind: FindingKind, ident: str) -> FindingKey:
    return FindingKey(f"{kind}:{ident}")


def parse_key(key: str) -> Tuple[FindingKind, str]:
    """ "constraint:no_kneeling" -> ("constraint", "no_kneeling"); a key of no known kind is a
    vocabulary or knowledge-base entry built wrong, refused here."""
    kind, _, ident = key.partition(":")
    if kind not in FINDING_KINDS or not ident:
        raise ValueError(f"not a finding key: {key!r}")
    return cast(FindingKind, kind), ident


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    id: str
    text: str  # the words that matched, for explanations and logs
    start: int = 0  # character offsets in the (normalised) message
    end: int = 0
    negated: bool = False
    third_party: bool = False
    hypothetical: bool = False
    resolved: bool = False
    days_ago: Optional[float] = None
    duration_days: Optional[float] = None
    probability: Optional[float] = None  # a suspicion's, as the reader gave it

    @property
    def about_user_now(self) -> bool:
        """Says the user has this, as opposed to not having it, someone else, or 'what if'."""
        return not (self.negated or self.third_party or self.hypothetical)

    @property
    def key(self) -> FindingKey:
        return finding_key(self.kind, self.id)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


# Concept ids and a question kind that the detector, the triage and the dialogue all name.
CLEARANCE = "clinician_clearance"  # a clinician said exercise is fine
CLINICIAN_LIMIT = "clinician_limit"  # a clinician limited exercise (implies supervised_only, PQ5)
CLEARED_QUESTION = "cleared"  # "cleared:<condition>": has a clinician cleared it? (its time is already known)
