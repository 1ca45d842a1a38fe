"""Greeting, safety replies, recommendations, exercise explanations and FAQ answers."""

from __future__ import annotations

from typing import Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import coach, entity_values, intent_name, say_safety, turn_decision
from coach.kb.schema import Outcome
from coach.wording import exercise_card, recommendation_reply

GREETING = "Hi, I'm Psoas Coach. I help you loosen tight hip flexors with stretches that suit your body, explained step by step, and I can guide you through a timed session."


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        decision = turn_decision(tracker)
        if decision.stops_coaching:
            say_safety(dispatcher, tracker, decision)
            return []
        state = coach().sessions.get(tracker.sender_id)
        if state is not None and not state.finished:
            # Back after a break or a server restart (timers are lost then): offer to carry on.
            step = state.current
            where = f"the {step.side} side of " if step.side else ""
            name = coach().catalog.get(step.exercise_id).name.lower()
            dispatcher.utter_message(
                text=f"Welcome back! We were on {where}the {name}. Shall we carry on?",
                buttons=[
                    {"title": "Carry on", "payload": "/resume"},
                    {"title": "Stop the session", "payload": "/stop_session"},
                ],
                json_message={**step.payload(), "paused": True},
            )
            return [SlotSet("session_active", True)]
        dispatcher.utter_message(
            text=f"{GREETING}\n\n{coach().kb.texts.disclaimer}\n\nHow are your hips feeling today?",
            buttons=[
                {"title": "Tight from sitting", "payload": "my hip flexors are tight from sitting all day"},
                {"title": "Suggest a stretch", "payload": "/ask_recommendation"},
                {"title": "What can you do?", "payload": "/ask_capabilities"},
            ],
        )
        return []


class ActionDisclaimer(Action):
    def name(self) -> str:
        return "action_disclaimer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        dispatcher.utter_message(text=coach().kb.texts.disclaimer)
        return []


class ActionSafetyAlert(Action):
    """A red flag in any message, whatever else was going on: fixed wording, action first."""

    def name(self) -> str:
        return "action_safety_alert"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        decision = turn_decision(tracker)
        if decision.stops_coaching:
            say_safety(dispatcher, tracker, decision)
            return []  # the safety hook has already ended any running session
        if decision.clarify:
            say_safety(dispatcher, tracker, decision)  # the rules' own, more specific question
            return []
        # Only the learned classifier suspected a red flag: it may ask, never decide.
        texts = coach().kb.texts
        dispatcher.utter_message(
            text=texts.red_flag_check,
            buttons=[{"title": o.title, "payload": o.says} for o in texts.red_flag_check_options],
            json_message={
                "type": "screening_question",
                "id": "red_flag_check",
                "options": [o.title for o in texts.red_flag_check_options],
            },
        )
        return []


class ActionCheckIn(Action):
    """Short answers outside a form or session: take-backs, yes/no, 'ouch' with no stretch running."""

    def name(self) -> str:
        return "action_check_in"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        decision = turn_decision(tracker)
        if decision.coaching_waits:
            say_safety(dispatcher, tracker, decision)
            return []
        if intent_name(tracker) == "report_pain":
            dispatcher.utter_message(text=coach().kb.texts.pain_rule)
            return []
        if decision.outcome is Outcome.CAUTION and decision.messages:
            say_safety(dispatcher, tracker, decision)
        dispatcher.utter_message(
            text="Okay. What would you like to do next?",
            buttons=[
                {"title": "Suggest a stretch", "payload": "/ask_recommendation"},
                {"title": "Start a guided session", "payload": "/start_session"},
            ],
        )
        return []


class ActionSetCountry(Action):
    def name(self) -> str:
        return "action_set_country"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        names = entity_values(tracker, "country") or [tracker.latest_message.get("text", "")]
        c = coach()
        country = next((found for found in (c.set_country(tracker.sender_id, n) for n in names) if found), None)
        if country is None:
            listed = ", ".join(e.country for e in c.kb.emergency_numbers)
            dispatcher.utter_message(
                text=f"I don't have local numbers for that place yet. I know: {listed}. In an emergency, call your local emergency number."
            )
            return []
        entry = next(e for e in c.kb.emergency_numbers if e.country == country)
        dispatcher.utter_message(
            text=f"Thanks. In {country}: emergencies {entry.emergency}; urgent advice {entry.urgent}; crisis support {entry.crisis}."
        )
        decision = turn_decision(tracker)
        if decision.stops_coaching:
            say_safety(dispatcher, tracker, decision)
        return []


