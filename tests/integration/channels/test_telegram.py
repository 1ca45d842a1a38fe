"""The coach over Telegram, end to end: real Rasa and action servers, real-shaped Bot API updates
posted to /webhooks/telegram/webhook, every reply read back from the fake Bot API."""

from __future__ import annotations

import html
import json
import time

import pytest

from connectors import wording
from tests.integration.channels.fakes import telegram_buttons
from tests.integration.channels.helpers import (
    in_order,
    push_bot_message,
    screened,
    step_texts,
    stored_session,
    trigger_intent,
)
from tests.integration.channels.users import (
    TelegramUser,
    message_update,
    new_telegram_user_id,
    person,
    telegram_text,
)


def shown(calls) -> str:
    return html.unescape(telegram_text(calls))


def titles(call):
    return [b["text"] for b in telegram_buttons(call)]


# -- start-up ---------------------------------------------------------------------------------------
def test_the_server_started_without_calling_telegram_and_answers_updates(telegram_user, telegram_api):
    assert not telegram_api.since(0, "setWebhook") and not telegram_api.since(0, "getMe")
    replies = telegram_user.say("hi")  # the stock connector answered 500 here ("Event loop is closed")
    assert replies, "the update was answered"


# -- the conversation ------------------------------------------------------------------------------------
def test_start_greets_with_the_disclaimer_and_native_buttons(telegram_user, kb):
    greeting, consent = telegram_user.say("/start")  # answered first, then asked whether it may remember
    assert titles(consent) == ["Yes, remember me", "No, keep nothing"]
    assert greeting.params["parse_mode"] == "HTML"
    text = shown([greeting])
    assert text.startswith("Hi, I'm Psoas Coach") and kb.texts.disclaimer.strip()[:60] in " ".join(text.split())
    assert titles(greeting) == ["Tight from sitting", "Suggest a stretch", "What can you do?"]
    assert all(b["callback_data"] for b in telegram_buttons(greeting))


def test_a_limitation_leaves_stretches_out_and_says_why(telegram_user):
    text = shown(telegram_user.say("I can't kneel"))
    assert "Here's what I'd suggest" in text
    assert "I left out the half-kneeling hip flexor stretch" in text and "because you said you can't kneel" in text


def test_an_exercise_is_explained_step_by_step(telegram_user):
    text = shown(telegram_user.say("how do I do the bed stretch?"))
    assert "Hip flexor bed stretch" in text and "1. " in text and "Hold about" in text and "Common mistakes" in text


def test_screening_questions_are_answered_with_buttons_and_every_press_is_acknowledged(telegram_user, telegram_api):
    replies = telegram_user.say("let's start")
    assert "a few quick safety questions" in shown(replies)
    assert titles(replies[-1])[:2] == ["Yes", "No"]
    mark = telegram_api.mark()
    after_no = telegram_user.press("No", replies)
    answered = telegram_api.since(mark, "answerCallbackQuery")
    assert len(answered) == 1 and answered[0].params["callback_query_id"]
    assert "text" not in answered[0].params, "a silent acknowledgement, no error toast"
    [closed] = telegram_api.since(mark, "editMessageText")
    assert int(closed.params["message_id"]) == replies[-1].result["message_id"]
    assert closed.params["text"].endswith("\n\n✓ No"), "the chosen answer shows under the question"
    assert "reply_markup" not in closed.params, "and its buttons go: a second tap would answer the next question"
    assert after_no and titles(after_no[-1])[:2] == ["Yes", "No"], "the next question"
    assert shown(after_no) != shown(replies[-1:])


def test_a_payload_over_64_bytes_round_trips_through_a_short_key(telegram_user):
    [question] = telegram_user.say("I had a hip replacement")
    data = {b["text"]: b["callback_data"] for b in telegram_buttons(question)}
    assert data["In the last 3 months"].startswith("#k:") and len(data["In the last 3 months"].encode()) <= 64
    replies = telegram_user.press("In the last 3 months", [question])
    text = shown(replies)
    assert "surgeon" in text and wording.BUTTON_EXPIRED not in text, "the coach got the full /answer{…}"


