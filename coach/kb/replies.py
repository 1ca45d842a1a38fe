"""Every chat sentence the coach says that is not a safety rule's own wording.

The sentences live in knowledge/replies.yml (one home a reviewer can read); this registry
is the code's side of that contract: each reply id the code uses, with the placeholders its
text must carry. The loader refuses a replies file that misses an id, adds an unknown one,
or uses other placeholders, so code and wording cannot drift apart.
"""

from __future__ import annotations

import string
from typing import Dict, FrozenSet, List

REPLY_PLACEHOLDERS: Dict[str, FrozenSet[str]] = {
    name: frozenset(fields)
    for name, fields in {
        # greeting and small talk
        "greeting": (),
        "greeting_question": (),
        "button_tight_from_sitting": (),
        "button_suggest_stretch": (),
        "button_what_can_you_do": (),
        "button_start_session": (),
        "button_how_do_i": ("name",),
        "welcome_back": ("where", "name"),
        "button_carry_on": (),
        "button_stop_session": (),
        "goodbye": (),
        "you_are_welcome": (),
        "capabilities": (),
        "i_am_a_bot": (),
        "out_of_scope": (),
        "start_over": (),
        "not_understood": (),
        "check_in_nothing_pending": (),
        "country_unknown": ("listed",),
        "country_numbers": ("country", "emergency", "urgent", "crisis"),
        # questions and answers
        "question_again": ("needs", "question"),
        "question_back_to": ("question",),
        "question_cautious_reading": ("reading",),
        "question_stale_button": (),
        "answer_thanks": (),
        "needs_yes_no": (),
        "needs_when": (),
        "needs_cleared": (),
        "needs_now_or_past": (),
        "needs_checklist": (),
        "reading_yes": (),
        "reading_recent": (),
        "reading_not_cleared": (),
        "reading_now": (),
        "reading_checklist_unsure": (),
        "option_yes": (),
        "option_no": (),
        "option_not_sure": (),
        "option_recent": ("period",),
        "option_past": (),
        "option_cleared": (),
        "option_not_cleared": (),
        "option_now": (),
        "option_over": (),
        "update_question": ("what",),
        "update_done": (),
        "update_kept": (),
        # recommendations and explanations
        "recommend_intro": (),
        "recommend_left_out": ("clauses",),
        "recommend_next": ("name",),
        "which_stretch": ("known",),
        "exercise_excluded_intro": ("reason",),
        "exercise_excluded_instead": ("alternative",),
        "exercise_excluded_no_alternative": (),
        "card_set_up": (),
        "card_hold": ("default", "min", "max", "reps", "per", "rest"),
        "card_per_side": (),
        "card_in_all": (),
        "card_breathing": (),
        "card_keep_in_mind": (),
        "card_mistakes": (),
        # screening
        "screening_intro": (),
        "screening_noted": (),
        "screening_done": (),
        "screening_stopped": (),
        # guided sessions
        "preview": ("names", "hold", "length"),
        "preview_fits": ("time",),
        "preview_over": ("time",),
        "preview_hold_adjusted": ("seconds", "direction", "rating"),
        "preview_older_adult": (),
        "preview_warm_up": (),
        "preview_anything_changed": ("date",),
        "preview_move_slowly": (),
        "step_next_exercise": ("name",),
        "step_get_ready": ("where", "setup"),
        "step_hold": ("seconds", "cue", "breathing"),
        "step_halfway": ("cue",),
        "step_check_in": (),
        "step_last_seconds": (),
        "step_rest": ("seconds",),
        "step_switch_sides": (),
        "step_done": (),
        "button_ready": (),
        "button_next": (),
        "button_pause": (),
        "button_resume": (),
        "button_stop": (),
        "button_it_hurts": (),
        "button_front_of_hip": (),
        "button_lower_back": (),
        "button_nothing_much": (),
        "button_try_gentler": (),
        "session_carry_on": (),
        "session_skipping": (),
        "session_paused": (),
        "session_slower": (),
        "session_time_left": ("minutes", "seconds"),
        "session_stopped": (),
        "session_not_now": (),
        "session_feel_front": (),
        "session_stop_stretch": ("pain_rule",),
        "session_offer_gentler": ("name",),
        "session_noted": (),
        "session_left_out": ("reason",),
        "session_in_progress": (),
        "session_no_variant": ("word", "name"),
        "session_holds_changed": ("word", "seconds"),
        "session_no_holds_left": (),
        "session_rate_later": (),
        "session_switching": ("word", "name"),
        "session_none_running": (),
        "session_rate_question": (),
        "rating_thanks": ("rating", "note"),
        "rating_not_understood": (),
        "rating_shorter": (),
        "rating_longer": (),
        "rating_same": (),
        "word_easier": (),
        "word_harder": (),
        "word_shorter": (),
        "word_longer": (),
        # symptoms during a stretch, outside a session
        "stretch_symptom_alternative": ("stretch", "alternative"),
        "stretch_symptom_no_alternative": ("stretch",),
        "stretch_symptom_get_checked": (),
        # someone else
        "someone_else": (),
        "someone_else_emergency": (),
        # progress (coach/progress.py)
        "progress_none": (),
        "progress_summary": ("week", "month", "total", "minutes"),
        "progress_sessions_one": (),
        "progress_sessions_many": ("n",),
        "progress_times_one": (),
        "progress_times_many": ("n",),
        "progress_never": (),
        "progress_active_days": ("days",),
        "progress_streak": ("days",),
        "progress_welcome_back": ("date",),
        "progress_feel_up": ("before", "after"),
        "progress_feel_down": ("before", "after"),
        "progress_feel_steady": ("after",),
        "progress_feel_one": ("after",),
        "progress_side_pain": ("side", "times", "other", "other_times"),
        "progress_side_felt_little": ("side", "times", "other"),
        "progress_chart_alt": ("days", "minutes"),
        "progress_chart_title": (),
        "progress_chart_minutes": (),
        "progress_chart_rating": (),
        # reminders (coach/dialogue/reminders.py)
        "reminder_set": ("days", "time", "zone", "next"),
        "reminder_changed": ("days", "time", "zone", "next"),
        "reminder_snoozed": ("time", "zone"),
        "reminder_stopped": ("count",),
        "reminder_none_to_stop": (),
        "reminder_none": (),
        "reminder_list": ("listed",),
        "reminder_list_item": ("days", "time", "zone", "next"),
        "reminder_ask_zone": (),
        "reminder_zone_set": ("zone",),
        "reminder_zone_unknown": ("said",),
        "reminder_need_time": (),
        "reminder_bad_time": ("said",),
        "reminder_quiet_hours": ("time", "start", "end"),
        "reminder_snooze_quiet": ("time", "start", "end", "next"),
        "reminder_need_snooze": (),
        "reminder_snooze_too_long": (),
        "reminder_no_days_left": (),
        "reminder_none_to_change": (),
        "reminder_cannot_push": (),
        "reminder_due": (),
        "reminder_due_why": ("days", "time"),
        "button_start_now": (),
        "button_snooze_hour": (),
        "button_stop_reminders": (),
    }.items()
}


def placeholders(text: str) -> FrozenSet[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def problems_with(replies: Dict[str, str]) -> List[str]:
    """Every way the replies file disagrees with the registry, for the loader's report."""
    problems = [f"replies: missing '{name}'" for name in sorted(REPLY_PLACEHOLDERS.keys() - replies.keys())]
    problems += [
        f"replies: unknown '{name}' (not used by the code)"
        for name in sorted(replies.keys() - REPLY_PLACEHOLDERS.keys())
    ]
    for name, text in sorted(replies.items()):
        expected = REPLY_PLACEHOLDERS.get(name)
        if expected is not None and placeholders(text) != expected:
            problems.append(f"replies[{name}]: placeholders {sorted(placeholders(text))}, expected {sorted(expected)}")
    return problems