def reply_with_recommendation(dispatcher: CollectingDispatcher, tracker: Tracker, decision, goals=()) -> None:
    """Safety first (stop, or ask the one clarifying question), otherwise suggestions with reasons."""
    c = coach()
    if decision.coaching_waits:
        say_safety(dispatcher, tracker, decision)
        return
    if decision.messages:
        say_safety(dispatcher, tracker, decision)
    rec = c.recommend(tracker.sender_id, decision, tags=list(goals))
    payload = rec.payload()
    payload["safety"] = decision.payload()
    buttons = []
    if rec.picks:
        first = rec.picks[0].name
        buttons = [
            {"title": "Start a guided session", "payload": "/start_session"},
            {"title": f"How do I do the {first.lower()}?", "payload": f"how do I do the {first.lower()}?"},
        ]
    dispatcher.utter_message(text=recommendation_reply(c.kb, rec), buttons=buttons, json_message=payload)


class ActionRecommend(Action):
    """Symptoms, limits, disclosures, goals and 'what should I do?' all end here."""

    def name(self) -> str:
        return "action_recommend"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        goals = [g for g in entity_values(tracker, "goal") if isinstance(g, str)]
        coach().remember_goals(tracker.sender_id, goals)
        reply_with_recommendation(dispatcher, tracker, turn_decision(tracker), goals)
        return []


class ActionAnswerClarify(Action):
    """Applies a button answer to a clarifying question, then carries on with fresh advice."""

    def name(self) -> str:
        return "action_answer_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        c = coach()
        about = next(iter(entity_values(tracker, "clarify_about")), None)
        answer = next(iter(entity_values(tracker, "clarify_answer")), None)
        text = tracker.latest_message.get("text") or ""
        if not c.answer_question(tracker.sender_id, about, answer, text):
            dispatcher.utter_message(
                text="Sorry, I couldn't tell which question that answers. Tap one of the buttons above, or tell me in a few words."
            )
            return []
        decision = c.standing(tracker.sender_id)
        if not decision.stops_coaching:
            dispatcher.utter_message(text="Thanks, that helps.")
        reply_with_recommendation(dispatcher, tracker, decision)
        return []


class ActionExerciseInfo(Action):
    def name(self) -> str:
        return "action_exercise_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        c = coach()
        decision = turn_decision(tracker)
        if decision.stops_coaching:
            say_safety(dispatcher, tracker, decision)
            return []
        names = [v for v in entity_values(tracker, "exercise") if isinstance(v, str)]
        names.append(tracker.latest_message.get("text") or "")
        exercise = next((ex for ex in map(c.catalog.find, names) if ex), None)
        if exercise is None:
            known = ", ".join(ex.name.lower() for ex in c.kb.exercises.values())
            dispatcher.utter_message(text=f"Which stretch do you mean? I can explain: {known}.")
            return []
        text = exercise_card(exercise)
        reason = decision.excluded.get(exercise.id)
        if reason:
            text = f"A word first: I'd skip this one for you, because {reason}.\n\n{text}"
        dispatcher.utter_message(
            text=text,
            json_message={
                "type": "exercise",
                "id": exercise.id,
                "name": exercise.name,
                "excluded": bool(reason),
                "hold_seconds": exercise.hold_seconds.dict(),
                "reps_per_side": exercise.reps_per_side,
                "per_side": exercise.per_side,
                "sources": exercise.sources,
            },
        )
        return [SlotSet("exercise", exercise.id)]


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        decision = turn_decision(tracker)
        if decision.stops_coaching:
            say_safety(dispatcher, tracker, decision)
            return []
        entry = coach().faq_for_intent(intent_name(tracker))
        if entry is None:
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(
            text=entry.answer, json_message={"type": "faq", "id": entry.id, "sources": entry.sources}
        )
        return []
