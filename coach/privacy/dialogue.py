"""The user's say over their data, as the door (coach/dialogue/door.py) runs it each turn.

- `view_for`: the coach this turn works with. A user who said yes works on the SQL stores; any
  other user on a view whose stores keep everything in the conversation (coach/privacy/scratch.py).
- `before`: after the safety rules judged the message, a bare "yes"/"no" right after the consent
  question answers it; a long gap since the last message makes "Still true?" due.
- `after`: once the message is answered (an emergency never gets a consent question), the
  consent question is asked once per conversation, or a remembered limit is checked again.
- handlers for consent given or withdrawn, "what do you know about me?", "export my data" and
  "forget me" (asked once, then everything is deleted and the conversation with it).
"""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Dict, List, Optional

from coach import settings
from coach.dialogue.context import TurnContext
from coach.dialogue.model import Turn
from coach.privacy import export, memory
from coach.privacy.scratch import Scratch, ScratchConversations, ScratchProfiles, ScratchSessions
from coach.store.privacy import ExportFile

if TYPE_CHECKING:
    from coach.service import Coach

GIVE, REFUSE = "consent_give", "consent_refuse"
INTENTS = ("consent_give", "consent_refuse", "ask_my_data", "export_data", "forget_me")
FORGET_QUESTION = "confirm:forget"
# Our own tables, said in words when deleted; a table added later is counted as "records".
TABLE_WORDS = ("user_profiles", "screenings", "safety_events", "guided_sessions", "conversations", "consents",
               "data_exports")  # fmt: skip
COUNTED = {"screenings", "safety_events", "data_exports"}


# -- which stores this turn works on -----------------------------------------------------------------
def view_for(coach: Coach, turn: Turn) -> Coach:
    if coach.memory is None and coach.privacy.consent(turn.sender) is not None:
        return coach
    return scratch_view(coach, Scratch(turn.memory))


def scratch_view(coach: Coach, scratch: Scratch) -> Coach:
    view = copy.copy(coach)
    view.profiles = ScratchProfiles(scratch)
    view.sessions = ScratchSessions(scratch)
    view.conversations = ScratchConversations(scratch)
    view.memory = scratch
    return view


def sql_coach(coach: Coach) -> Coach:
    """The coach on the SQL stores, from a view (its stores are rebuilt over the same engine)."""
    from coach.store.conversations import ConversationStore
    from coach.store.profiles import ProfileStore
    from coach.store.sessions import SessionStore

    base = copy.copy(coach)
    base.profiles, base.sessions = ProfileStore(coach.engine), SessionStore(coach.engine)
    base.conversations, base.memory = ConversationStore(coach.engine), None
    return base


def wording_version(coach: Coach) -> str:
    return hashlib.sha256(coach.kb.say("consent_offer").encode("utf-8")).hexdigest()[:12]


def memory_out(coach: Coach) -> Optional[dict]:
    return coach.memory.to_dict() if coach.memory is not None else None


# -- around the turn --------------------------------------------------------------------------------
def before(ctx: TurnContext, now: Optional[datetime] = None) -> None:
    now = now or datetime.now(timezone.utc)
    state = ctx.state
    if ctx.coach.memory is None:  # "next time" exists only for a user the coach may remember
        if memory.is_returning(state.last_seen, now, settings.recheck_after_hours()):
            state.recheck_due = True
        state.last_seen = now.isoformat()
    scratch = ctx.coach.memory
    if scratch is not None and scratch.take_offer_pending() and state.question is None:
        if ctx.turn.intent in ("affirm", "deny") and not ctx.decision.stops_coaching:
            ctx.turn.intent = GIVE if ctx.turn.intent == "affirm" else REFUSE


def answers_anyway(ctx: TurnContext) -> bool:
    """A request about their data (or the answer to "forget me?") is answered even while a
    stop-level decision is in force, as long as the message tells nothing new about them."""
    pending = ctx.state.question
    about_data = ctx.turn.intent in INTENTS or (pending is not None and pending.id == FORGET_QUESTION)
    return about_data and not any(f.about_user_now for f in ctx.turn.findings)


