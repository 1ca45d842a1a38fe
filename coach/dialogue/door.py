"""The one door every turn goes through.

For each user message, in this order:
1. the safety rules judge it, once, against everything the user said before
   (Coach.observe); a stop-level decision is answered first and ends what was going on;
2. a button from an earlier question is recognised as stale;
3. a question waiting for an answer is answered (buttons or free text), or the message is a
   digression (a question of the user's own) that is answered before the question is put
   again in other words, or it is a miss: the coach says what it needs, and after a second
   miss takes the cautious reading instead of asking a third time;
4. a new question the rules need (CLARIFY) is asked, and what the user asked for is kept as
   the goal to carry on with once it is answered;
5. the message is handled by the handler its intent names (DISPATCH).
A timer (pushed session cue) goes straight to the session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, Optional

from coach.dialogue import coaching, questions, screening, sessions
from coach.dialogue import progress as progress_talk
from coach.dialogue import reminder_prefs as prefs_talk
from coach.dialogue import reminders as reminder_talk
from coach.dialogue.context import TurnContext
from coach.dialogue.model import Turn, TurnResult
from coach.dialogue.state import Goal
from coach.kb.schema import Outcome, reference_rule
from coach.privacy import dialogue as privacy
from coach.safety.findings import Finding
from coach.safety.triage import Decision
from coach.time_phrases import minutes_in

if TYPE_CHECKING:
    from coach.service import Coach

Handler = Callable[[TurnContext], None]

# A message with one of these intents while a question waits is the user's own question or
# request, not an attempt to answer: it is answered, then the question is put again.
DIGRESSIONS = {
    "greet", "ask_capabilities", "bot_challenge", "ask_disclaimer", "ask_exercise_info", "inform_country",
    "faq_what_is_psoas", "faq_why_tight_from_sitting", "faq_hold_time", "faq_frequency", "faq_glute_squeeze",
    "faq_before_or_after_exercise", "faq_back_pain", "faq_pain_rule", "time_left",
    *privacy.INTENTS,
}  # fmt: skip
# Requests worth coming back to after a question: kept as the goal.
GOALS = {
    "ask_recommendation", "describe_symptom", "inform_limitation", "disclose_condition", "state_goal",
    "start_session", "ask_exercise_info", "change_exercise", "make_easier", "make_harder",
    "faq_what_is_psoas", "faq_why_tight_from_sitting", "faq_hold_time", "faq_frequency", "faq_glute_squeeze",
    "faq_before_or_after_exercise", "faq_back_pain", "faq_pain_rule",
}  # fmt: skip
ALERT_INTENT = "safety_alert"
STICKY_OUTCOMES = {"EMERGENCY", "CRISIS", "URGENT"}
# What the classifier says of a message it cannot place: when the rules found the user telling
# something about their own body in it, that is what the message is.
NOT_FOR_US = {"out_of_scope", "nlu_fallback"}
# Replies to a question; with none waiting they say little on their own.
RESPONSES = {"affirm", "deny", "answer", "retract", ALERT_INTENT}


def start_session(ctx: TurnContext) -> None:
    if screening.start(ctx):
        ctx.state.goal = Goal("start_session")
        return
    if ctx.state.question is None:  # screening.start may have ended in a question the rules need
        sessions.begin(ctx)


def faq_or_menu(ctx: TurnContext) -> None:
    coaching.faq(ctx)


def session_words(ctx: TurnContext) -> None:
    sessions.no_session(ctx)


DISPATCH: Dict[str, Handler] = {
    "greet": coaching.greet,
    "goodbye": coaching.chitchat("goodbye"),
    "thank": coaching.chitchat("you_are_welcome"),
    "ask_capabilities": coaching.chitchat("capabilities", with_menu=True),
    "bot_challenge": coaching.chitchat("i_am_a_bot"),
    "out_of_scope": coaching.chitchat("out_of_scope", with_menu=True),
    "ask_disclaimer": coaching.disclaimer,
    "start_over": coaching.start_over,
    "nlu_fallback": coaching.not_understood,
    "inform_country": prefs_talk.inform_country,  # the country, and a moved time zone
    "ask_exercise_info": coaching.exercise_info,
    "start_session": start_session,
    "affirm": coaching.check_in,
    "deny": coaching.check_in,
    "retract": coaching.check_in,
    "answer": coaching.check_in,  # an answer button with no question waiting
    "safety_alert": coaching.check_in,  # the rules found nothing that needs saying
    **{
        intent: coaching.recommend
        for intent in (
            "describe_symptom",
            "inform_limitation",
            "disclose_condition",
            "state_goal",
            "ask_recommendation",
            "change_exercise",
            "make_easier",
            "make_harder",
        )
    },  # fmt: skip
    **{intent: faq_or_menu for intent in DIGRESSIONS if intent.startswith("faq_")},
    **{intent: session_words for intent in sessions.SESSION_WORDS},
    # Progress and reminders (coach/dialogue/progress.py, coach/dialogue/reminders.py).
    "ask_progress": progress_talk.how_am_i_doing,
    **reminder_talk.HANDLERS,
    **prefs_talk.HANDLERS,  # the time zone and quiet hours (coach/dialogue/reminder_prefs.py)
    # the user's data (coach/privacy/dialogue.py)
    "consent_give": privacy.give,
    "consent_refuse": privacy.refuse,
    "ask_my_data": privacy.my_data,
    "export_data": privacy.export_data,
    "forget_me": privacy.forget_me,
}


class Conversation:
    def __init__(self, coach: Coach):
        self.coach = coach

    def handle(self, turn: Turn) -> TurnResult:
        # A user who has not said the coach may remember them works on the conversation only.
        c = privacy.view_for(self.coach, turn)
        state = c.conversations.get(turn.sender)
        ctx = TurnContext(c, turn, state, TurnResult(), Decision())
        if turn.timer is not None:
            if turn.timer.token == reminder_talk.TIMER_TOKEN:  # a reminder the scheduler delivered
                reminder_talk.on_due(ctx)
            else:
                sessions.on_timer(ctx)
            return self._finish(ctx, save=False)
        self._note_time(ctx)
        ctx.said_before, state.last_stop = state.last_stop, None
        running = sessions.current(ctx)
        if self._fresh_button(ctx):
            # A button of the question waiting carries a structured answer and no new words to
            # judge: applied first, even while a stop-level flag is in force (its "No" button).
            pressed = questions.button_answer(turn)
            assert pressed is not None
            ctx.decision = c.standing(turn.sender, today=turn.today)
            privacy.before(ctx)
            self._apply(ctx, pressed[0], pressed[1])
            privacy.after(ctx, running=sessions.current(ctx) is not None)
            return self._finish(ctx)
        ctx.decision = c.observe(turn.sender, turn.findings, in_session=running is not None, today=turn.today)
        privacy.before(ctx)
        self._their_alert(ctx)
        if ctx.decision.stops_coaching and not privacy.answers_anyway(ctx) and not self._lifting_deferral(ctx):
            self._stop(ctx, running)
        elif not self._answers_question(ctx):
            self._new_request(ctx, running)
        privacy.after(ctx, running=sessions.current(ctx) is not None)
        return self._finish(ctx)

    @staticmethod
    def _finish(ctx: TurnContext, save: bool = True) -> TurnResult:
        """Keeps the conversation's working memory (never after "forget me") and hands the
        conversation-only memory back to the adapter. ctx.coach may have changed stores this turn
        (consent given or withdrawn)."""
        if save and not ctx.result.forget:
            ctx.coach.conversations.save(ctx.sender, ctx.state)
        ctx.result.memory = privacy.memory_out(ctx.coach)
        return ctx.result

    # -- 1. a decision that stops coaching ---------------------------------------------------------
    def _stop(self, ctx: TurnContext, running) -> None:
        decision = ctx.decision
        if running is not None and decision.outcome is Outcome.STOP_STRETCH:
            sessions.control_with(ctx, running, sessions.stop_stretch)
            return
        if running is not None and decision.ends_session:
            ctx.coach.end_session(ctx.sender)
            sessions.stop_timers(ctx, running)
            ctx.coach.sessions.save(ctx.sender, running)
        if decision.ends_session or decision.outcome is Outcome.OUT_OF_SCOPE:
            ctx.state.questions, ctx.state.goal, ctx.state.screening = [], None, None
        if ctx.turn.intent == "inform_country":
            # "I'm in the UK" after an emergency: the local numbers are exactly what is needed now.
            coaching.set_country(ctx)
        retraction = self._retraction_question(ctx)
        coaching.say_safety(ctx)
        if retraction is not None:
            # A take-back ("jk") gets one specific confirming question, with buttons; only its
            # "No" button or a specific denial in words lifts the flag.
            assert decision.clarify is not None  # a retraction is found only for a "flag:" question
            question = ctx.state.ask(decision.clarify)
            ctx.result.replies.append(questions.render(ctx.kb, question, prefix=retraction))

    @staticmethod
    def _lifting_deferral(ctx: TurnContext) -> bool:
        """ "It's much better now, walking is fine" while a fresh injury defers coaching: what the
        deferral asked to hear back. The confirming question comes first (_new_request), not the
        deferral again; its yes lets the standing decision be worked out afresh."""
        decision, waiting = ctx.decision, ctx.state.question
        asked = waiting is not None and waiting.id.startswith("update:")  # its answer is this message
        return decision.outcome is Outcome.DEFER and (bool(decision.updates) or asked)

    @staticmethod
    def _retraction_question(ctx: TurnContext) -> Optional[str]:
        """Takes the confirming question out of the safety wording, to ask it as a question."""
        decision = ctx.decision
        clarify = decision.clarify or ""
        if not clarify.startswith("flag:"):
            return None
        rule = ctx.kb.red_flags.get(clarify.partition(":")[2])
        if rule is None:
            return None
        text = ctx.kb.texts.retraction_question.format(flag=rule.title.lower())
        if text not in decision.messages:
            return None
        decision.messages = [m for m in decision.messages if m != text]
        return text

    @staticmethod
    def _their_alert(ctx: TurnContext) -> None:
        """Someone else's emergency stays this conversation's answer ("what do I do?", "he's
        breathing but not talking") until the conversation starts over."""
        decision, state = ctx.decision, ctx.state
        sticky = [
            r
            for r in decision.rule_ids
            if r in ctx.kb.red_flags and ctx.kb.red_flags[r].outcome.value in STICKY_OUTCOMES
        ]
        if decision.about == "someone_else" and sticky:
            state.their_alert = state.their_alert or sticky[0]
            return
        # More news of them ("he's talking but in a lot of pain") is someone else's health, SC1,
        # which must not replace their emergency either.
        about_them = decision.outcome is Outcome.OUT_OF_SCOPE and decision.about == "someone_else"
        if state.their_alert and (not decision.stops_coaching or about_them) and state.their_alert in ctx.kb.red_flags:
            rule = ctx.kb.red_flags[state.their_alert]
            ctx.decision = Decision(
                outcome=rule.outcome, rule_ids=[rule.id], messages=[rule.message], about="someone_else"
            )

    @staticmethod
    def _fresh_button(ctx: TurnContext) -> bool:
        pressed = questions.button_answer(ctx.turn)
        pending = ctx.state.question
        return (
            pressed is not None
            and pending is not None
            and pressed[0] == pending.id
            and (pressed[2] is None or pressed[2] == pending.token)
        )

    # -- 2 and 3. the question waiting for an answer -----------------------------------------------
    def _answers_question(self, ctx: TurnContext) -> bool:
        """True when this turn was about the waiting question (answered, stale, or a miss)."""
        pressed = questions.button_answer(ctx.turn)
        pending = ctx.state.question
        if pressed is not None:
            question_id, answer, token = pressed
            if pending is None or pending.id != question_id or (token and token != pending.token):
                ctx.say(ctx.words("question_stale_button"))
                if pending is not None:
                    self._reask(ctx, "question_back_to")
                return True
            self._apply(ctx, question_id, answer)
            return True
        if pending is None:
            return False
        if ctx.turn.intent in DIGRESSIONS and questions.interpret(ctx.kb, pending.id, ctx.turn) is None:
            return False  # answered in _new_request, then the question is put again
        if ctx.turn.intent == "stop_session" and ctx.state.screening is not None:
            ctx.state.questions, ctx.state.goal, ctx.state.screening = [], None, None
            ctx.say(ctx.words("screening_stopped"))
            return True
        if ctx.turn.intent == "start_over":
            return False
        typed = questions.interpret(ctx.kb, pending.id, ctx.turn)
        if typed is not None:
            self._apply(ctx, pending.id, typed)
            return True
        # A new disclosure the rules must ask about comes first; the old question waits under it.
        if ctx.decision.outcome is Outcome.CLARIFY and ctx.decision.clarify not in (None, pending.id):
            return False
        pending.misses += 1
        if pending.misses >= 2:
            spec = questions.spec(ctx.kb, pending.id)
            assert spec is not None
            alarm = questions.alarm_rule(ctx.kb, pending.id)
            if alarm is not None:
                self._leave_open(ctx, pending.id, spec, alarm)
                return True
            ctx.say(ctx.words("question_cautious_reading", reading=spec.reading))
            self._apply(ctx, pending.id, spec.cautious, thank=False)
        else:
            self._reask(ctx, "question_again")
        return True

    @staticmethod
    def _leave_open(ctx: TurnContext, question_id: str, spec: questions.Spec, alarm) -> None:
        """Two replies that answer nothing, to a question whose yes is an emergency: nothing is
        assumed either way. The question and the session it guarded are dropped (asked again only
        when the user asks for a session again), and the rule's fixed wording is the safety net."""
        ctx.state.answered(question_id)
        ctx.state.goal, ctx.state.screening = None, None
        ctx.say(
            ctx.words("question_left_open", question=spec.text, if_yes=alarm.message),
            buttons=coaching.menu(ctx, ("button_start_session",)),
            custom={"type": "question_left_open", "id": question_id, "flags": [reference_rule(alarm.id)]},
        )

    def _reask(self, ctx: TurnContext, how: str) -> None:
        """The waiting question again, in other words (never the same message twice in a row)."""
        pending = ctx.state.question
        assert pending is not None
        spec = questions.spec(ctx.kb, pending.id)
        assert spec is not None
        pending.token = questions.PendingQuestion(pending.id).token
        words = (
            ctx.words("question_again", needs=spec.needs, question=spec.text)
            if how == "question_again"
            else ctx.words("question_back_to", question=spec.text)
        )
        ctx.result.replies.append(questions.render(ctx.kb, pending, prefix=words))

    def _ask(self, ctx: TurnContext, question_id: str) -> None:
        question = ctx.state.ask(question_id)
        ctx.result.replies.append(questions.render(ctx.kb, question))

    def _apply(self, ctx: TurnContext, question_id: str, answer: str, thank: bool = True) -> None:
        """Applies an answer, then carries on: the next question, or what the user asked for."""
        c = ctx.coach
        spec = questions.spec(ctx.kb, question_id)
        ctx.state.answered(question_id)
        if spec is None:
            self._carry_on(ctx)
            return
        if answer == questions.UNSURE and spec.kind is not questions.Kind.CHECKLIST:
            ctx.say(ctx.words("question_cautious_reading", reading=spec.reading))
            answer, thank = spec.cautious, False
        kind = spec.kind
        if kind is questions.Kind.SCREENING:
            if answer not in ("yes", "no"):
                answer = spec.cautious
            if screening.record(ctx, question_id, answer == "yes"):
                return
            if screening.finish(ctx):
                ctx.state.goal = None
                sessions.begin(ctx)
            else:
                self._after_stop_or_question(ctx)
            return
        if kind is questions.Kind.CHECKLIST:
            self._apply_checklist(ctx, answer)
            return
        if kind is questions.Kind.UPDATE:
            self._apply_update(ctx, question_id, answer)
            return
        if kind is questions.Kind.STILL:
            # "Last time you said you can't kneel. Still true?": a no forgets it, as an update does.
            self._apply_update(ctx, question_id, "no" if answer == "yes" else "yes")
            return
        if kind is questions.Kind.CONFIRM:
            privacy.confirmed(ctx, answer)
            return
        c.apply_answer(ctx.sender, question_id, answer)
        decision = c.standing(ctx.sender)
        if decision.stops_coaching:
            ctx.state.goal = None
            coaching.say_safety(ctx, decision)
            return
        if thank:
            ctx.say(ctx.words("answer_thanks"))
        self._carry_on(ctx)

    def _apply_checklist(self, ctx: TurnContext, answer: str) -> None:
        c = ctx.coach
        option = next(
            (o for o in ctx.kb.texts.red_flag_check_options if questions.checklist_value(o.means) == answer), None
        )
        if option is not None and option.means:
            findings = [Finding("concept", concept, option.title) for concept in option.means]
            decision = c.observe(ctx.sender, findings)
            if decision.stops_coaching:
                ctx.state.goal = None
                coaching.say_safety(ctx, decision)
                return
        if answer == questions.UNSURE:
            spec = questions.spec(ctx.kb, "red_flag_check")
            assert spec is not None
            ctx.say(f"{ctx.words('question_cautious_reading', reading=spec.reading)}\n\n{ctx.kb.texts.safety_net}")
        self._carry_on(ctx)

    def _apply_update(self, ctx: TurnContext, question_id: str, answer: str) -> None:
        keys = question_id.partition(":")[2].split("+")
        if answer == "yes":
            for key in keys:
                ctx.coach.forget(ctx.sender, key)
            ctx.say(ctx.words("update_done"))
        else:
            ctx.say(ctx.words("update_kept"))
        self._carry_on(ctx)

    def _after_stop_or_question(self, ctx: TurnContext) -> None:
        decision = ctx.coach.standing(ctx.sender)
        if decision.stops_coaching:
            ctx.state.goal = None
        elif decision.clarify:
            self._ask(ctx, decision.clarify)

    def _carry_on(self, ctx: TurnContext) -> None:
        """Once a question is answered: the next question the rules need, a question that was
        waiting underneath, or what the user asked for in the first place."""
        decision = ctx.coach.standing(ctx.sender)
        ctx.decision = decision
        if decision.stops_coaching:
            # "No, it hasn't settled": the deferral stands, and no recommendation comes after it.
            ctx.state.goal = None
            coaching.say_safety(ctx)
            return
        if decision.clarify and not any(q.id == decision.clarify for q in ctx.state.questions):
            self._ask(ctx, decision.clarify)
            return
        if ctx.state.question is not None:
            if ctx.state.screening is not None and ctx.state.question.id.startswith("screen_"):
                screening.ask_next(ctx, prefix=ctx.words("screening_noted"))
            else:
                self._reask(ctx, "question_back_to")
            return
        goal, ctx.state.goal = ctx.state.goal, None
        if goal is None:
            coaching.give_recommendation(ctx)
            return
        ctx.turn.intent, ctx.turn.entities = goal.intent, goal.entities
        if goal.intent == "resume":
            running = sessions.current(ctx)
            if running is not None:
                sessions.control_with(ctx, running, sessions.on_resume)
                return
            coaching.give_recommendation(ctx)
            return
        DISPATCH.get(goal.intent, coaching.recommend)(ctx)

    # -- 4 and 5. a new request -------------------------------------------------------------------
    def _new_request(self, ctx: TurnContext, running) -> None:
        turn, decision, state = ctx.turn, ctx.decision, ctx.state
        waiting = state.question
        if (
            decision.outcome is Outcome.CLARIFY
            and decision.clarify
            and (waiting is None or waiting.id != decision.clarify)
        ):
            if running is not None:
                sessions.control_with(ctx, running, sessions.on_pause_quietly)
                state.goal = Goal("resume")
            elif turn.intent in GOALS:
                state.goal = Goal(turn.intent, dict(turn.entities))
            coaching.say_safety(ctx)
            self._ask(ctx, decision.clarify)
            return
        if decision.updates and (waiting is None or not waiting.id.startswith("update:")):
            if turn.intent in GOALS:
                state.goal = Goal(turn.intent, dict(turn.entities))
            self._ask(ctx, "update:" + "+".join(decision.updates))
            return
        vague = ctx.coach.triage.checklist_triggers
        flagged = any(r in ctx.kb.red_flags for r in decision.rule_ids)
        if waiting is None and not flagged and any(f.id in vague and f.about_user_now for f in turn.findings):
            # Something close to a red flag, too vague to decide on: the checklist first, the request after.
            alternative = next((i for i in turn.alternatives if i in GOALS), None)
            goal = turn.intent if turn.intent in GOALS else alternative
            state.goal = Goal(goal or "ask_recommendation", dict(turn.entities))
            self._ask(ctx, "red_flag_check")
            return
        if turn.intent == ALERT_INTENT and not decision.rule_ids:
            if self._could_be_red_flag(turn, ctx.coach.triage.red_flag_vocabulary):
                fallback = next((i for i in turn.alternatives if i in GOALS), None)
                if fallback:
                    state.goal = Goal(fallback, dict(turn.entities))
                self._ask(ctx, "red_flag_check")
                return
            turn.intent = next((i for i in turn.alternatives if i != ALERT_INTENT), "nlu_fallback")
        if running is not None and turn.intent in sessions.SESSION_INTENTS:
            sessions.control(ctx, running)
            return
        if waiting is None and prefs_talk.answers_pending(ctx):
            return  # before a bare yes/no is read as a request: it may answer an offer of its own
        if running is None and waiting is None and turn.intent in RESPONSES:
            # "GP said keep active. Which stretches are best?" read as an answer with no question
            # waiting: the next-best intent that is a request says what the user wants.
            turn.intent = next((i for i in turn.alternatives if i in GOALS), turn.intent)
            # They told the coach something about themselves in this message; a bare "yes" tells
            # nothing, though the profile's standing exclusions ride on every decision.
            told = any(f.about_user_now and f.kind in ("concept", "condition", "constraint") for f in turn.findings)
            if turn.intent in RESPONSES and (decision.rule_ids or decision.excluded) and told:
                turn.intent = "describe_symptom"
        if turn.intent in NOT_FOR_US and any(
            f.about_user_now and f.kind in ("lifted", "constraint", "condition") for f in turn.findings
        ):
            # "Kneeling is fine for me actually": news about their own body, which the rules read,
            # is not a request outside what the coach does; the list that follows shows it heard.
            turn.intent = "inform_limitation"
        if waiting is None and reminder_talk.answers_zone_question(ctx):
            return
        DISPATCH.get(turn.intent, coaching.not_understood)(ctx)
        if waiting is not None and state.question is waiting and turn.intent != "start_over":
            self._reask(ctx, "question_back_to")

    @staticmethod
    def _could_be_red_flag(turn: Turn, vocabulary) -> bool:
        """The learned classifier may only add a question when the message holds something a
        red flag could be made of (a symptom word of a stop-level rule, about the user)."""
        return any(f.kind == "concept" and f.id in vocabulary and f.about_user_now for f in turn.findings)

    # -- small helpers ----------------------------------------------------------------------------
    @staticmethod
    def _note_time(ctx: TurnContext) -> None:
        """Keeps the time the user says they have ("only 5 minutes"), whichever message said it;
        "hold for 15 seconds" is about holds, not their time, so only some intents count."""
        if ctx.turn.intent not in SAYS_TIME_AVAILABLE:
            return
        for value in [*(ctx.turn.entities.get("duration") or []), ctx.turn.text]:
            minutes = minutes_in(str(value))
            if minutes and minutes >= 1:
                ctx.state.minutes_available = min(minutes, MAX_MINUTES)
                return


MAX_MINUTES = 240.0
# Intents in which a duration is the time the user has for a session.
SAYS_TIME_AVAILABLE = {
    "inform_limitation", "start_session", "ask_recommendation", "state_goal", "describe_symptom", "affirm", "greet",
}  # fmt: skip


def handle(coach: Coach, turn: Turn) -> TurnResult:
    return Conversation(coach).handle(turn)
