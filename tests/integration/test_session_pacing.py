"""Paced guided sessions with the real reminder machinery, at COACH_TIME_SCALE=0.02.

Over socket.io the server pushes every cue; over REST each step carries its seconds and the
user (or client) says "ready". A restart mid-session loses Rasa's in-memory reminders, and
the coach offers to carry on from where it was stored.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from coach.store import create_db_engine
from coach.store.privacy import PrivacyStore
from coach.store.profiles import ProfileStore
from tests.integration.conftest import Chat
from tests.integration.socket_client import WebUser, is_step

SCALE = 0.02
LATE_TOLERANCE = 0.8  # seconds: generous for CI; real lateness is measured by scripts/benchmark_pacing.py


def screened(servers, user_id: str) -> str:
    """Skips the screening form: these tests are about pacing, for a user who said the coach may
    remember them (so the stored screening counts)."""
    engine = create_db_engine(servers.env["DATABASE_URL"])
    PrivacyStore(engine).grant(user_id, "test")
    ProfileStore(engine).save_screening(user_id, {}, "PROCEED")
    return user_id


async def first_hold(user: WebUser) -> dict:
    await user.say("let's start")
    return await user.wait_for(is_step("hold"), timeout=10)


async def test_a_whole_session_is_pushed_in_order_and_on_time(servers):
    async with WebUser(servers.url, screened(servers, uuid.uuid4().hex)) as user:
        await user.say("let's start")
        first = await user.wait_for(is_step("get_ready"))
        assert first["custom"]["pace"] == "server"
        await user.wait_for(is_step("done"), timeout=90)
        steps = user.steps()
        phases = [s["custom"]["phase"] for s in steps]
        exercises = list(dict.fromkeys(s["custom"]["exercise_id"] for s in steps))
        assert len(exercises) == 2, "a two-stretch session"
        assert phases[0] == "get_ready" and phases[1] == "hold" and phases[-1] == "done"
        assert "halfway" in phases and "switch_sides" in phases
        # Timing: each pushed cue comes when the previous step's timer says it should.
        for before, after in zip(steps, steps[1:], strict=False):
            c = before["custom"]
            if c.get("cue") in (None,) and c["phase"] in ("get_ready", "rest", "switch_sides"):
                expected = c["seconds"] * SCALE
                gap = after["at"] - before["at"]
                assert expected - 0.05 <= gap <= expected + LATE_TOLERANCE, (c, gap)
        # The first hold of each stretch asks where the user feels it.
        check_ins = [s for s in steps if s["custom"].get("cue") == "halfway" and s.get("quick_replies")]
        assert len(check_ins) == 2
        # No cue after the end.
        done_at = steps[-1]["at"]
        await asyncio.sleep(1.0)
        assert not [m for m in user.steps(since=done_at + 0.001) if m["custom"]["phase"] != "done"]


async def test_pause_stops_the_clock_and_resume_restarts_it(servers):
    async with WebUser(servers.url, screened(servers, uuid.uuid4().hex)) as user:
        await first_hold(user)
        await user.say("pause")
        paused = await user.wait_for(lambda m: (m.get("custom") or {}).get("paused") is True)
        await asyncio.sleep(2.0)  # several holds' worth of scaled time
        assert not user.steps(since=paused["at"] + 0.001), "no cue while paused"
        await user.say("resume")
        resumed = await user.wait_for(lambda m: (m.get("text") or "").startswith("Let's carry on"))
        await user.wait_for(lambda m: m["at"] > resumed["at"] and is_step("halfway")(m), timeout=10)


async def test_no_cue_ever_arrives_after_stop(servers):
    async with WebUser(servers.url, screened(servers, uuid.uuid4().hex)) as user:
        await first_hold(user)
        await user.say("stop")
        stopped = await user.wait_for(lambda m: (m.get("custom") or {}).get("stopped") is True)
        await asyncio.sleep(2.0)
        late = [m for m in user.steps(since=stopped["at"] + 0.001)]
        assert not late, [WebUser.describe(m) for m in late]


async def test_skip_moves_to_the_next_stretch(servers):
    async with WebUser(servers.url, screened(servers, uuid.uuid4().hex)) as user:
        first = await first_hold(user)
        await user.say("skip this one")
        skipped = await user.wait_for(lambda m: (m.get("text") or "").startswith("Skipping"))
        assert skipped["custom"]["exercise_id"] != first["custom"]["exercise_id"]


async def test_pain_mid_hold_stops_the_stretch_at_once(servers):
    async with WebUser(servers.url, screened(servers, uuid.uuid4().hex)) as user:
        await first_hold(user)
        await user.say("ouch, sharp pain in my hip")
        safety = await user.wait_for(lambda m: (m.get("custom") or {}).get("type") == "safety")
        assert safety["custom"]["outcome"] == "STOP-STRETCH" and safety["custom"]["decision"] == "stop"
        await asyncio.sleep(1.5)
        assert not user.steps(since=safety["at"] + 0.001), "the hold's timers were cancelled"


async def test_a_red_flag_mid_session_ends_it_with_no_cue_after(servers):
    async with WebUser(servers.url, screened(servers, uuid.uuid4().hex)) as user:
        await first_hold(user)
        await user.say("my chest feels crushed and I can't breathe")
        alert = await user.wait_for(lambda m: (m.get("custom") or {}).get("urgency") == "emergency")
        await asyncio.sleep(2.0)
        assert not user.steps(since=alert["at"] + 0.001), "no session cue after an emergency"


def test_rest_sessions_are_paced_by_the_client(servers, chat):
    screened(servers, chat.sender)
    reply = chat.say("let's start")
    phases = []
    for _ in range(80):
        steps = Chat.payloads(reply, "session_step")
        assert steps, Chat.text(reply)
        assert all(s["pace"] == "client" and s["seconds"] >= 0 for s in steps)
        phases += [s["phase"] for s in steps]
        if phases[-1] == "done":
            break
        reply = chat.say("next")
    assert phases[0] == "get_ready" and phases[-1] == "done" and "switch_sides" in phases


async def test_a_restart_mid_session_resumes_where_it_was(tmp_path, kb):
    from coach.store import knowledge as kb_store
    from tests.integration.servers import ensure_model, running

    ensure_model()
    url = f"sqlite:///{tmp_path / 'coach.sqlite3'}"
    kb_store.save(create_db_engine(url), kb)
    with running(tmp_path, url) as servers:
        async with WebUser(servers.url, screened(servers, uuid.uuid4().hex)) as user:
            hold = await first_hold(user)
            await user.say("pause")
            await user.wait_for(lambda m: (m.get("custom") or {}).get("paused") is True)
        session_id = user.session_id
        servers.stop_rasa()  # reminders live in memory: they are gone now
        started = time.monotonic()
        servers.start_rasa()
        async with WebUser(servers.url, session_id) as user:
            await user.say("hello?")
            back = await user.wait_for(lambda m: (m.get("text") or "").startswith("Welcome back"))
            assert back["custom"]["exercise_id"] == hold["custom"]["exercise_id"]
            await user.say("resume")
            await user.wait_for(is_step("halfway"), timeout=10)
        assert time.monotonic() - started < 120
