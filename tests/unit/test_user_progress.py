"""Progress from a seeded history: sessions this week and month, minutes, the trend of how it
felt, left/right differences reported, gentle streaks, the chart as a real PNG, and the same
through the door with the history the guided sessions themselves record."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from coach.clock import clock_setting
from coach.dialogue.door import Conversation
from coach.dialogue.model import Turn
from coach.progress import SessionRecord, describe, summarise
from coach.progress_chart import HEIGHT_PX, WIDTH_PX, render_png
from coach.service import Coach

# Thursday 10 December 2026, 12:00 UTC.
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=timezone.utc)


def session(days_ago: float, minutes: float, rating=None, pain=(), little=(), holds=("left", "right")):
    return SessionRecord(
        started_at=NOW - timedelta(days=days_ago),
        status="done",
        seconds=int(minutes * 60),
        holds=[{"exercise_id": "half_kneeling_hip_flexor", "side": s, "seconds": 30, "rep": 1} for s in holds],
        rating=rating,
        pain=[{"exercise_id": "half_kneeling_hip_flexor", "side": s} for s in pain],
        feelings=[{"exercise_id": "half_kneeling_hip_flexor", "side": s, "feel": "nothing"} for s in little],
    )


SEEDED = [
    session(40, 10, rating=4),  # October: not this month
    session(9, 6, rating=4, pain=["left"]),  # 1 December
    session(5, 8, rating=5, pain=["left"]),  # Saturday 5th: this month, last week
    session(2, 5, rating=7, little=["right"]),  # Tuesday: this week
    session(1, 7, rating=8, pain=["left"]),  # Wednesday
    session(0.1, 4, rating=8),  # today
    SessionRecord(started_at=NOW - timedelta(hours=1), status="stopped", seconds=0),  # opened and left at once
]


@pytest.fixture()
def say(kb):
    return kb.say


def test_figures_from_a_seeded_history():
    p = summarise(SEEDED, NOW, timezone.utc)
    assert (p.sessions_total, p.sessions_week, p.sessions_month) == (6, 3, 5)
    assert p.minutes_total == pytest.approx(40)
    assert p.minutes_week == pytest.approx(16)
    assert p.ratings == [4, 4, 5, 7, 8, 8]
    assert (p.rating_trend, p.rating_before, p.rating_after) == ("up", pytest.approx(13 / 3), pytest.approx(23 / 3))
    assert (p.sides["left"].pain, p.sides["right"].pain) == (3, 0)
    assert (p.sides["left"].felt_little, p.sides["right"].felt_little) == (0, 1)
    assert p.sides["left"].holds == p.sides["right"].holds == 6
    assert (p.active_days_last_7, p.streak_days) == (4, 3)
    assert sum(p.daily_minutes.values()) == pytest.approx(30)  # the October one is outside the 28 days


def test_the_words_say_what_was_achieved(say):
    text = describe(summarise(SEEDED, NOW, timezone.utc), say)
    assert "This week: 3 sessions. This month: 5 sessions. 6 sessions in all, 40 minutes" in text
    assert "4 of the last 7 days" in text and "3 days in a row" in text
    assert "gone up, from about 4.3 to 7.7 out of 10" in text
    assert "pain on your left side 3 times, and on your right side not at all" in text
    assert "less on your right side (once)" in text


def test_a_missed_week_is_never_held_against_anyone(say):
    text = describe(summarise([session(12, 5, rating=6)], NOW, timezone.utc), say)
    assert "last session was on 28 Nov" in text and "Every session counts" in text
    for harsh in ("missed", "broke", "lost", "failed", "only"):
        assert harsh not in text.lower()
    assert "nothing to show" in describe(summarise([], NOW, timezone.utc), say)


def test_local_days_decide_the_week(say):
    # 23:30 UTC on Sunday 6 Dec is already Monday in Auckland: this week there, last week in UTC.
    late_sunday = SessionRecord(datetime(2026, 12, 6, 23, 30, tzinfo=timezone.utc), seconds=300)
    from zoneinfo import ZoneInfo

    assert summarise([late_sunday], NOW, timezone.utc).sessions_week == 0
    assert summarise([late_sunday], NOW, ZoneInfo("Pacific/Auckland")).sessions_week == 1


def test_the_chart_is_a_small_png(say):
    png = render_png(summarise(SEEDED, NOW, timezone.utc), "Your stretching", "minutes", "how it felt")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and 5_000 < len(png) < 200_000
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.size == (WIDTH_PX, HEIGHT_PX)
    colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 10  # bars, dots and labels, not a blank canvas


# -- through the door, with the history guided sessions record -------------------------------------
def test_how_am_i_doing_after_a_real_session(loaded_engine, kb, monkeypatch):
    monkeypatch.setenv("COACH_TIME_SCALE", "1")
    monkeypatch.setenv("COACH_CLOCK", clock_setting(NOW))
    monkeypatch.setenv("COACH_PUBLIC_URL", "https://coach.example")
    coach = Coach(kb, loaded_engine)
    door = Conversation(coach)

    def says(text, intent, **entities):
        turn = Turn("p1", text, intent, entities={k: [v] for k, v in entities.items()}, channel="rest")
        return door.handle(turn)

    first = says("how am I doing?", "ask_progress")
    assert first.replies[0].custom["sessions_total"] == 0 and first.replies[0].image is None
    state = coach.start_session("p1", coach.standing("p1"))
    assert state is not None
    from coach.session import Session

    run = Session(state)
    while state.current.phase != "hold":
        run.advance()
    if state.current.side:
        state.note("pain", "pain")
    while not state.finished:
        run.advance()
    state.rating = 7
    coach.sessions.save("p1", state)

    result = says("how am I doing?", "ask_progress")
    reply = result.replies[0]
    body = reply.custom
    assert body["type"] == "progress" and body["sessions_total"] == body["sessions_week"] == 1
    assert body["ratings"] == [7] and body["minutes_total"] > 0
    assert reply.image == body["chart"] and body["chart"].startswith("https://coach.example/webhooks/web/charts/")
    token = body["chart"].rsplit("/", 1)[1][: -len(".png")]
    png = coach.history.chart(token)
    assert png is not None and Image.open(io.BytesIO(png)).size == (WIDTH_PX, HEIGHT_PX)
    assert body["alt"] and "minutes" in body["alt"]


def test_the_chart_goes_out_as_a_picture_on_telegram_and_slack(loaded_engine, kb, monkeypatch):
    from connectors.render import BotMessage
    from connectors.render import slack as slack_render
    from connectors.render import telegram as telegram_render

    monkeypatch.setenv("COACH_CLOCK", clock_setting(NOW))
    monkeypatch.setenv("COACH_PUBLIC_URL", "https://coach.example")
    coach = Coach(kb, loaded_engine)
    for n, rec in enumerate(SEEDED):
        coach.history.add("p2", f"s{n}", rec)
    coach.privacy.grant("p2", "test wording")  # a stored history means they said yes
    (reply,) = Conversation(coach).handle(Turn("p2", "how am I doing?", "ask_progress", channel="telegram")).replies
    message = BotMessage.from_rasa(
        {
            "text": reply.text,
            "image": reply.image,
            "custom": reply.custom,
            "buttons": [{"title": "Start", "payload": "/x"}],
        }
    )
    calls = telegram_render.render(message, 42)
    photo = next(c for c in calls if c.method == "sendPhoto")
    assert photo.params["photo"] == reply.image and reply.image.startswith("https://coach.example/webhooks/web/charts/")
    blocks = [b for m in slack_render.render(message) for b in m["blocks"]]
    assert any(b["type"] == "image" and b["image_url"] == reply.image for b in blocks)
