"""The coach as an Alexa custom skill: POST /webhooks/alexa/webhook (GET / for health).

Why our own channel: the community Alexa connectors skip Amazon's request verification, send
`"shouldEndSession": "false"` (a string), speak only the first bot message and share one
sender id. Here every request is verified (connectors/alexa_verify.py), each Alexa user is one
conversation, every message of the turn is spoken (connectors/render/alexa.py), and the answer
comes within Alexa's ~8 s.

The interaction model (docs/alexa/interaction-model.json) sends whatever the user says in one
catch-all slot, so the coach's own NLU and safety rules hear every word; Amazon's built-in
intents (stop, pause, help...) map to the coach's own intents below. Alexa is
request-response: reminders never reach it, so guided sessions are paced inside each answer
(see docs/channels.md, "Voice: Alexa").
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from coach.logs import failure, sender_tag
from connectors.alexa_verify import CertificateCache, RequestVerifier, VerificationFailed, check_application, load_roots
from connectors.guard import guard
from connectors.render import BotMessage
from connectors.render.alexa import Spoken, render
from connectors.render.speech import normalised
from connectors.rest import WholeMessageCollector
from connectors.socketio import cap_request_size, problem_with

logger = logging.getLogger(__name__)

UTTERANCE_INTENT = "CoachUtteranceIntent"
UTTERANCE_SLOT = "utterance"
# Amazon's built-in intents, as the coach's own words or intents.
BUILT_IN_MESSAGES = {
    "AMAZON.PauseIntent": "/pause",
    "AMAZON.ResumeIntent": "/resume",
    "AMAZON.HelpIntent": "/ask_capabilities",
    "AMAZON.FallbackIntent": "/nlu_fallback",
    "AMAZON.YesIntent": "yes",
    "AMAZON.NoIntent": "no",
    "AMAZON.NextIntent": "next",
    "AMAZON.RepeatIntent": "/repeat",
}
# Leaving the skill: stop a running session or screening first, then say goodbye.
CLOSING_INTENTS = {"AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent"}
SILENT_REQUESTS = {"SessionEndedRequest", "System.ExceptionEncountered"}
MAX_BODY_BYTES = 128 * 1024
ANSWER_DEADLINE_SECONDS = 6.5  # Alexa gives up after about 8 s; leave room for the network
VERIFY_OFF_VALUES = {"off", "false", "no", "0"}
SESSION_ENDING_OUTCOMES = {"EMERGENCY", "URGENT", "CRISIS", "REFER", "DEFER"}  # coach/safety/triage.py ENDS_SESSION

# Spoken only when the coach could not answer in time or failed, and what was said holds no
# emergency, urgent or crisis flag: then its fixed wording is spoken instead (coach/fallback.py).
TOO_SLOW = "Sorry, that took me too long. Please say that again."
FAILED = "Sorry, something went wrong on my side. Please say that again."
NOTHING_SAID = "Sorry, I have no answer to that. Could you say it another way?"


class AlexaCollector(WholeMessageCollector):
    """Collects the turn's messages; named so responses can have `channel: alexa` variations."""

    @classmethod
    def name(cls) -> str:
        return "alexa"


class AlexaInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "alexa"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """`skill_id` (ALEXA_SKILL_ID) switches the channel on; `verify: off` (ALEXA_VERIFY)
        skips signature checks for local testing only. ALEXA_TRUSTED_ROOTS (a PEM bundle) and
        ALEXA_CERT_CACHE_DIR (certificate chains kept across restarts) are optional."""
        credentials = credentials or {}
        skill_id = str(credentials.get("skill_id") or "").strip()
        verify = credentials.get("verify")
        verify_off = verify is False or str(verify).strip().lower() in VERIFY_OFF_VALUES
        verifier = None
        if skill_id and not verify_off:
            verifier = RequestVerifier(
                skill_id,
                CertificateCache(directory=os.environ.get("ALEXA_CERT_CACHE_DIR") or None),
                load_roots(os.environ.get("ALEXA_TRUSTED_ROOTS") or None),
            )
        return cls(skill_id, verifier)

    def __init__(self, skill_id: str, verifier: Optional[RequestVerifier], deadline: float = ANSWER_DEADLINE_SECONDS):
        self.skill_id = skill_id
        self.verifier = verifier
        self.deadline = deadline
        if not skill_id:
            logger.warning("Alexa channel is off: ALEXA_SKILL_ID is not set, every request gets HTTP 400.")
        elif verifier is None:
            logger.warning(
                "\n%s\nALEXA_VERIFY=off: Alexa requests are NOT verified. Anyone can talk to the coach as any user.\n"
                "Use this for local testing only, never on a public endpoint.\n%s",
                "!" * 100,
                "!" * 100,
            )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("coach_alexa", __name__)
        if self.skill_id:
            guard()  # built now, at start: the fallback must not need anything later
        cap_request_size(bp)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.skill_id else "off"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            status, answer = await self.answer(request.body or b"", request.headers, on_new_message)
            return response.json(answer, status=status)

        return bp

    # -- one request ------------------------------------------------------------------------------
    async def answer(
        self, raw: bytes, headers: Mapping[str, str], on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Tuple[int, Dict[str, Any]]:
        """(HTTP status, JSON) for one Alexa request. Anything unverified or malformed is 400
        and reaches no conversation."""
        if not self.skill_id:
            return 400, {"error": "The Alexa channel is not configured (set ALEXA_SKILL_ID)."}
        if len(raw) > MAX_BODY_BYTES:
            return 400, {"error": "Request body too large."}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return 400, {"error": "The body is not JSON."}
        if not isinstance(body, dict) or not isinstance(body.get("request"), dict):
            return 400, {"error": "Not an Alexa request: no 'request' object."}
        try:
            if self.verifier is not None:
                await self.verifier.verify(raw, headers, body)
            else:
                check_application(body, self.skill_id)
        except VerificationFailed as e:
            logger.warning("Alexa request refused: %s", e)
            return 400, {"error": "Request verification failed."}

        request = body["request"]
        kind = request.get("type")
        if kind in SILENT_REQUESTS:
            self._log_silent(kind, request)
            return 200, {"version": "1.0", "response": {}}
        sender = sender_for(body)
        if sender is None:
            return 400, {"error": "Not an Alexa request: no user id."}
        if kind not in ("LaunchRequest", "IntentRequest"):
            return 400, {"error": f"Unsupported request type: {str(kind)[:60]}."}
        session = body.get("session") or {}
        state = dict(session.get("attributes") or {}) if isinstance(session.get("attributes"), dict) else {}
        intent = request.get("intent") if kind == "IntentRequest" and isinstance(request.get("intent"), dict) else {}
        said = slot_text(intent)
        if said is not None:
            refused = await guard().admit(sender)
            if refused is not None:
                return 200, reply_for(render([BotMessage(text=refused.text)]), state, closing=False)
        turn = asyncio.ensure_future(self._converse(kind, request, state, sender, on_new_message))
        turn.add_done_callback(_log_failure)
        try:
            return 200, await asyncio.wait_for(asyncio.shield(turn), self.deadline)
        except asyncio.TimeoutError:
            logger.warning(
                "Alexa turn for %s took longer than %.1f s; the user is asked again.", sender_tag(sender), self.deadline
            )
            message = safety_fallback(said, "timeout") or BotMessage(text=TOO_SLOW)
        except Exception:  # logged by _log_failure, in time or late
            message = safety_fallback(said, "error") or BotMessage(text=FAILED)
        return 200, reply_for(render([message]), state, closing=False)

    async def _converse(
        self,
        kind: str,
        request: Dict[str, Any],
        state: Dict[str, Any],
        sender: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> Dict[str, Any]:
        intent = (request.get("intent") or {}) if kind == "IntentRequest" else {}
        name = intent.get("name") if isinstance(intent, dict) else None
        closing = name in CLOSING_INTENTS
        if kind == "LaunchRequest":
            texts = ["/greet"]
        elif closing:
            texts = (["/stop_session"] if state.get("activity") in ("session", "screening") else []) + ["/goodbye"]
        elif name == "AMAZON.RepeatIntent" and state.get("activity") != "session" and state.get("said"):
            return reply_for(render([BotMessage(text=state["said"])]), state, closing=False)
        elif name in BUILT_IN_MESSAGES:
            texts = [chosen(BUILT_IN_MESSAGES[name], state)]
        else:
            said = slot_text(intent)
            problem = problem_with(said)
            if problem:  # nothing reaches the conversation, as on every channel
                spoken = render([BotMessage(text=problem, custom={"type": "input_error"})])
                return reply_for(spoken, state, closing=False)
            assert said is not None  # problem_with has answered a missing text
            texts = [chosen(said, state)]

        messages: List[BotMessage] = []
        metadata = {"alexa": {"request_id": request.get("requestId"), "locale": request.get("locale")}}
        for text in texts:
            collector = AlexaCollector()
            await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata))
            messages += [BotMessage.from_rasa(m) for m in collector.messages]
        if not messages and not closing:  # the coach said nothing: never leave an open microphone in silence
            messages = [safety_fallback(texts[-1] if texts else None, "silence") or BotMessage(text=NOTHING_SAID)]
        state = track(state, messages)
        spoken = render(messages, closing=closing, in_session=state.get("activity") == "session")
        return reply_for(spoken, state, closing=closing)

    @staticmethod
    def _log_silent(kind: str, request: Dict[str, Any]) -> None:
        if kind == "SessionEndedRequest":
            logger.info("Alexa session ended: %s %s", request.get("reason"), request.get("error") or "")
        else:
            logger.error("Alexa could not use our last answer: %s", request.get("error"))