def test_an_unknown_or_expired_key_is_answered_clearly(telegram_user, telegram_api):
    mark = telegram_api.mark()
    replies = telegram_user.tap("#k:AAAAAAAAAAAAAAAA")
    assert shown(replies) == wording.BUTTON_EXPIRED
    [answer] = telegram_api.since(mark, "answerCallbackQuery")
    assert answer.params["text"] == wording.BUTTON_EXPIRED_SHORT


def test_a_red_flag_puts_the_emergency_action_first(telegram_user):
    [alert] = telegram_user.say("my chest feels crushed and I can't breathe")
    assert alert.params["text"].startswith("<b>Please call 999"), "the action, bold, before anything else"


def test_an_image_in_a_bot_message_is_sent_as_a_photo(channel_servers, telegram_user, telegram_api):
    mark = telegram_api.mark()
    push_bot_message(channel_servers, str(telegram_user.id), "telegram", {"image": "https://example.org/chart.png"})
    [photo] = telegram_user.received(mark)
    assert photo.method == "sendPhoto" and photo.params["photo"] == "https://example.org/chart.png"


def test_server_started_messages_are_delivered(channel_servers, telegram_user):
    """trigger_intent answered 500 with the stock connector (asyncio.run inside the loop)."""
    telegram_user.say("hi")
    mark = telegram_user.fake.mark()
    reply = trigger_intent(channel_servers, str(telegram_user.id), "greet", "telegram")
    assert reply.status_code == 200, reply.text
    assert "Psoas Coach" in shown(telegram_user.received(mark))


# -- security and bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize("secret", [None, "", "wrong-secret", "test-secret_0123456789x"])
def test_updates_without_the_secret_token_are_refused_and_nothing_happens(telegram, telegram_api, secret):
    user = new_telegram_user_id()
    mark = telegram_api.mark()
    reply = telegram.post(message_update(user, "I can't kneel"), secret=secret)
    assert reply.status_code == 403
    time.sleep(0.3)
    assert not telegram_api.since(mark)


def test_updates_that_are_not_messages_are_ignored(telegram, telegram_api):
    user = new_telegram_user_id()
    mark = telegram_api.mark()
    chat_member = {
        "chat": {"id": user, "type": "private"},
        "from": person(user),
        "date": int(time.time()),
        "old_chat_member": {"user": person(telegram_api.bot_id), "status": "member"},
        "new_chat_member": {"user": person(telegram_api.bot_id), "status": "kicked"},
    }
    for update in (
        {"update_id": int(time.time() * 1000), "my_chat_member": chat_member},
        {"update_id": int(time.time() * 1000) + 1, "poll": {"id": "1", "question": "?", "options": []}},
        {"update_id": int(time.time() * 1000) + 2, "channel_post": {"message_id": 1, "text": "hi"}},
    ):
        assert telegram.post(update).status_code == 200
    assert not telegram_api.since(mark)


def test_an_edited_message_is_read_like_a_new_one(telegram_user):
    update = message_update(telegram_user.id, "I can't kneel")
    update["edited_message"] = update.pop("message")
    mark = telegram_user.fake.mark()
    assert telegram_user.webhook.post(update).status_code == 200
    assert "because you said you can't kneel" in shown(telegram_user.received(mark))


def test_the_same_update_delivered_twice_is_answered_once(telegram_user):
    update = message_update(telegram_user.id, "how do I do the bed stretch?")
    mark = telegram_user.fake.mark()
    assert telegram_user.webhook.post(update).status_code == 200
    assert telegram_user.webhook.post(update).status_code == 200
    received = telegram_user.received(mark)
    consent = [c for c in received if titles(c) == ["Yes, remember me", "No, keep nothing"]]
    assert len(received) - len(consent) == 1 and len(consent) == 1, "answered once, then asked about consent once"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "I didn't get any words"),
        ("   ", "I didn't get any words"),
        ("x " * 1500, "too long for me"),
    ],
)
def test_empty_and_huge_messages_are_answered_clearly(telegram_user, text, expected):
    assert expected in shown(telegram_user.say(text))


def test_unicode_and_nonsense_get_an_answer(telegram_user):
    for text in ("héllo 👋🏽 مرحبا 你好 <b>&amp;", "asdkjh qwe zzz"):
        replies = telegram_user.say(text)
        assert replies and all(c.params.get("text") for c in replies)