def after(ctx: TurnContext, running: bool) -> None:
    """What comes once the message is answered. Nothing while a question waits or a session
    runs, and nothing after a stop-level decision."""
    if ctx.result.forget:
        return
    c, state = ctx.coach, ctx.state
    _remember_time(ctx)
    quiet = ctx.decision.stops_coaching or state.question is not None or running or ctx.result.restart
    if quiet or ctx.turn.intent in INTENTS or ctx.turn.is_timer:
        return
    scratch = c.memory
    if scratch is not None:
        if not scratch.refused and not scratch.offered:
            scratch.mark_offered()
            ctx.say(
                c.kb.say("consent_offer"),
                buttons=[(c.kb.say("button_consent_yes"), f"/{GIVE}"), (c.kb.say("button_consent_no"), f"/{REFUSE}")],
                custom={"type": "consent_question", "wording": wording_version(c), "options": [GIVE, REFUSE]},
            )
        return
    if state.recheck_due:
        state.recheck_due = False
        keys = memory.recheck_keys(c, ctx.profile())
        if keys:
            from coach.dialogue import questions

            question = state.ask(f"still:{keys[0]}")
            ctx.result.replies.append(questions.render(c.kb, question))


def _remember_time(ctx: TurnContext) -> None:
    minutes = ctx.state.minutes_available
    if minutes and ctx.coach.memory is None:
        profile = ctx.profile()
        if profile.minutes_available != minutes:
            profile.minutes_available = minutes
            ctx.coach.profiles.save(profile)


# -- consent --------------------------------------------------------------------------------------
def consent_payload(given: bool, changed: bool, granted_at: Optional[datetime] = None, deleted=None) -> Dict:
    payload = {"type": "consent", "given": given, "changed": changed}
    payload["granted_at"] = granted_at.isoformat() if granted_at else None
    if deleted is not None:
        payload["deleted"] = deleted
    return payload


def give(ctx: TurnContext) -> None:
    c = ctx.coach
    if c.memory is None:
        record = c.privacy.consent(ctx.sender)
        when = record.granted_at if record else None
        ctx.say(
            c.kb.say("consent_already_given", date=_day(when)),
            custom=consent_payload(True, False, _aware(when) if when else None),
        )
        return
    scratch, base = c.memory, sql_coach(c)
    scratch.data["conversation"] = ctx.state.to_dict()
    now = datetime.now(timezone.utc)
    scratch.copy_into(base.profiles, base.sessions, base.conversations, ctx.sender)
    base.privacy.grant(ctx.sender, wording_version(c), now)
    ctx.coach = base
    ctx.say(c.kb.say("consent_given"), custom=consent_payload(True, True, now))


def refuse(ctx: TurnContext) -> None:
    c = ctx.coach
    if c.memory is not None:
        already = c.memory.refused
        c.memory.refuse()
        reply = "consent_already_refused" if already else "consent_refused"
        ctx.say(c.kb.say(reply), custom=consent_payload(False, not already))
        return
    # Withdrawn: what was stored comes into the conversation (so safety holds), then is deleted.
    scratch = Scratch()
    scratch.copy_from(c.profiles, c.sessions, c.conversations, ctx.sender)
    scratch.refuse()
    scratch.data["offered"] = True
    deleted = c.privacy.delete_user(ctx.sender)
    ctx.coach = scratch_view(c, scratch)
    ctx.say(
        c.kb.say("consent_withdrawn", deleted=deleted_words(c, deleted)),
        custom=consent_payload(False, True, deleted=deleted),
    )


# -- what the coach knows -----------------------------------------------------------------------------
def my_data(ctx: TurnContext) -> None:
    c = ctx.coach
    items = memory.what_i_know(c, ctx.sender)
    record = c.privacy.consent(ctx.sender) if c.memory is None else None
    if record is not None:
        intro = c.kb.say("my_data_intro_consented", date=_day(record.granted_at))
    else:
        intro = c.kb.say("my_data_intro_conversation")
    exports = c.privacy.rows_of(ctx.sender).get("data_exports", 0)
    if exports:
        items.append(memory.Known("exports", c.kb.say("known_exports", count=exports), {"count": exports}))
    if not items:
        text = c.kb.say("my_data_nothing")
    else:
        text = "\n".join([intro, *(f"- {i.text}" for i in items), c.kb.say("my_data_outro")])
    ctx.say(
        text,
        custom={
            "type": "my_data",
            "consent": record is not None,
            "granted_at": _aware(record.granted_at).isoformat() if record else None,
            "items": [i.payload() for i in items],
        },
    )


