"""The coach by voice: signed Alexa requests (Amazon's request models, a test CA) against the
real Rasa and action servers, with verification on. One set of servers for the whole module.

Every answer goes through `check_answer` (valid SSML, breaks <= 10 s, <= 8000 characters,
boolean shouldEndSession, a reprompt while the session is open)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
import requests

from coach.store import create_db_engine
from coach.store import knowledge as kb_store
from connectors.alexa_verify import CertificateCache
from connectors.render.speech import spoken_sentences
from tests.alexa_kit import CERT_URL, SKILL_ID, AlexaUser, Heard, TestPKI, check_answer
from tests.integration.servers import Servers, ensure_model, running

KNEELING_NAMES = ("half-kneeling", "low lunge", "rear-foot-elevated")


@dataclass
class Voice:
    servers: Servers
    pki: TestPKI

    @property
    def url(self) -> str:
        return f"{self.servers.url}/webhooks/alexa/webhook"

    def post(self, body: bytes, headers=None) -> requests.Response:
        return requests.post(self.url, data=body, headers=headers or self.pki.headers(body), timeout=30)

    def talk(self, user: AlexaUser, body: bytes) -> Heard:
        reply = self.post(body)
        assert reply.status_code == 200, reply.text
        heard = check_answer(reply.json())
        user.heard(reply.json())
        return heard


@pytest.fixture(scope="module")
def voice(tmp_path_factory, kb):
    ensure_model()
    workdir = tmp_path_factory.mktemp("alexa")
    pki = TestPKI()
    certs = workdir / "certs"
    certs.mkdir()
    (certs / CertificateCache.file_name(CERT_URL)).write_bytes(pki.chain_pem())  # no network: the chain is cached
    roots = workdir / "test-root.pem"
    roots.write_bytes(pki.root_pem())
    url = f"sqlite:///{workdir / 'coach.sqlite3'}"
    kb_store.save(create_db_engine(url), kb)
    env = {
        "ALEXA_SKILL_ID": SKILL_ID,
        "ALEXA_VERIFY": "",  # on
        "ALEXA_TRUSTED_ROOTS": str(roots),
        "ALEXA_CERT_CACHE_DIR": str(certs),
    }
    with running(workdir, url, env=env) as servers:
        yield Voice(servers, pki)


def test_a_whole_guided_session_by_voice(voice):
    user = AlexaUser()
    hello = voice.talk(user, user.launch())
    assert "Psoas Coach" in hello.text and "not a doctor" in hello.text and hello.text.rstrip().endswith(".")
    assert "How are your hips feeling today?" in hello.text
    # The greeting answered, the coach asks whether it may remember the user: the last question.
    assert "May I remember you? You can say: Yes, remember me, or No, keep nothing." in hello.reprompt

    tight = voice.talk(user, user.says("my hips are tight from sitting"))
    assert "Here's what I'd suggest:" in tight.text and "First," in tight.text and "Second," in tight.text

    kneel = voice.talk(user, user.says("i can't kneel"))
    left_out = kneel.text[kneel.text.index("I left out") :]
    assert "because you said you can't kneel" in left_out and all(n in left_out for n in KNEELING_NAMES)
    offered = kneel.text[: kneel.text.index("I left out")]
    assert not any(n in offered.replace("It stands in for the half-kneeling", "") for n in KNEELING_NAMES)

    answer = voice.talk(user, user.says("start a guided session"))
    assert "safety questions" in answer.text and "You can say: Yes, No" in answer.text
    for _ in range(12):  # each screening question answered "no", by voice
        if answer.silence:
            break
        assert answer.text.endswith("?") or "You can say: Yes, No" in answer.text, answer.text
        answer = voice.talk(user, user.intent("AMAZON.NoIntent"))
    get_ready = answer
    assert "Get ready." in get_ready.text and get_ready.silence == 10
    assert get_ready.text.endswith("When you're in position, say I'm ready. You can also say: Pause, or Stop.")

    hold = voice.talk(user, user.says("i'm ready"))
    seconds = int(hold.text.split("Hold for ")[1].split(" seconds")[0])
    assert "Halfway." in hold.text, "the halfway cue is said inside the paced hold"
    assert seconds / 3 < hold.silence < seconds, (seconds, hold.breaks)  # what is said counts too
    assert hold.text.index("Hold for") < hold.text.index("Halfway.") < hold.text.index("That's the hold.")

    paused = voice.talk(user, user.intent("AMAZON.PauseIntent"))
    assert paused.text.startswith("Paused.") and paused.silence == 0 and "Stop" in paused.text
    resumed = voice.talk(user, user.intent("AMAZON.ResumeIntent"))
    assert resumed.text.startswith("Let's carry on. Hold for") and resumed.silence > 5

    phases_heard = []
    answer = resumed
    for _ in range(6):  # next, next...: rests, holds, switching sides
        answer = voice.talk(user, user.intent("AMAZON.NextIntent"))
        phases_heard.append(answer.text)
        assert answer.silence > 0 and not answer.ends
        if "switch to the right side" in answer.text:
            break
    assert any("rest" in t for t in phases_heard) and "switch to the right side" in phases_heard[-1]
    assert phases_heard[-1].endswith("When you're on the other side, say I'm ready. You can also say: Stop.")

    other_side = voice.talk(user, user.says("ready"))
    assert "Right side." in other_side.text and other_side.silence == 10
    hold = voice.talk(user, user.says("I'm ready"))
    assert "Hold for" in hold.text
    pinch = voice.talk(user, user.says("that pinches"))
    assert pinch.text.startswith("Stop the stretch now and come out of it slowly.") and pinch.silence == 0
    assert pinch.raw["response"]["card"]["content"].startswith("Stop the stretch now")

    stop = voice.talk(user, user.intent("AMAZON.StopIntent"))
    assert stop.ends is True and "we'll stop here" in stop.text and "Bye for now" in stop.text
    assert "?" not in stop.text, "nothing is asked as the microphone closes"

    back = voice.talk(user, user.launch())
    assert "Welcome back" not in back.text, "the stopped session does not come back"


def test_an_emergency_said_mid_session_gets_the_fixed_wording_first(voice, kb):
    user = AlexaUser()
    voice.talk(user, user.launch())
    answer = voice.talk(user, user.says("let's start"))
    for _ in range(12):
        if answer.silence:
            break
        answer = voice.talk(user, user.says("no"))
    voice.talk(user, user.says("ready"))  # now in a hold
    alarm = voice.talk(user, user.says("my chest feels crushed and i can't breathe"))
    firsts = [spoken_sentences(f.message)[0] for f in kb.red_flags.values() if f.outcome.value == "EMERGENCY"]
    assert any(alarm.text.startswith(first) for first in firsts), alarm.text
    assert '<say-as interpret-as="digits">999</say-as>' in alarm.ssml
    assert alarm.silence == 0 and "Hold" not in alarm.text and "stretch" not in alarm.reprompt.lower()
    assert alarm.raw["response"]["card"]["content"].startswith("Please call")
    later = voice.talk(user, user.says("ok which stretch now"))
    assert any(later.text.startswith(first) for first in firsts), "the emergency stays in force"
    bye = voice.talk(user, user.intent("AMAZON.CancelIntent"))
    assert bye.ends is True and "we'll stop here" not in bye.text, "the emergency already ended the session"


def test_each_alexa_user_is_their_own_conversation(voice):
    alex, sam = AlexaUser(), AlexaUser()
    voice.talk(alex, alex.says("i can't kneel"))
    for_sam = voice.talk(sam, sam.says("suggest a stretch"))
    assert "I left out" not in for_sam.text
    for_alex = voice.talk(alex, alex.says("suggest a stretch"))
    assert "you said you can't kneel" in for_alex.text


def test_help_and_fallback_use_the_coachs_own_words(voice):
    user = AlexaUser()
    helped = voice.talk(user, user.intent("AMAZON.HelpIntent"))
    assert "hip flexors" in helped.text and "You can say:" in helped.text
    lost = voice.talk(user, user.intent("AMAZON.FallbackIntent"))
    assert lost.text.startswith("Sorry, I'm not sure what you mean.") and "You can say:" in lost.text


def test_bad_input_is_answered_clearly(voice):
    user = AlexaUser()
    for body in (user.says(None), user.says("stretch " * 600)):
        heard = voice.talk(user, body)
        assert not heard.ends and ("words" in heard.text or "too long" in heard.text)
    odd = voice.talk(user, user.says("🦵🦵 ¿qué? 日本語 zxqv"))
    assert odd.text and not odd.ends
    for raw in (b"", b"{not json", json.dumps({"version": "1.0"}).encode()):
        reply = voice.post(raw)
        assert reply.status_code == 400 and set(reply.json()) == {"error"}
    unknown = json.loads(user.launch())
    unknown["request"]["type"] = "Alexa.Presentation.APL.UserEvent"
    raw = json.dumps(unknown).encode()
    assert voice.post(raw).status_code == 400
    ended = voice.post(user.session_ended("EXCEEDED_MAX_REPROMPTS"))
    assert ended.status_code == 200 and "outputSpeech" not in ended.json()["response"]


def test_only_requests_signed_for_this_skill_are_processed(voice):
    user = AlexaUser()
    body = user.says("hello")
    assert voice.post(body).status_code == 200
    refused = [
        (body.replace(b"hello", b"hullo"), voice.pki.headers(body)),  # forged body
        (body, {"Content-Type": "application/json"}),  # unsigned
        (user.launch(at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=200)), None),  # stale
        (AlexaUser(skill_id="amzn1.ask.skill.another").launch(), None),  # another skill
        (body, voice.pki.headers(body, url="http://s3.amazonaws.com/echo.api/echo-api-cert-test.pem")),
        (body, voice.pki.headers(body, url="https://s3.amazonaws.com/echo.api/../evil/cert.pem")),
    ]
    for raw, headers in refused:
        reply = voice.post(raw, headers or voice.pki.headers(raw))
        assert reply.status_code == 400 and reply.json() == {"error": "Request verification failed."}
        assert "Traceback" not in reply.text
    assert requests.get(f"{voice.servers.url}/webhooks/alexa/", timeout=10).json() == {"status": "ok"}
    assert "Alexa request refused" in voice.servers.log()