def test_a_photo_or_sticker_is_answered_with_what_the_coach_reads(telegram_user):
    replies = telegram_user.say(None, sticker={"file_id": "CAAC", "file_unique_id": "x", "type": "regular"})
    assert shown(replies) == wording.TEXT_ONLY


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"message": {"text": "hi"}}', "é".encode("latin-1")])
def test_malformed_bodies_get_400_and_nothing_happens(telegram, telegram_api, body):
    mark = telegram_api.mark()
    assert telegram.post(None, raw=body).status_code == 400
    assert not telegram_api.since(mark)


def test_with_telegram_down_the_update_is_acknowledged_and_the_next_one_works(telegram_user, telegram_api):
    telegram_api.down = True
    try:
        mark = telegram_api.mark()
        reply = telegram_user.webhook.post(message_update(telegram_user.id, "hi"))
        assert reply.status_code == 200, "a 500 would make Telegram redeliver it for hours"
        attempts = [c for c in telegram_api.since(mark) if c.method == "sendMessage"]
        # Two messages (the greeting, then the consent question): each tried once more, then dropped.
        assert len(attempts) == 4, "one retry per message, then the coach moves on"
    finally:
        telegram_api.down = False
    assert "Psoas Coach" in shown(telegram_user.say("hi"))


# -- groups: one person, one profile, nothing private in the group -------------------------------------------
GROUP = {"id": -1001234567890, "title": "Office stretch club", "type": "supergroup"}


def group_message(user_id: int, text: str):
    return message_update(user_id, text, chat=GROUP)


def test_in_a_group_the_coach_answers_in_private_and_posts_only_a_pointer(telegram, telegram_api):
    user = new_telegram_user_id()
    mark = telegram_api.mark()
    update = group_message(user, "@psoas_test_bot I can't kneel")
    assert telegram.post(update).status_code == 200
    private = telegram_api.sent_to(user, mark)
    in_group = telegram_api.sent_to(GROUP["id"], mark)
    assert "because you said you can't kneel" in shown(private)
    assert [c.params["text"] for c in in_group] == [wording.SENT_PRIVATELY_TELEGRAM]
    assert int(in_group[0].params["reply_to_message_id"]) == update["message"]["message_id"]


def test_group_talk_not_meant_for_the_coach_is_not_read(telegram, telegram_api):
    user = new_telegram_user_id()
    mark = telegram_api.mark()
    for text in ("my hip is so tight today", "/start@some_other_bot"):
        assert telegram.post(group_message(user, text)).status_code == 200
    assert not telegram_api.since(mark)


def test_in_a_group_a_person_the_bot_cannot_message_is_told_how_to_open_a_private_chat(telegram, telegram_api):
    user = new_telegram_user_id()
    telegram_api.unreachable.add(user)
    mark = telegram_api.mark()
    assert telegram.post(group_message(user, "/start@psoas_test_bot")).status_code == 200
    in_group = telegram_api.sent_to(GROUP["id"], mark)
    assert [c.params["text"] for c in in_group] == [wording.OPEN_PRIVATE_CHAT_TELEGRAM.format(bot="psoas_test_bot")]
    assert "t.me/psoas_test_bot" in in_group[0].params["text"]


def test_the_profile_is_the_person_not_the_group(telegram, telegram_api):
    kneels_not, kneels = new_telegram_user_id(), new_telegram_user_id()
    telegram.post(group_message(kneels_not, "@psoas_test_bot I can't kneel"))
    mark = telegram_api.mark()
    telegram.post(group_message(kneels, "@psoas_test_bot suggest a stretch"))
    assert "can't kneel" not in shown(telegram_api.sent_to(kneels, mark)), "someone else's limit"
    mark = telegram_api.mark()
    TelegramUser(telegram, kneels_not).say("suggest a stretch")  # the same person, now in private
    assert "because you said you can't kneel" in shown(telegram_api.sent_to(kneels_not, mark))


