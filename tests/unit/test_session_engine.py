"""The guided-session state machine in the core: plans, cues, transitions, progression."""

from __future__ import annotations

import pytest

from coach.catalog import Catalog
from coach.service import Coach
from coach.session import GET_READY_SECONDS, Session, SessionState, build_plan, cues_for

TWO = ["standing_hip_flexor_stretch", "glute_bridge"]


@pytest.fixture()
def catalog(kb):
    return Catalog(kb)


def test_plan_order_sides_reps_and_default_holds(catalog, kb):
    steps = build_plan(catalog, TWO)
    standing, bridge = kb.exercises[TWO[0]], kb.exercises[TWO[1]]
    holds = [s for s in steps if s.phase == "hold"]
    assert [s.exercise_id for s in holds] == [standing.id] * (2 * standing.reps_per_side) + [bridge.id] * (
        (2 if bridge.per_side else 1) * bridge.reps_per_side
    )
    assert {s.side for s in holds if s.exercise_id == standing.id} == {"left", "right"}
    assert all(s.seconds == standing.hold_seconds.default for s in holds if s.exercise_id == standing.id)
    assert steps[0].phase == "get_ready" and steps[0].seconds == GET_READY_SECONDS
    assert steps[-1].phase == "done"
    assert [s.phase for s in steps].count("switch_sides") == 1 + int(bridge.per_side)


def test_older_adults_hold_longer(catalog, kb):
    default = kb.exercises[TWO[0]].hold_seconds
    older = [s.seconds for s in build_plan(catalog, TWO[:1], older_adult=True) if s.phase == "hold"]
    assert all(30 <= s <= default.max for s in older)


def total(steps) -> int:
    return sum(s.seconds for s in steps)


@pytest.mark.parametrize("minutes", [8, 5, 3, 2, 1.5])
@pytest.mark.parametrize("older_adult", [False, True])
def test_the_whole_plan_fits_the_time_the_user_has(catalog, kb, minutes, older_adult):
    full = build_plan(catalog, TWO, older_adult)
    plan = build_plan(catalog, TWO, older_adult, minutes=minutes)
    assert total(plan) <= minutes * 60 or total(full) <= minutes * 60 and plan == full
    holds = [s for s in plan if s.phase == "hold"]
    assert holds and all(s.seconds >= kb.exercises[s.exercise_id].hold_seconds.min for s in holds)
    if older_adult:
        assert all(s.seconds >= 30 for s in holds), "never below 30 s for older adults (ACSM)"
    assert plan[-1].phase == "done"


def test_time_shortens_holds_first_then_reps_then_stretches(catalog):
    full = build_plan(catalog, TWO)
    assert build_plan(catalog, TWO, minutes=60) == full, "plenty of time changes nothing"
    cut = total(full) - 40  # a little short: the same stretches and reps, shorter holds
    trimmed = build_plan(catalog, TWO, minutes=cut / 60)
    assert [(s.exercise_id, s.side, s.rep, s.phase) for s in trimmed] == [
        (s.exercise_id, s.side, s.rep, s.phase) for s in full
    ]
    assert total(trimmed) <= cut
    tiny = build_plan(catalog, TWO, minutes=0.5)  # less than anything useful: the smallest plan
    assert len({s.exercise_id for s in tiny}) == 1 and max(s.rep for s in tiny) == 1


def test_cues_of_a_hold(catalog):
    hold = next(s for s in build_plan(catalog, TWO) if s.phase == "hold")
    kinds = [(c.kind, c.at_seconds) for c in cues_for(catalog.kb, hold)]
    assert kinds == [("halfway", hold.seconds / 2), ("last", hold.seconds - 5), ("end", hold.seconds)]
    assert "Where do you feel it" in cues_for(catalog.kb, hold, check_in=True)[0].text
    ready = build_plan(catalog, TWO)[0]
    assert [c.kind for c in cues_for(catalog.kb, ready)] == ["end"]


def test_transitions_pause_resume_skip_stop(catalog):
    state = SessionState(steps=build_plan(catalog, TWO))
    session = Session(state)
    hold = session.advance()
    assert hold.phase == "hold"
    session.pause()
    assert state.status == "paused" and session.resume() is hold and state.status == "running"
    session.advance()
    assert state.completed_holds == [
        {"exercise_id": hold.exercise_id, "side": hold.side, "rep": 1, "seconds": hold.seconds}
    ]
    nxt = session.skip_exercise()
    assert nxt.exercise_id == TWO[1] and nxt.phase == "get_ready"
    session.stop()
    assert state.finished and state.status == "stopped"
    session.pause()
    assert state.status == "stopped", "a stopped session cannot be paused back to life"


