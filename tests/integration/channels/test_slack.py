"""The coach over Slack, end to end: real Rasa and action servers, signed Events API and
interactivity requests posted to /webhooks/slack/webhook, every reply read back from the fake
Slack Web API."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from connectors import wording
from tests.integration.channels.fakes import slack_buttons, slack_text
from tests.integration.channels.helpers import (
    in_order,
    push_bot_message,
    screened,
    step_texts,
    stored_session,
    trigger_intent,
)
from tests.integration.channels.users import BOT_USER, SlackUser, dm_event, mention_event


def shown(calls) -> str:
    return "\n\n".join(slack_text(c) for c in calls).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def titles(call):
    return [b["text"]["text"] for b in slack_buttons(call)]


def quiet(slack_api, mark: int, seconds: float = 1.0):
    time.sleep(seconds)
    return slack_api.since(mark)


CONSENT_TITLES = ["Yes, remember me", "No, keep nothing"]


def answers(calls):
    """The replies to what the person said, without the consent question that follows a first answer."""
    return [c for c in calls if titles(c) != CONSENT_TITLES]


# -- the conversation ------------------------------------------------------------------------------------
def test_a_direct_message_is_answered_there_with_block_kit_and_no_as_user(slack_user, kb):
    greeting, consent = slack_user.say("hi")  # answered first, then asked whether it may remember
    assert titles(consent) == ["Yes, remember me", "No, keep nothing"]
    assert greeting.params["channel"] == slack_user.dm
    assert "as_user" not in greeting.params, "a legacy argument new Slack apps refuse"
    assert shown([greeting]).startswith("Hi, I'm Psoas Coach") and greeting.params["text"]
    assert kb.texts.disclaimer.strip()[:60] in " ".join(shown([greeting]).split())
    assert titles(greeting) == ["Tight from sitting", "Suggest a stretch", "What can you do?"]


def test_a_limitation_leaves_stretches_out_and_says_why(slack_user):
    text = shown(slack_user.say("I can't kneel"))
    assert "I left out the half-kneeling hip flexor stretch" in text and "because you said you can't kneel" in text


def test_an_exercise_is_explained_step_by_step(slack_user):
    text = shown(slack_user.say("how do I do the bed stretch?"))
    assert "Hip flexor bed stretch" in text and "Hold about" in text


def test_a_button_click_is_the_clicking_user_speaking(slack_user):
    slack_user.say("I can't kneel")
    replies = slack_user.press("Start a guided session")
    assert "a few quick safety questions" in shown(replies) and titles(replies[-1])[:2] == ["Yes", "No"]
    mark = slack_user.fake.mark()
    after = slack_user.press("No", replies)
    assert titles(after[-1])[:2] == ["Yes", "No"] and shown(after) != shown(replies[-1:])
    [closed] = slack_user.fake.since(mark, "chat.update")
    assert closed.params["ts"] == replies[-1].result["ts"] and closed.params["channel"] == slack_user.dm
    assert [b["type"] for b in closed.params["blocks"]] == ["section", "context"], "its buttons go"
    assert closed.params["blocks"][-1]["elements"][0]["text"] == "✓ No"


def test_a_long_clarifying_payload_round_trips(slack_user):
    [question] = slack_user.say("I had a hip replacement")
    assert slack_buttons(question)[0]["value"].startswith("/answer{"), "the structured answer itself, not a key"
    assert "surgeon" in shown(slack_user.press("In the last 3 months", [question]))


def test_an_unknown_stored_key_is_answered_clearly(slack_user):
    assert shown(slack_user.click("#k:AAAAAAAAAAAAAAAA")) == wording.BUTTON_EXPIRED


def test_more_than_five_buttons_are_all_shown(channel_servers, slack_user):
    """The stock connector sends text only when there are more than five buttons."""
    mark = slack_user.fake.mark()
    buttons = [{"title": f"Choice {i}", "payload": f"/choice_{i}"} for i in range(7)]
    push_bot_message(channel_servers, slack_user.id, "slack", {"buttons": buttons}, text="Pick one")
    [message] = slack_user.replies(mark)
    assert titles(message) == [f"Choice {i}" for i in range(7)]


def test_an_image_is_an_image_block(channel_servers, slack_user):
    mark = slack_user.fake.mark()
    push_bot_message(channel_servers, slack_user.id, "slack", {"image": "https://example.org/chart.png"})
    [message] = slack_user.replies(mark)
    assert {"type": "image", "image_url": "https://example.org/chart.png"}.items() <= message.params["blocks"][
        0
    ].items()


def test_a_red_flag_puts_the_emergency_action_first(slack_user):
    [alert] = slack_user.say("my chest feels crushed and I can't breathe")
    assert alert.params["blocks"][0]["text"]["text"].startswith("*Please call 999")


def test_server_started_messages_reach_the_users_dm(channel_servers, slack_user, slack_api):
    mark = slack_api.mark()
    reply = trigger_intent(channel_servers, slack_user.id, "greet", "slack")
    assert reply.status_code == 200, reply.text
    assert slack_api.since(mark, "conversations.open")[0].params["users"] == slack_user.id
    assert "Psoas Coach" in shown(slack_user.replies(mark))


def test_replies_stay_in_the_thread_the_person_wrote_in(slack_user):
    top_level, consent = slack_user.say("how do I do the bed stretch?")
    assert "thread_ts" not in top_level.params and "thread_ts" not in consent.params
    replies = slack_user.say("how do I do the glute bridge?", thread_ts="1700000000.000100")
    assert replies and all(c.params["thread_ts"] == "1700000000.000100" for c in replies)


# -- security, retries and bad input -------------------------------------------------------------------------
def event_body(user: str, text: str) -> bytes:
    return json.dumps(
        {"type": "event_callback", "event_id": "Ev" + uuid.uuid4().hex[:10], "event": dm_event(user, text, "D" + user)}
    ).encode()


@pytest.mark.parametrize(
    "options",
    [
        {"signed": False},
        {"timestamp": int(time.time()) - 400},  # stale: a replayed request
        {"signed": False, "headers": {"X-Slack-Signature": "v0=" + "0" * 64}},
    ],
    ids=["unsigned", "stale", "forged"],
)
def test_badly_signed_requests_are_refused_and_nothing_happens(slack, slack_api, options):
    mark = slack_api.mark()
    reply = slack.post(event_body("UFORGED1", "I can't kneel"), **options)
    assert reply.status_code == 401
    assert not quiet(slack_api, mark)


def test_a_body_changed_after_signing_is_refused(slack, slack_api):
    body = event_body("UFORGED2", "hi")
    timestamp = int(time.time())
    signature = slack.verifier.generate_signature(timestamp=str(timestamp), body=body)
    mark = slack_api.mark()
    reply = slack.post(
        body.replace(b"hi", b"yo"), signed=False, headers={"X-Slack-Signature": signature}, timestamp=timestamp
    )
    assert reply.status_code == 401 and not quiet(slack_api, mark)


def test_json_with_a_charset_is_read(slack, slack_user):
    mark = slack_user.fake.mark()
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "Ev" + uuid.uuid4().hex,
            "event": dm_event(slack_user.id, "hi", slack_user.dm),
        }
    )
    assert slack.post(body.encode(), content_type="application/json; charset=utf-8").status_code == 200
    assert "Psoas Coach" in shown(slack_user.replies(mark))


@pytest.mark.parametrize("reason", ["http_timeout", "http_error", "connection_failed", None])
def test_a_retried_event_is_answered_once(slack, slack_user, reason):
    event = dm_event(slack_user.id, "how do I do the bed stretch?", slack_user.dm)
    event_id = "Ev" + uuid.uuid4().hex[:10]
    mark = slack_user.fake.mark()
    assert slack.post_event(event, event_id=event_id).status_code == 200
    retry_headers = {"X-Slack-Retry-Num": "1", **({"X-Slack-Retry-Reason": reason} if reason else {})}
    retry = slack.post_event(event, event_id=event_id, headers=retry_headers)
    assert retry.status_code == 200 and retry.headers.get("X-Slack-No-Retry") == "1"
    replies = slack_user.replies(mark, quiet=1.5)
    assert len(answers(replies)) == 1 and len(replies) == 2, "answered once, then asked about consent once"


def test_a_retry_of_an_event_never_received_is_processed(slack, slack_user):
    mark = slack_user.fake.mark()
    event = dm_event(slack_user.id, "hi", slack_user.dm)
    reply = slack.post_event(event, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"})
    assert reply.status_code == 200
    replies = slack_user.replies(mark)
    assert len(answers(replies)) == 1 and len(replies) == 2


def test_the_url_verification_challenge_is_answered(slack):
    body = json.dumps(
        {"token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}
    )
    reply = slack.post(body.encode())
    assert reply.status_code == 200
    assert reply.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_what_is_not_a_person_talking_to_the_coach_is_ignored(slack, slack_api):
    user = "U" + uuid.uuid4().hex[:9].upper()
    mark = slack_api.mark()
    for event in (
        dm_event(user, "I am the bot", "D" + user, bot_id="B123"),  # its own messages
        dm_event(BOT_USER, "me again", "D" + user),
        dm_event(user, "edited", "D" + user, subtype="message_changed"),
        {**dm_event(user, "just chatting in a channel", "C0GENERAL"), "channel_type": "channel"},
        mention_event(user, "hi", "D" + user),  # arrives as a DM message too
        {"type": "reaction_added", "user": user, "reaction": "thumbsup"},
    ):
        assert slack.post_event(event).status_code == 200
    assert not quiet(slack_api, mark, 1.5)


@pytest.mark.parametrize("text, expected", [("", "I didn't get any words"), ("x " * 1200, "too long for me")])
def test_empty_and_huge_messages_are_answered_clearly(slack_user, text, expected):
    assert expected in shown(slack_user.say(text))


def test_a_file_without_words_is_answered_with_what_the_coach_reads(slack_user):
    assert shown(slack_user.say("", subtype="file_share", files=[{"id": "F1", "name": "hip.jpg"}])) == wording.TEXT_ONLY


def test_unicode_is_answered(slack_user):
    assert slack_user.say("héllo 👋🏽 <@U123> & مرحبا")


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"{not json", "application/json"),
        (b"payload=%7Bnot", "application/x-www-form-urlencoded"),
        (b"no=payload", "application/x-www-form-urlencoded"),
        (b"hello", "text/plain"),
    ],
)
def test_malformed_requests_get_an_error_and_nothing_happens(slack, slack_api, body, content_type):
    mark = slack_api.mark()
    reply = slack.post(body, content_type=content_type)
    assert reply.status_code in (400, 415)
    assert not quiet(slack_api, mark, 0.5)


def test_with_slack_down_the_event_is_acknowledged_and_the_next_one_works(slack, slack_user, slack_api):
    slack_api.down = True
    try:
        mark = slack_api.mark()
        assert slack.post_event(dm_event(slack_user.id, "hi", slack_user.dm)).status_code == 200
        slack_api.wait_for(lambda c: c.method == "chat.postMessage", since=mark)
        time.sleep(1.0)
    finally:
        slack_api.down = False
    assert "Psoas Coach" in shown(slack_user.say("hi"))


# -- channels: one person, one profile, nothing private in the channel -----------------------------------------
def test_a_mention_in_a_channel_is_answered_in_a_dm_with_an_ephemeral_pointer(slack, slack_api):
    user = SlackUser(slack)
    mark = slack_api.mark()
    assert slack.post_event(mention_event(user.id, "I can't kneel", "C0GENERAL")).status_code == 200
    replies = user.replies(mark)
    assert "because you said you can't kneel" in shown(replies)
    assert not [c for c in slack_api.since(mark, "chat.postMessage") if c.params["channel"] == "C0GENERAL"]
    [pointer] = slack_api.since(mark, "chat.postEphemeral")
    assert pointer.params == {"channel": "C0GENERAL", "user": user.id, "text": wording.SENT_PRIVATELY_SLACK}


def test_when_no_dm_can_be_opened_the_channel_only_gets_a_private_how_to(slack, slack_api):
    user = "U" + uuid.uuid4().hex[:9].upper()
    slack_api.no_dm.add(user)
    mark = slack_api.mark()
    slack.post_event(mention_event(user, "I can't kneel", "C0GENERAL", thread_ts="1700000000.000200"))
    pointer = slack_api.wait_for(lambda c: c.method == "chat.postEphemeral", since=mark)
    assert pointer.params["text"] == wording.OPEN_PRIVATE_CHAT_SLACK and pointer.params["user"] == user
    assert pointer.params["thread_ts"] == "1700000000.000200"
    assert not slack_api.since(mark, "chat.postMessage")


def test_a_dm_and_a_channel_mention_by_the_same_person_share_one_profile(slack, slack_api):
    user = SlackUser(slack)
    mark = slack_api.mark()
    slack.post_event(mention_event(user.id, "I can't kneel", "C0GENERAL"))
    user.replies(mark)
    assert "because you said you can't kneel" in shown(user.say("suggest a stretch"))
    other = SlackUser(slack)
    assert "can't kneel" not in shown(other.say("suggest a stretch")), "someone else's limit"


# -- the paced session ----------------------------------------------------------------------------------
def wait_for_text(user: SlackUser, piece: str, since: int, timeout: float = 30):
    return user.fake.wait_for(
        lambda c: c.params.get("channel") == user.dm and piece in shown([c]), since=since, timeout=timeout
    )


def test_a_whole_session_is_pushed_to_the_dm_in_order(channel_servers, slack_user):
    screened(channel_servers, slack_user.id)
    mark = slack_user.fake.mark()
    slack_user.say("let's start", wait=False)
    wait_for_text(slack_user, "How did that feel", mark, timeout=90)
    messages = slack_user.fake.posted_in(slack_user.dm, mark)
    texts = [shown([c]) for c in messages]
    state = stored_session(channel_servers, slack_user.id)
    assert state is not None and state.status == "done"
    assert not in_order(texts, step_texts(state)), "every step, in the plan's order"
    assert in_order(texts, ["Get ready", "Hold for", "Halfway", "Five more seconds", "switch to the right side"]) == []
    assert titles(messages[-1]) == ["3", "5", "7", "9"]
    time.sleep(1.0)
    assert len(slack_user.fake.posted_in(slack_user.dm, mark)) == len(messages), "nothing after the end"


def test_a_red_flag_mid_session_stops_the_cues(channel_servers, slack_user):
    screened(channel_servers, slack_user.id)
    mark = slack_user.fake.mark()
    slack_user.say("let's start", wait=False)
    wait_for_text(slack_user, "Hold for", mark)
    slack_user.say("my chest feels crushed and I can't breathe", wait=False)
    alert = wait_for_text(slack_user, "Please call 999", mark)
    time.sleep(2.0)
    later = [c for c in slack_user.fake.posted_in(slack_user.dm, mark) if c.at > alert.at]
    assert not later, [slack_user.fake.describe(c) for c in later]


def test_export_my_data_is_uploaded_as_files(slack_user, slack_api):
    """Slack takes files: "export my data" uploads the JSON and the PDF into the DM."""
    slack_user.say("hi")
    slack_user.say("yes, remember me")
    slack_user.say("I can't kneel")
    mark = slack_api.mark()
    slack_user.say("export my data")
    slack_api.wait_for(lambda c: c.method == "files.completeUploadExternal", since=mark)
    [done] = slack_api.since(mark, "files.completeUploadExternal")
    assert done.params["channel_id"] == slack_user.dm and done.result["ok"], done.result
    asked = {c.params["filename"] for c in slack_api.since(mark, "files.getUploadURLExternal")}
    assert asked == {"psoas-coach-data.json", "psoas-coach-summary.pdf"}
    uploaded = list(slack_api.uploads.values())
    assert any(b.startswith(b"%PDF") for b in uploaded) and any(b.lstrip().startswith(b"{") for b in uploaded)
