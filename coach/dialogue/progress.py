""" "How am I doing?": the figures from the user's history (coach/progress.py) in words, with a
chart (coach/progress_chart.py) served from the Rasa server for the web page, Telegram and
Slack, and a `progress` payload (docs/api.md)."""

from __future__ import annotations

from datetime import timezone

from coach import clock, settings
from coach.dialogue.context import TurnContext
from coach.progress import chart_alt, describe, summarise
from coach.reminders.schedule import zone

CHART_PATH = "/webhooks/web/charts/{token}.png"


def chart_url(token: str) -> str:
    return settings.chart_base_url() + CHART_PATH.format(token=token)


def how_am_i_doing(ctx: TurnContext) -> None:
    c = ctx.coach
    prefs = c.reminders.prefs(ctx.sender)
    now = clock.now()
    progress = summarise(c.history.history(ctx.sender), now, zone(prefs.zone) if prefs.zone else timezone.utc)
    text = describe(progress, ctx.words)
    if progress.sessions_total == 0:
        ctx.say(text, buttons=[(ctx.words("button_start_session"), "/start_session")], custom=progress.payload())
        return
    from coach.progress_chart import render_png

    png = render_png(
        progress,
        ctx.words("progress_chart_title"),
        ctx.words("progress_chart_minutes"),
        ctx.words("progress_chart_rating"),
    )
    url = chart_url(c.history.save_chart(ctx.sender, png))
    alt = chart_alt(progress, ctx.words)
    reply = ctx.say(
        text, buttons=[(ctx.words("button_start_session"), "/start_session")], custom=progress.payload(url, alt)
    )
    reply.image = url