def _log_failure(turn: asyncio.Future[Any]) -> None:
    """A failed turn is logged, also one that outlived the deadline and finished in the background."""
    if turn.cancelled():
        return
    error = turn.exception()
    if error is not None:
        logger.error("Alexa turn failed: %s", failure(error))


def safety_fallback(said: Optional[str], reason: str) -> Optional[BotMessage]:
    """The fixed emergency, urgent or crisis wording for what was said, when the coach could not
    answer it; None when it holds no such flag (the channel's own apology is spoken then)."""
    if not said:
        return None
    reply = guard().fallback.reply(said, reason)
    return BotMessage(text=reply.text, custom=reply.custom) if reply.is_safety else None


# -- helpers (pure, unit-tested) ------------------------------------------------------------------
def sender_for(body: Mapping[str, Any]) -> Optional[str]:
    """One conversation per Alexa user id. The id is hashed: the coach's database keeps health
    details, and never needs Amazon's account id to keep them apart."""
    user_id = ((body.get("session") or {}).get("user") or {}).get("userId") or (
        ((body.get("context") or {}).get("System") or {}).get("user") or {}
    ).get("userId")
    if not isinstance(user_id, str) or not user_id:
        return None
    return "alexa-" + hashlib.sha256(user_id.encode()).hexdigest()[:32]


def slot_text(intent: Mapping[str, Any]) -> Optional[str]:
    """What the user said, from the catch-all slot (or any slot, if the model was edited)."""
    slots = intent.get("slots")
    if not isinstance(slots, dict):
        slots = {}
    ordered = [slots.get(UTTERANCE_SLOT)] + [v for k, v in slots.items() if k != UTTERANCE_SLOT]
    for slot in ordered:
        if isinstance(slot, dict) and isinstance(slot.get("value"), str) and slot["value"].strip():
            return slot["value"]
    return None


def chosen(said: str, state: Mapping[str, Any]) -> str:
    """A spoken choice is a tapped button: saying a choice's title exactly (case, punctuation
    and number words aside) sends its payload. Anything more goes to the coach as said, so a
    sentence that adds a symptom is never reduced to a button."""
    wanted = normalised(said)
    for title, payload in state.get("choices") or []:
        if wanted and normalised(str(title)) == wanted:
            return str(payload)
    return said


def track(state: Dict[str, Any], messages: List[BotMessage]) -> Dict[str, Any]:
    """What the channel must remember between answers (kept in Alexa's session attributes):
    whether a guided session or the screening form is under way, for "stop"."""
    activity = state.get("activity")
    for message in messages:
        c = message.custom
        if message.kind == "session_step":
            activity = None if c.get("phase") == "done" or c.get("stopped") else "session"
        elif message.kind == "screening_question" and str(c.get("id", "")).startswith("screen_"):
            activity = "screening"
        elif message.kind == "safety" and c.get("decision") == "stop":
            # A stop ends the form; in a session only these outcomes end it (STOP-STRETCH pauses it).
            if activity == "screening" or c.get("outcome") in SESSION_ENDING_OUTCOMES:
                activity = None
    return {**state, "activity": activity}


def reply_for(spoken: Spoken, state: Dict[str, Any], closing: bool) -> Dict[str, Any]:
    """Alexa's response JSON: SSML speech, a reprompt while the session stays open, and
    `shouldEndSession` as a real boolean (community connectors send the string "false")."""
    out: Dict[str, Any] = {"outputSpeech": {"type": "SSML", "ssml": spoken.ssml}, "shouldEndSession": bool(closing)}
    if not closing and spoken.reprompt:
        out["reprompt"] = {"outputSpeech": {"type": "SSML", "ssml": spoken.reprompt}}
    if spoken.card:
        out["card"] = {"type": "Simple", "title": spoken.card[0], "content": spoken.card[1]}
    attributes = {
        "activity": state.get("activity"),
        "choices": [[b.title, b.payload] for b in spoken.choices],
        "said": spoken.plain if len(spoken.plain) <= 4000 else "",
    }
    return {"version": "1.0", "sessionAttributes": {} if closing else attributes, "response": out}


__all__ = ["AlexaInput"]