def test_a_stretch_stopped_for_a_symptom_is_not_taken_up_again(catalog):
    state = SessionState(steps=build_plan(catalog, TWO))
    session = Session(state)
    session.advance()  # holding the first stretch
    session.stop_for_symptom()
    assert state.status == "paused" and state.stopped_for_symptom == [TWO[0]]
    resumed = session.resume()
    assert resumed.exercise_id == TWO[1] and resumed.phase == "get_ready", "resume moves past it"
    session.stop_for_symptom()
    assert session.resume().phase == "done" and state.finished, "nothing left: the session ends"
    assert SessionState.from_dict(state.to_dict()) == state


def test_a_session_stored_before_the_field_existed_still_loads(catalog):
    data = SessionState(steps=build_plan(catalog, TWO)).to_dict()
    del data["stopped_for_symptom"]
    assert SessionState.from_dict(data).stopped_for_symptom == []


def test_state_round_trips_through_json(catalog):
    state = SessionState(steps=build_plan(catalog, TWO), index=3, timer_token="abc", checked_in=[TWO[0]])
    assert SessionState.from_dict(state.to_dict()) == state


def test_ratings_adapt_the_next_session_and_say_why(loaded_engine, kb):
    c = Coach(kb, loaded_engine)
    from coach.safety.triage import Decision

    first = c.start_session("u", Decision())
    base = [s.seconds for s in first.steps if s.phase == "hold"]
    first.status = "done"
    assert "longer" in c.record_rating("u", first, "9")
    second = c.start_session("u", Decision())
    assert [s.seconds for s in second.steps if s.phase == "hold"] > base
    assert "rated last time 9 out of 10" in c.session_preview("u", second)
    assert "It fits the 5 minutes you have" in c.session_preview("u", c.start_session("u", Decision(), 5), 5)
    assert "shortest useful session" in c.session_preview("u", c.start_session("u", Decision(), 0.5), 0.5)
    assert "shorter" in c.record_rating("u", second, "2/10")
    assert c.record_rating("u", second, "not a number").startswith("Thanks for telling me")


def _holds(state: SessionState):
    return [s.seconds for s in state.steps[state.index :] if s.phase == "hold"]


@pytest.mark.parametrize("hold_adjust", [-10, -5, 0, 15])
@pytest.mark.parametrize("first", ["standing_hip_flexor_stretch", "glute_bridge", "hip_flexor_bed_stretch"])
def test_the_older_adult_minimum_survives_every_session_change(catalog, first, hold_adjust):
    """A 30 s minimum for people over 65 (ACSM): planning, a learnt adjustment from ratings,
    swaps to easier or harder stretches and shorter holds never take a hold below it."""
    state = SessionState(steps=build_plan(catalog, [first], older_adult=True, hold_adjust=hold_adjust))
    session = Session(state)
    assert min(_holds(state)) >= 30
    for _ in range(3):
        session.change_holds(catalog, -10, older_adult=True)
        assert min(_holds(state)) >= 30
    for relation in ("progressions", "regressions", "progressions"):
        options = getattr(catalog.get(state.current.exercise_id), relation)
        if options:
            session.swap(catalog, options[0], older_adult=True, hold_adjust=hold_adjust)
            assert min(_holds(state)) >= 30, f"after a swap to {options[0]}"
            session.change_holds(catalog, -10, older_adult=True)
            assert min(_holds(state)) >= 30
    for minutes in (1.5, 3, 5):
        assert (
            min(
                s.seconds
                for s in build_plan(catalog, [first], True, minutes, hold_adjust=hold_adjust)
                if s.phase == "hold"
            )
            >= 30
        )


def test_shorter_holds_for_younger_adults_stop_at_the_stretch_minimum(catalog):
    state = SessionState(steps=build_plan(catalog, TWO))
    session = Session(state)
    for _ in range(6):
        session.change_holds(catalog, -10)
    for step in state.steps:
        if step.phase == "hold":
            assert step.seconds == catalog.get(step.exercise_id).hold_seconds.min
            assert f"Hold for {step.seconds} seconds" in step.text


def test_a_stored_session_round_trips_and_an_unknown_phase_or_status_is_refused(catalog):
    state = SessionState(build_plan(catalog, TWO))
    assert SessionState.from_dict(state.to_dict()) == state
    broken_phase = state.to_dict()
    broken_phase["steps"][1]["phase"] = "hodl"
    with pytest.raises(ValueError, match="hodl"):
        SessionState.from_dict(broken_phase)
    with pytest.raises(ValueError, match="finished"):
        SessionState.from_dict(dict(state.to_dict(), status="finished"))