# -- export ---------------------------------------------------------------------------------------------
def export_data(ctx: TurnContext, now: Optional[datetime] = None) -> None:
    c = ctx.coach
    now = now or datetime.now(timezone.utc)
    document = export.build(c, ctx.sender, now)
    if not export.has_content(document):
        ctx.say(c.kb.say("export_nothing"), custom={"type": "export", "files": [], "revoked": 0})
        return
    files = [
        ExportFile(export.JSON_NAME, "application/json", export.to_json(document)),
        ExportFile(export.PDF_NAME, "application/pdf", export.to_pdf(document, c.kb.texts.disclaimer)),
    ]
    ttl = timedelta(minutes=settings.export_ttl_minutes())
    links, revoked = c.privacy.issue(ctx.sender, files, ttl, now)
    base = settings.public_url()
    described = [
        {
            "name": link.filename,
            "media_type": link.media_type,
            "url": f"{base}{download_path(link.token, link.filename)}",
            "expires_at": link.expires_at.isoformat(),
        }
        for link in links
    ]
    expires = links[0].expires_at.strftime("%d %b %Y %H:%M")
    text = c.kb.say("export_ready", json=described[0]["url"], pdf=described[1]["url"], expires=expires)
    if revoked:
        text = f"{text} {c.kb.say('export_replaced', count=revoked)}"
    ctx.say(text, custom={"type": "export", "files": described, "revoked": revoked})


DOWNLOAD_PREFIX = "/webhooks/downloads/"


def download_path(token: str, filename: str) -> str:
    return f"{DOWNLOAD_PREFIX}{token}/{filename}"


# -- forget me ------------------------------------------------------------------------------------------
def forget_me(ctx: TurnContext) -> None:
    c = ctx.coach
    stored = c.privacy.rows_of(ctx.sender)
    in_conversation = c.memory is not None and not c.memory.empty
    if not stored and not in_conversation:
        _forget(ctx, nothing=True)
        return
    from coach.dialogue import questions

    question = ctx.state.ask(FORGET_QUESTION)
    ctx.result.replies.append(questions.render(c.kb, question))


def confirmed(ctx: TurnContext, answer: str) -> None:
    if answer == "yes":
        _forget(ctx, nothing=False)
    else:
        ctx.say(ctx.coach.kb.say("forget_kept"), custom={"type": "forgotten", "deleted": {}, "conversation": False})


def _forget(ctx: TurnContext, nothing: bool) -> None:
    c = ctx.coach
    running = c.sessions.get(ctx.sender)
    if running is not None and running.timer_names:
        ctx.result.cancel_timers += running.timer_names
    deleted = c.privacy.delete_user(ctx.sender)
    if c.memory is not None:
        c.memory.data.clear()
        c.memory.data["forgotten"] = True
    ctx.result.forget = True
    words = deleted_words(c, deleted)
    text = c.kb.say("forget_nothing") if nothing and not deleted else c.kb.say("forget_done", deleted=words)
    ctx.say(text, custom={"type": "forgotten", "deleted": deleted, "conversation": True})


def deleted_words(c: Coach, deleted: Dict[str, int], conversation: bool = True) -> str:
    say = c.kb.say
    parts: List[str] = []
    for table in TABLE_WORDS:
        if table in deleted:
            parts.append(say(f"deleted_{table}", count=deleted[table]) if table in COUNTED else say(f"deleted_{table}"))
    for table, count in sorted(deleted.items()):
        if table not in TABLE_WORDS:
            parts.append(say("deleted_rows", count=count, table=table.replace("_", " ")))
    if conversation:
        parts.append(say("deleted_conversation"))
    if not parts:
        return say("deleted_nothing")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _day(moment: Optional[datetime]) -> str:
    return _aware(moment).strftime(memory.DATE_FORMAT) if moment else "an earlier day"
