"""The PAR-Q+-style screening form before a first session (questions live in knowledge/)."""

from __future__ import annotations

from typing import Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import coach, say_safety, turn_decision
from actions.sessions import begin_session

FORM = "screening_form"


def _answers(tracker: Tracker) -> Dict[str, Optional[bool]]:
    return {q.id: tracker.get_slot(q.id) for q in coach().kb.screening}


class ActionCheckScreening(Action):
    """Decides whether the form must run before the session starts."""

    def name(self) -> str:
        return "action_check_screening"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        due = coach().screening_due(tracker.sender_id)
        if not due:
            return [SlotSet("screening_due", False)]
        dispatcher.utter_message(text="Before we start, a few quick safety questions. Just answer yes or no.")
        # Clear old answers: Rasa 3.6 does not re-validate slots that are already filled (PR #12467).
        return [SlotSet("screening_due", True)] + [SlotSet(q.id, None) for q in coach().kb.screening]


class ValidateScreeningForm(FormValidationAction):
    def name(self) -> str:
        return f"validate_{FORM}"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> List[str]:
        c = coach()
        answers = _answers(tracker)
        decision, _ = c.triage.decide(c.screening_findings(answers), c.profiles.get(tracker.sender_id))
        if decision.stops_coaching:
            return []  # no more questions once an answer means stop
        skip = {q.id for q in c.kb.screening} - {q.id for q in c.questions_to_ask(tracker.sender_id)}
        return [s for s in domain_slots if s not in skip or answers.get(s) is not None]


class ActionNoteDuringScreening(Action):
    """Something volunteered mid-form ("oh, I had knee surgery last year") is already in the
    profile (the safety hook saw it); say so, and stop the form if it changed everything."""

    def name(self) -> str:
        return "action_note_during_screening"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        decision = turn_decision(tracker)
        if decision.coaching_waits:
            say_safety(dispatcher, tracker, decision)
        else:
            dispatcher.utter_message(text="Thanks, I've noted that. Back to the questions:")
        return []


class ActionScreeningSubmit(Action):
    def name(self) -> str:
        return "action_screening_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        decision = coach().submit_screening(tracker.sender_id, _answers(tracker))
        if decision.coaching_waits:
            say_safety(dispatcher, tracker, decision)
            return [SlotSet("screening_due", False)]
        dispatcher.utter_message(text="Thanks, that's everything I need.", json_message=decision.payload())
        return [SlotSet("screening_due", False)] + begin_session(dispatcher, tracker, decision)


def _ask_action(question_id: str) -> type:
    class AskQuestion(Action):
        def name(self) -> str:
            return f"action_ask_{question_id}"

        async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
            text = coach().screening_question(question_id).question
            dispatcher.utter_message(
                text=text,
                buttons=[{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
                json_message={"type": "screening_question", "id": question_id, "options": ["yes", "no"]},
            )
            return []

    AskQuestion.__name__ = f"ActionAsk_{question_id}"
    return AskQuestion


# One ask-action per form slot (Rasa looks them up by name); the wording comes from knowledge/screening.yml.
SCREENING_SLOTS = (
    "screen_red_flags",
    "screen_heart",
    "screen_illness",
    "screen_surgery",
    "screen_back_pain",
    "screen_knees",
    "screen_balance",
    "screen_pregnancy",
)
ASK_ACTIONS = [_ask_action(slot) for slot in SCREENING_SLOTS]
