"""Runs on every user message, whatever the intent, form or session state.

Besides safety (below), it keeps the time the user says they have ("only 5 minutes") in the
`minutes_available` slot, whichever message said it, for the next session plan.

Rasa calls action_validate_slot_mappings after each user message. We use it to apply the
message's safety findings (found by nlu_components/safety_triage.py) to the user's profile
and to put this turn's decision in the `safety` slot for the action that answers. A decision
that ends coaching also ends a running session here, whichever action then answers.
"""

from __future__ import annotations

from typing import Any, Dict

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from actions.runtime import coach, intent_name, latest_findings, minutes_said

# Intents in which a duration is the time the user has for a session.
SAYS_TIME_AVAILABLE = {
    "inform_limitation",
    "start_session",
    "ask_recommendation",
    "state_goal",
    "describe_symptom",
    "affirm",
    "greet",
}


class SafetyHook(ValidationAction):
    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_safety(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> Dict[str, Any]:
        if intent_name(tracker).startswith("EXTERNAL_") or not tracker.latest_message.get("text"):
            return {"safety": None}  # a timer, not the user: nothing new was said
        c = coach()
        in_session = bool(tracker.get_slot("session_active"))
        decision = c.observe(tracker.sender_id, latest_findings(tracker), in_session=in_session)
        slots: Dict[str, Any] = {"safety": decision.to_dict()}
        if decision.ends_session and c.end_session(tracker.sender_id):
            slots["session_active"] = False  # the dialogue rules then route away from the session
        return slots

    async def extract_minutes_available(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        if intent_name(tracker) not in SAYS_TIME_AVAILABLE:
            return {}  # "hold for 15 seconds", "give me 10 seconds": about holds, not their time
        minutes = minutes_said(tracker)
        return {"minutes_available": minutes} if minutes and minutes >= 1 else {}

    async def validate_safety(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[str, Any]:
        return {"safety": value}  # decided by the rules above; nothing further to check