# -- the paced session ----------------------------------------------------------------------------------
def wait_for_text(user: TelegramUser, piece: str, since: int, timeout: float = 30):
    return user.fake.wait_for(
        lambda c: str(c.params.get("chat_id")) == str(user.id) and piece in html.unescape(str(c.params.get("text"))),
        since=since,
        timeout=timeout,
    )


def test_a_whole_session_is_pushed_in_order(channel_servers, telegram_user, kb):
    screened(channel_servers, str(telegram_user.id))
    mark = telegram_user.fake.mark()
    telegram_user.say("let's start")
    wait_for_text(telegram_user, "How did that feel", mark, timeout=90)
    messages = telegram_user.received(mark)
    texts = [html.unescape(str(c.params.get("text"))) for c in messages]
    state = stored_session(channel_servers, str(telegram_user.id))
    assert state is not None and state.status == "done"
    assert not in_order(texts, step_texts(state)), "every step, in the plan's order"
    assert in_order(texts, ["Get ready", "Hold for", "Halfway", "Five more seconds", "switch to the right side"]) == []
    assert any("rest" in t.lower() for t in texts)
    assert [c.at for c in messages] == sorted(c.at for c in messages)
    assert titles(messages[-1]) == ["3", "5", "7", "9"]
    time.sleep(1.0)
    assert len(telegram_user.received(mark)) == len(messages), "nothing after the end"


def start_and_reach_the_first_hold(servers, user: TelegramUser) -> int:
    screened(servers, str(user.id))
    mark = user.fake.mark()
    user.say("let's start")
    wait_for_text(user, "Hold for", mark)
    return mark


def test_pause_stops_the_cues_and_resume_restarts_them(channel_servers, telegram_user):
    start_and_reach_the_first_hold(channel_servers, telegram_user)
    paused = telegram_user.say("pause")
    assert "Paused" in shown(paused) and titles(paused[-1]) == ["Resume", "Stop"]
    mark = telegram_user.fake.mark()
    time.sleep(2.0)
    assert not telegram_user.received(mark), "no cue while paused"
    telegram_user.press("Resume", paused)
    wait_for_text(telegram_user, "Halfway", mark, timeout=10)


def test_stop_ends_the_session_with_no_cue_after(channel_servers, telegram_user):
    start_and_reach_the_first_hold(channel_servers, telegram_user)
    stopped = telegram_user.say("stop")
    assert "we'll stop here" in shown(stopped)
    mark = telegram_user.fake.mark()
    time.sleep(2.0)
    assert not telegram_user.received(mark)


def test_pain_words_mid_hold_stop_the_stretch(channel_servers, telegram_user, kb):
    start_and_reach_the_first_hold(channel_servers, telegram_user)
    replies = telegram_user.say("ouch, sharp pain in my hip")
    assert replies
    mark = telegram_user.fake.mark()
    time.sleep(1.5)
    assert not telegram_user.received(mark), "the hold's timers were cancelled"


def test_a_red_flag_mid_session_ends_it_and_no_cue_follows_the_emergency_reply(channel_servers, telegram_user):
    start_and_reach_the_first_hold(channel_servers, telegram_user)
    replies = telegram_user.say("my chest feels crushed and I can't breathe")
    alert = next(c for c in replies if "Please call 999" in str(c.params.get("text")))
    assert alert.params["text"].startswith("<b>Please call 999")
    time.sleep(2.0)
    later = [c for c in telegram_user.received() if c.at > alert.at]
    assert not later, [telegram_user.fake.describe(c) for c in later]


def test_export_my_data_arrives_as_files(telegram_user):
    """Telegram takes files: "export my data" uploads the JSON and the PDF as documents."""
    telegram_user.say("hi")
    telegram_user.say("yes, remember me")
    telegram_user.say("I can't kneel")
    sent = telegram_user.say("export my data")
    documents = {
        c.params["_files"]["document"][0]: c.params["_files"]["document"][1] for c in sent if c.method == "sendDocument"
    }
    assert set(documents) == {"psoas-coach-data.json", "psoas-coach-summary.pdf"}
    assert documents["psoas-coach-summary.pdf"].startswith(b"%PDF")
    assert json.loads(documents["psoas-coach-data.json"])["profile"]["limitations"][0]["id"] == "no_kneeling"
