"""Replies outside a guided session: greeting, safety, recommendations, explanations, FAQ, chat."""

from __future__ import annotations

from typing import Iterable, List, Optional

from coach.dialogue.context import TurnContext
from coach.safety.triage import Decision
from coach.wording import exercise_card, find_country, recommendation_reply, safety_reply

MENU = ("button_suggest_stretch", "button_start_session", "button_what_can_you_do")
MENU_PAYLOADS = {
    "button_suggest_stretch": "/ask_recommendation",
    "button_start_session": "/start_session",
    "button_what_can_you_do": "/ask_capabilities",
}


def menu(ctx: TurnContext, items: Iterable[str] = MENU) -> List[tuple]:
    return [(ctx.words(item), MENU_PAYLOADS[item]) for item in items]


def say_safety(ctx: TurnContext, decision: Optional[Decision] = None) -> None:
    """Fixed safety wording, the action first, with its machine-readable payload."""
    decision = decision or ctx.decision
    text = safety_reply(ctx.kb, decision, ctx.profile())
    said = routine_stop_key(decision)
    if said is not None and said == ctx.said_before and decision.messages:
        text = ctx.words("safety_still_stands", advice=_first_sentence(decision.messages[0]))
    ctx.state.last_stop = said
    if decision.about == "someone_else" and decision.stops_coaching:
        extra = ctx.words("someone_else_emergency") if decision.urgency in ("emergency", "urgent", "crisis") else ""
        text = "\n\n".join(t for t in (extra or ctx.words("someone_else"), text if extra else "") if t)
    if decision.stretch and decision.outcome.value == "STOP-STRETCH":
        text = "\n\n".join(t for t in (stretch_symptom_text(ctx, decision), text) if t)
    ctx.say(text or None, custom=decision.payload())


def routine_stop_key(decision: Decision) -> Optional[str]:
    """A referral or deferral about the user, named by outcome and rules; None for anything else.
    Emergency, urgent and crisis wording is fixed and said in full every time."""
    if decision.urgency != "routine" or decision.about == "someone_else":
        return None
    return f"{decision.outcome.value}:{','.join(sorted(decision.rule_ids))}"


def _first_sentence(message: str) -> str:
    """The advice's first sentence, as said before: 'That sounds like a fresh injury, so ...'."""
    end = next(
        (i + 1 for i, ch in enumerate(message) if ch in ".!?" and message[i + 1 : i + 2] in (" ", "")), len(message)
    )
    return message[:end].strip()


def stretch_symptom_text(ctx: TurnContext, decision: Decision) -> str:
    """A symptom in a named stretch, told outside a session: stop it, the gentler option, when to get checked."""
    stretch = ctx.coach.catalog.get(decision.stretch).name.lower() if decision.stretch else "stretch"
    alternative = gentler_option(ctx, decision.stretch, decision)
    first = (
        ctx.words("stretch_symptom_alternative", stretch=stretch, alternative=alternative)
        if alternative
        else ctx.words("stretch_symptom_no_alternative", stretch=stretch)
    )
    return f"{first} {ctx.words('stretch_symptom_get_checked')}"


def gentler_option(ctx: TurnContext, exercise_id: Optional[str], decision: Decision) -> Optional[str]:
    """The first regression (or the gentlest fitting stretch) this user may do, by name."""
    catalog = ctx.coach.catalog
    candidates = list(catalog.get(exercise_id).regressions) if exercise_id else []
    candidates += [ex.id for ex in catalog.query(excluded=decision.excluded, cautious=True)]
    for candidate in candidates:
        if candidate != exercise_id and candidate not in decision.excluded:
            return catalog.get(candidate).name.lower()
    return None


def greet(ctx: TurnContext) -> None:
    state = ctx.coach.sessions.get(ctx.sender)
    if state is not None and not state.finished:
        # Back after a break or a server restart (timers are lost then): offer to carry on.
        step = state.current
        where = f"the {step.side} side of " if step.side else ""
        name = ctx.coach.catalog.get(step.exercise_id).name.lower()
        ctx.say(
            ctx.words("welcome_back", where=where, name=name),
            buttons=[(ctx.words("button_carry_on"), "/resume"), (ctx.words("button_stop_session"), "/stop_session")],
            custom={**step.payload(), "paused": True},
        )
        return
    text = f"{ctx.words('greeting')}\n\n{ctx.kb.texts.disclaimer}\n\n{ctx.words('greeting_question')}"
    ctx.say(
        text,
        buttons=[
            (ctx.words("button_tight_from_sitting"), "my hip flexors are tight from sitting all day"),
            (ctx.words("button_suggest_stretch"), "/ask_recommendation"),
            (ctx.words("button_what_can_you_do"), "/ask_capabilities"),
        ],
    )


