"""Runs a labelled set through the core (fast, every test run) or the real servers over REST."""

from __future__ import annotations

import uuid
from typing import Iterable, List, Tuple

import requests

from coach.catalog import Catalog
from coach.profile import Profile
from coach.recommend import recommend
from coach.safety.triage import Triage
from evaluation.scoring import Figures, Seen, score, seen_from_replies


def seen_in_core(triage: Triage, case: dict) -> Seen:
    profile = Profile(user_id=case["id"])
    for earlier in case.get("history") or []:
        _, profile = triage.assess(earlier, profile, in_session=case.get("in_session", False))
    decision, _ = triage.assess(case["text"], profile, in_session=case.get("in_session", False))
    offered = [] if decision.stops_coaching else [p.id for p in recommend(Catalog(triage.kb), decision).picks]
    return Seen(
        outcome=decision.outcome.value,
        urgency=decision.urgency,
        stopped=decision.stops_coaching,
        about=decision.about,
        offered=offered,
    )


def run_in_core(triage: Triage, cases: Iterable[dict]) -> Tuple[Figures, List[Tuple[dict, Seen]]]:
    pairs = [(case, seen_in_core(triage, case)) for case in cases]
    return score(pairs), pairs


def seen_over_rest(base_url: str, case: dict, timeout: float = 30) -> Seen:
    """The case's messages from a new sender, as a user would send them; the last reply judged."""
    sender = f"eval-{uuid.uuid4().hex[:10]}"
    url = f"{base_url}/webhooks/rest/webhook"
    for earlier in case.get("history") or []:
        requests.post(url, json={"sender": sender, "message": earlier}, timeout=timeout).raise_for_status()
    reply = requests.post(url, json={"sender": sender, "message": case["text"]}, timeout=timeout)
    reply.raise_for_status()
    return seen_from_replies(reply.json())


def run_over_rest(base_url: str, cases: Iterable[dict]) -> Tuple[Figures, List[Tuple[dict, Seen]]]:
    pairs = [(case, seen_over_rest(base_url, case)) for case in cases]
    return score(pairs), pairs
