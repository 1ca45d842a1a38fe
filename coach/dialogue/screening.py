"""The PAR-Q+-style screening before a session, as a run of questions (knowledge/screening.yml).

Questions the user has already answered in conversation, either way, are skipped; an answer
that means stop ends the screening at once; the answers are stored with their date.
"""

from __future__ import annotations

from coach.dialogue import questions
from coach.dialogue.coaching import say_safety
from coach.dialogue.context import TurnContext
from coach.dialogue.state import Screening


def start(ctx: TurnContext) -> bool:
    """Starts the screening when it is due; False when the session may begin straight away."""
    c = ctx.coach
    if not c.screening_due(ctx.sender):
        return False
    ctx.state.screening = Screening(remaining=[q.id for q in c.questions_to_ask(ctx.sender)])
    if not ctx.state.screening.remaining:
        return not finish(ctx)
    ctx.say(ctx.words("screening_intro"))
    ask_next(ctx)
    return True


def ask_next(ctx: TurnContext, prefix: str = "") -> None:
    screening = ctx.state.screening
    assert screening is not None and screening.remaining
    question = ctx.state.ask(screening.remaining[0])
    reply = questions.render(ctx.kb, question)
    if prefix:
        reply.text = f"{prefix} {reply.text}"
    ctx.result.replies.append(reply)


def record(ctx: TurnContext, question_id: str, yes: bool) -> bool:
    """Keeps one answer; True when the screening continues (the next question was asked)."""
    screening = ctx.state.screening
    if screening is None:
        return False
    screening.answers[question_id] = yes
    screening.remaining = [q for q in screening.remaining if q != question_id]
    c = ctx.coach
    decision, _ = c.triage.decide(c.screening_findings(screening.answers), c.profiles.get(ctx.sender))
    if screening.remaining and not decision.stops_coaching:
        ask_next(ctx)
        return True
    return False


def finish(ctx: TurnContext) -> bool:
    """Stores the answers and says what they mean. True when the session may start now."""
    screening = ctx.state.screening
    answers = dict(screening.answers) if screening else {}
    ctx.state.screening = None
    decision = ctx.coach.submit_screening(ctx.sender, answers)
    if decision.coaching_waits:
        say_safety(ctx, decision)
        return False
    ctx.say(ctx.words("screening_done"), custom=decision.payload())
    return True
