"""A reminder set on Telegram or Slack is pushed there by the scheduler, through Rasa's
trigger_intent with the API token (the real servers, the platforms' fake APIs): once, with
its buttons, and a second tick sends nothing."""

from __future__ import annotations

import html

from coach.reminders.scheduler import AlwaysLeader, RasaDelivery, Scheduler
from coach.store import create_db_engine
from coach.store.reminders import ReminderStore
from tests.integration.channels.fakes import slack_text
from tests.integration.channels.helpers import API_TOKEN, screened
from tests.integration.channels.users import telegram_text


def scheduler_at_due(servers, user_id: str, channel: str):
    store = ReminderStore(create_db_engine(servers.env["DATABASE_URL"]))
    (reminder,) = store.for_user(user_id)
    assert reminder.channel == channel
    due = reminder.next_due
    scheduler = Scheduler(
        store,
        RasaDelivery(servers.url, API_TOKEN),
        AlwaysLeader(),
        f"test-{channel}",
        now=lambda: due,
    )
    return scheduler, reminder


def test_a_reminder_set_on_telegram_is_pushed_there_once(channel_servers, telegram_user):
    screened(channel_servers, str(telegram_user.id))  # reminders are kept only for users who said yes
    set_reply = html.unescape(telegram_text(telegram_user.say("remind me every weekday at 10 London time")))
    assert "I'll remind you on weekdays at 10:00 (Europe/London)" in set_reply
    scheduler, reminder = scheduler_at_due(channel_servers, str(telegram_user.id), "telegram")
    mark = telegram_user.fake.mark()
    assert scheduler.tick().sent == [f"reminder:{reminder.id}:{reminder.next_due.isoformat()}"]
    pushed = telegram_user.fake.wait_for(lambda c: "hip-flexor stretch" in str(c.params.get("text")), since=mark)
    assert pushed.params["chat_id"] in (telegram_user.id, str(telegram_user.id))
    assert "Snooze an hour" in str(pushed.params.get("reply_markup"))
    assert scheduler.tick().sent == []
    assert len([c for c in telegram_user.received(mark) if "hip-flexor stretch" in str(c.params.get("text"))]) == 1


def test_a_reminder_set_on_slack_is_pushed_to_the_dm_once(channel_servers, slack_user, slack_api):
    screened(channel_servers, slack_user.id)
    replies = slack_user.say("remind me every day at 6pm in New York")
    assert any("I'll remind you every day at 18:00 (America/New_York)" in slack_text(c) for c in replies)
    scheduler, reminder = scheduler_at_due(channel_servers, slack_user.id, "slack")
    mark = slack_api.mark()
    assert scheduler.tick().sent
    pushed = slack_user.replies(mark)
    assert any("hip-flexor stretch" in slack_text(c) for c in pushed)
    assert scheduler.tick().sent == []
