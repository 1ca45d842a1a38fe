"""The channels' own answers when the coach cannot give one (coach/fallback.py, connectors/guard.py):
the fixed emergency wording for an emergency, urgent or crisis message, a short 'technical
problem' for anything else, within the deadline, whatever went wrong."""

from __future__ import annotations

import asyncio

import pytest

from coach.fallback import Fallback
from coach.limits import TokenBuckets
from connectors.guard import Guard, client_address, startup_problems


@pytest.fixture(scope="module")
def fallback(kb, triage):
    return Fallback(kb, triage)


def make_guard(fallback, deadline=0.3, sender=(0, 1.0), address=(0, 1.0), proxies=()):
    return Guard(fallback, deadline, TokenBuckets(*sender), TokenBuckets(*address), proxies)


@pytest.mark.parametrize(
    "text, outcome, rule",
    [
        ("I have crushing chest pain right now", "EMERGENCY", "RF4"),
        ("I can't feel my bum and I've wet myself", "EMERGENCY", "RF1"),
        ("I want to kill myself", "CRISIS", "RF11"),
    ],
)
def test_an_emergency_urgent_or_crisis_message_gets_its_rules_fixed_wording(fallback, kb, text, outcome, rule):
    reply = fallback.reply(text, "timeout")
    assert reply.is_safety and reply.custom["outcome"] == outcome and reply.custom["fallback"] == "timeout"
    assert kb.red_flags[rule].message in reply.text
    assert kb.say("technical_problem") not in reply.text


def test_someone_elses_emergency_is_answered_for_them(fallback, kb):
    reply = fallback.reply("my husband collapsed with chest pain", "error")
    assert reply.is_safety and reply.custom.get("about") == "someone_else"
    assert reply.text.startswith(kb.say("someone_else_emergency"))


@pytest.mark.parametrize("text", ["hi", "my hip flexors are tight from sitting all day", "", None, "x" * 5000, "🧘"])
def test_anything_else_gets_the_technical_problem_reply_from_the_knowledge_base(fallback, kb, text):
    reply = fallback.reply(text, "silence")
    assert reply.text == kb.say("technical_problem") == "I'm having a technical problem, please try again in a minute."
    assert reply.custom == {"type": "technical_problem", "reason": "silence"}


class Sink:
    def __init__(self):
        self.sent = []

    async def __call__(self, reply):
        self.sent.append(reply)


run = asyncio.run


def test_a_hung_turn_is_cancelled_at_the_deadline_and_answered(fallback, kb):
    guard, sink, state = make_guard(fallback), Sink(), {}

    async def hang():
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            state["cancelled"] = True  # frees the conversation's lock in Rasa
            raise

    reason = run(guard.turn("alex", "I have crushing chest pain right now", hang, lambda: 0, sink))
    assert reason == "timeout" and state["cancelled"]
    assert sink.sent[0].custom["outcome"] == "EMERGENCY"


def test_a_failing_turn_is_answered_without_a_stack_trace(fallback, kb):
    guard, sink = make_guard(fallback), Sink()

    async def fail():
        raise RuntimeError("Traceback: connection refused to 127.0.0.1:5055")

    assert run(guard.turn("alex", "hi", fail, lambda: 0, sink)) == "error"
    assert [r.text for r in sink.sent] == [kb.say("technical_problem")]


def test_a_silent_turn_is_answered_and_a_turn_that_answered_is_left_alone(fallback):
    guard, sink = make_guard(fallback), Sink()

    async def nothing():
        return None

    assert run(guard.turn("alex", "hello", nothing, lambda: 0, sink)) == "silence"
    assert run(guard.turn("alex", "hello", nothing, lambda: 1, sink)) is None
    assert len(sink.sent) == 1


def test_a_flood_from_one_sender_is_throttled_while_another_is_served(fallback, kb):
    clock = [0.0]
    guard = Guard(fallback, 1, TokenBuckets(3, 30, clock=lambda: clock[0]), TokenBuckets(0, 1), ())
    results = [run(guard.admit("flood")) for _ in range(5)]
    assert results[:3] == [None, None, None]
    refused = results[3]
    assert refused.custom == {"type": "rate_limited", "retry_after": 10}
    assert refused.text == kb.say("rate_limited", seconds=10)
    assert run(guard.admit("someone-else")) is None
    clock[0] += 10  # one message every 10 s after the burst
    assert run(guard.admit("flood")) is None and run(guard.admit("flood")) is not None


def test_an_address_limit_covers_every_sender_id_from_it(fallback):
    guard = Guard(fallback, 1, TokenBuckets(0, 1), TokenBuckets(2, 60), ())
    assert run(guard.admit("a", "203.0.113.9")) is None and run(guard.admit("b", "203.0.113.9")) is None
    assert run(guard.admit("c", "203.0.113.9")) is not None
    assert run(guard.admit("d", "198.51.100.1")) is None


def test_forwarded_addresses_are_believed_only_from_trusted_proxies():
    import ipaddress

    trusted = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8")]
    # A client that writes its own X-Forwarded-For directly to the server is its peer address.
    assert client_address("203.0.113.9", "1.2.3.4", trusted) == "203.0.113.9"
    # Through our proxy: the right-most address the proxies did not add; a forged left part is ignored.
    assert client_address("127.0.0.1", "1.2.3.4, 203.0.113.9", trusted) == "203.0.113.9"
    assert client_address("127.0.0.1", "203.0.113.9, 10.1.2.3", trusted) == "203.0.113.9"
    assert client_address("127.0.0.1", None, trusted) == "127.0.0.1"
    assert client_address("127.0.0.1", "1.2.3.4", []) == "127.0.0.1"  # nothing trusted: headers ignored


@pytest.mark.parametrize(
    "argv, secret, refused",
    [
        (["/x/rasa", "run", "-i", "127.0.0.1"], "", False),
        (["/x/rasa", "run"], "", True),  # Rasa's default is every interface
        (["/x/rasa", "run", "--interface", "0.0.0.0"], "", True),
        (["/x/rasa", "run", "-i", "0.0.0.0"], "deployment-secret", False),  # exposed on purpose, senders vouched for
        (["/x/rasa", "run", "-i", "127.0.0.1", "--enable-api"], "", True),
        (["/x/rasa", "run", "-i", "127.0.0.1", "--enable-api", "--auth-token", "t0ken"], "", False),
        (["/x/rasa", "run", "-i", "::1", "--enable-api", "--jwt-secret", "s3cret"], "", False),
        (["/x/pytest", "tests/unit"], "", False),  # not a server
    ],
)
def test_the_server_refuses_to_start_exposed_or_with_an_open_api(argv, secret, refused):
    assert bool(startup_problems(argv, secret)) is refused
