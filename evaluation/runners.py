"""Runs a labelled set through the core (fast, every test run) or the real servers over REST."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Iterable, List, Tuple

import requests

from coach.catalog import Catalog
from coach.profile import Profile
from coach.recommend import recommend
from coach.safety.triage import Triage
from evaluation.scoring import Figures, Seen, score, seen_from_replies

# Labelled messages are read against one fixed day, not the machine's: real posts say "on Sunday"
# or "last Tuesday" of a week nobody knows, and a gate must not move with the weekday it runs on.
# Round 4's figures (docs/safety.md) were taken on this day.
EVALUATION_DAY = date(2026, 12, 1)
# The same day for the servers when they are scored over REST (coach/settings.py today()).
EVALUATION_ENV = {"COACH_TODAY": EVALUATION_DAY.isoformat()}


def seen_in_core(triage: Triage, case: dict, today: date = EVALUATION_DAY) -> Seen:
    profile = Profile(user_id=case["id"])
    in_session = case.get("in_session", False)
    for earlier in case.get("history") or []:
        _, profile = triage.assess(earlier, profile, in_session=in_session, today=today)
    decision, _ = triage.assess(case["text"], profile, in_session=in_session, today=today)
    offered = [] if decision.stops_coaching else [p.id for p in recommend(Catalog(triage.kb), decision).picks]
    return Seen(
        outcome=decision.outcome.value,
        urgency=decision.urgency,
        stopped=decision.stops_coaching,
        about=decision.about,
        offered=offered,
        left_out=sorted(decision.excluded),
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


# Each case is its own new sender, so cases can be sent side by side: the servers answer one
# while NLU runs another (CI time, not a change in what is measured).
REST_SENDERS = 4


def run_over_rest(base_url: str, cases: Iterable[dict]) -> Tuple[Figures, List[Tuple[dict, Seen]]]:
    cases = list(cases)
    with ThreadPoolExecutor(max_workers=REST_SENDERS) as pool:
        seen = list(pool.map(lambda case: seen_over_rest(base_url, case), cases))
    pairs = list(zip(cases, seen, strict=True))
    return score(pairs), pairs