def recommend(ctx: TurnContext) -> None:
    """Symptoms, limits, disclosures, goals and 'what should I do?' all end here."""
    goals = [g for g in ctx.turn.entities.get("goal") or [] if isinstance(g, str)]
    ctx.coach.remember_goals(ctx.sender, goals)
    give_recommendation(ctx, goals)


def give_recommendation(ctx: TurnContext, goals=(), decision: Optional[Decision] = None) -> None:
    decision = decision or ctx.decision
    if decision.messages:
        say_safety(ctx, decision)  # cautions and advice first
    rec = ctx.coach.recommend(ctx.sender, decision, tags=list(goals))
    payload = rec.payload()
    payload["safety"] = decision.payload()
    buttons = []
    if rec.picks:
        first = rec.picks[0].name.lower()
        buttons = [
            (ctx.words("button_start_session"), "/start_session"),
            (ctx.words("button_how_do_i", name=first), f"how do I do the {first}?"),
        ]
    ctx.say(recommendation_reply(ctx.kb, rec), buttons=buttons, custom=payload)


def exercise_info(ctx: TurnContext) -> None:
    c = ctx.coach
    names = [v for v in ctx.turn.entities.get("exercise") or [] if isinstance(v, str)]
    names.append(ctx.turn.text)
    exercise = next((ex for ex in map(c.catalog.find, names) if ex), None)
    if exercise is None:
        known = ", ".join(ex.name.lower() for ex in c.kb.exercises.values())
        ctx.say(ctx.words("which_stretch", known=known))
        return
    reason = ctx.decision.excluded.get(exercise.id)
    custom = {
        "type": "exercise",
        "id": exercise.id,
        "name": exercise.name,
        "excluded": bool(reason),
        "hold_seconds": exercise.hold_seconds.dict(),
        "reps_per_side": exercise.reps_per_side,
        "per_side": exercise.per_side,
        "sources": exercise.sources,
    }
    if reason:
        # An excluded stretch is never taught step by step: say why, and what to do instead.
        alternative = gentler_option(ctx, exercise.id, ctx.decision)
        custom["alternative"] = next((ex.id for ex in c.kb.exercises.values() if ex.name.lower() == alternative), None)
        instead = (
            ctx.words("exercise_excluded_instead", alternative=alternative)
            if alternative
            else ctx.words("exercise_excluded_no_alternative")
        )
        ctx.say(f"{ctx.words('exercise_excluded_intro', reason=reason)} {instead}", custom=custom)
        return
    ctx.say(exercise_card(ctx.kb, exercise), custom=custom)


def faq(ctx: TurnContext) -> None:
    entry = ctx.coach.faq_for_intent(ctx.turn.intent)
    if entry is None:
        not_understood(ctx)
        return
    ctx.say(entry.answer, custom={"type": "faq", "id": entry.id, "sources": entry.sources})


def set_country(ctx: TurnContext) -> None:
    names = [n for n in ctx.turn.entities.get("country") or [] if isinstance(n, str)] or [ctx.turn.text]
    c = ctx.coach
    country = next((found for found in (c.set_country(ctx.sender, n) for n in names) if found), None)
    if country is None:
        listed = ", ".join(e.country for e in c.kb.emergency_numbers)
        ctx.say(ctx.words("country_unknown", listed=listed))
        return
    entry = find_country(c.kb, country)
    assert entry is not None
    ctx.say(
        ctx.words(
            "country_numbers", country=country, emergency=entry.emergency, urgent=entry.urgent, crisis=entry.crisis
        )
    )


def chitchat(reply_id: str, with_menu: bool = False):
    def handler(ctx: TurnContext) -> None:
        ctx.say(ctx.words(reply_id), buttons=menu(ctx) if with_menu else ())

    handler.__name__ = f"say_{reply_id}"
    return handler


def disclaimer(ctx: TurnContext) -> None:
    ctx.say(ctx.kb.texts.disclaimer)


def not_understood(ctx: TurnContext) -> None:
    ctx.say(ctx.words("not_understood"), buttons=menu(ctx))


def start_over(ctx: TurnContext) -> None:
    ctx.say(ctx.words("start_over"))
    ctx.result.restart = True


def check_in(ctx: TurnContext) -> None:
    """Yes/no, take-backs and 'ouch' with nothing waiting for an answer."""
    if ctx.turn.intent == "report_pain":
        ctx.say(ctx.kb.texts.pain_rule)
        return
    if ctx.decision.messages:
        say_safety(ctx)
    ctx.say(
        ctx.words("check_in_nothing_pending"), buttons=menu(ctx, ("button_suggest_stretch", "button_start_session"))
    )
