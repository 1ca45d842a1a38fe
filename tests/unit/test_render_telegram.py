"""The Telegram renderer: pure functions from a bot message to Bot API calls.

Every text it produces is checked with the same HTML rules the fake Telegram API applies
(tests/integration/channels/fakes.py), so a message Telegram would refuse fails here first.
"""

from __future__ import annotations

import pytest

from connectors.render import PAYLOAD_KEY_PREFIX, BotMessage, Button, split_text, stored_payload_key
from connectors.render.telegram import (
    CALLBACK_DATA_LIMIT,
    TEXT_LIMIT,
    answered,
    callback_data,
    fits_callback_data,
    payloads_needing_keys,
    render,
    utf16_length,
)
from tests.integration.channels.fakes import check_telegram_html

EMERGENCY = {"type": "safety", "decision": "stop", "outcome": "EMERGENCY", "urgency": "emergency", "flags": ["RF4"]}
CLARIFY_PAYLOAD = '/answer_clarify{"clarify_about": "condition:hip_replacement", "clarify_answer": "recent"}'


def texts(calls):
    return [c.params.get("text") or c.params.get("caption") for c in calls]


def assert_telegram_accepts(calls):
    for call in calls:
        text = call.params.get("text") or call.params.get("caption") or ""
        problem, visible = check_telegram_html(text)
        assert problem is None, (problem, text[:200])
        assert visible <= (TEXT_LIMIT if call.method == "sendMessage" else 1024)
        for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                assert 1 <= len(button["callback_data"].encode("utf-8")) <= CALLBACK_DATA_LIMIT


def test_text_is_escaped_html_so_no_markup_shows_raw():
    calls = render(BotMessage(text="Hips < knees & back > 3/10? Use *gentle* stretches_now"), chat_id=42)
    assert [c.method for c in calls] == ["sendMessage"]
    params = calls[0].params
    assert params["chat_id"] == 42 and params["parse_mode"] == "HTML"
    assert params["text"] == "Hips &lt; knees &amp; back &gt; 3/10? Use *gentle* stretches_now"
    assert_telegram_accepts(calls)


def test_an_urgent_safety_message_starts_with_its_action_in_bold():
    text = "Please call 999 or go to A&E now.\n\nSit down while you wait.\n\nWhich country are you in?"
    calls = render(BotMessage(text=text, custom=EMERGENCY), chat_id=1)
    assert len(calls) == 1, "one message: nothing can arrive between the action and the rest"
    assert calls[0].params["text"].startswith("<b>Please call 999 or go to A&amp;E now.</b>\n\n")
    assert calls[0].params["text"].endswith("Which country are you in?")
    assert_telegram_accepts(calls)


@pytest.mark.parametrize("custom", [{}, {"type": "safety", "urgency": None, "outcome": "STOP-STRETCH"}])
def test_other_messages_are_not_bold(custom):
    calls = render(BotMessage(text="Ease out of the stretch.\n\nWe'll try a gentler one.", custom=custom), 1)
    assert "<b>" not in calls[0].params["text"]


def test_buttons_become_an_inline_keyboard_with_payloads_as_callback_data():
    message = BotMessage(text="Ready?", buttons=[Button("Yes", "/affirm"), Button("No", "/deny")])
    calls = render(message, 7)
    assert calls[0].params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Yes", "callback_data": "/affirm"}, {"text": "No", "callback_data": "/deny"}]]
    }


def test_long_titles_get_a_row_each_and_short_ones_share_rows():
    long_titles = [Button(f"Numbness around my bottom or genitals {i}", f"/x{i}") for i in range(7)]
    rows = render(BotMessage(text="Any of these?", buttons=long_titles), 1)[0].params["reply_markup"]
    assert [len(r) for r in rows["inline_keyboard"]] == [1] * 7
    ratings = [Button(str(n), f"{n} out of 10") for n in (3, 5, 7, 9)]
    rows = render(BotMessage(text="How did that feel?", buttons=ratings), 1)[0].params["reply_markup"]
    assert [len(r) for r in rows["inline_keyboard"]] == [4]


def test_payloads_over_64_bytes_travel_as_a_stored_key():
    message = BotMessage(text="When?", buttons=[Button("In the last 3 months", CLARIFY_PAYLOAD), Button("No", "/deny")])
    assert payloads_needing_keys(message) == [CLARIFY_PAYLOAD]
    calls = render(message, 1, keys={CLARIFY_PAYLOAD: "3NXDJ2EQHKd37bam"})
    cells = [cell for row in calls[0].params["reply_markup"]["inline_keyboard"] for cell in row]
    assert cells[0]["callback_data"] == PAYLOAD_KEY_PREFIX + "3NXDJ2EQHKd37bam"
    assert stored_payload_key(cells[0]["callback_data"]) == "3NXDJ2EQHKd37bam"
    assert cells[1]["callback_data"] == "/deny" and stored_payload_key("/deny") is None
    assert_telegram_accepts(calls)
    with pytest.raises(KeyError):
        render(message, 1, keys={})  # a long payload is never sent as it is


def test_the_64_byte_limit_is_counted_in_utf8_bytes():
    assert fits_callback_data("é" * 32)  # 64 bytes
    assert not fits_callback_data("é" * 33)  # 66 bytes, 33 characters
    assert not fits_callback_data("")
    # A payload that looks like a key is keyed too, so it can never be mistaken for one.
    assert not fits_callback_data(PAYLOAD_KEY_PREFIX + "abc")
    assert callback_data(PAYLOAD_KEY_PREFIX + "abc", {PAYLOAD_KEY_PREFIX + "abc": "k1"}) == PAYLOAD_KEY_PREFIX + "k1"


def test_text_over_4096_characters_is_cut_at_paragraphs_with_buttons_on_the_last_piece():
    paragraphs = [f"Step {i}: " + "breathe slowly and let the hip soften. " * 12 for i in range(40)]
    text = "\n\n".join(paragraphs)
    calls = render(BotMessage(text=text, buttons=[Button("Next", "/ready")]), 5)
    assert len(calls) > 1 and all(c.method == "sendMessage" for c in calls)
    assert_telegram_accepts(calls)
    assert "reply_markup" in calls[-1].params and all("reply_markup" not in c.params for c in calls[:-1])
    assert "\n\n".join(texts(calls)) == text.strip(), "nothing lost, nothing reordered"


def test_an_unbroken_run_is_cut_without_breaking_an_entity_and_emoji_count_double():
    text = "&" * 5000 + "💪" * 3000
    calls = render(BotMessage(text=text), 5)
    assert_telegram_accepts(calls)
    assert "".join(texts(calls)).replace("&amp;", "&") == text
    assert utf16_length("💪") == 2


def test_an_urgent_message_too_long_for_one_piece_keeps_the_action_first_and_bold():
    text = "Call 999 now.\n\n" + "More advice. " * 600
    calls = render(BotMessage(text=text, custom=EMERGENCY), 1)
    assert calls[0].params["text"].startswith("<b>Call 999 now.</b>")
    assert_telegram_accepts(calls)


def test_an_image_is_a_photo_with_the_text_as_caption_when_it_fits():
    calls = render(BotMessage(text="Your week", image="https://example.org/chart.png", buttons=[Button("Ok", "/a")]), 3)
    assert [c.method for c in calls] == ["sendPhoto"]
    assert calls[0].params["photo"] == "https://example.org/chart.png"
    assert calls[0].params["caption"] == "Your week" and "reply_markup" in calls[0].params


def test_an_image_with_long_text_is_a_photo_then_the_text():
    calls = render(BotMessage(text="x " * 800, image="https://example.org/chart.png"), 3)
    assert [c.method for c in calls] == ["sendPhoto", "sendMessage"]
    assert "caption" not in calls[0].params
    assert render(BotMessage(image="https://example.org/a.png"), 3)[0].params == {
        "chat_id": 3,
        "photo": "https://example.org/a.png",
    }


def test_the_custom_payload_is_never_shown():
    message = BotMessage.from_rasa(
        {"text": None, "custom": {"type": "session_step", "phase": "hold", "seconds": 30}, "buttons": []}
    )
    assert render(message, 1) == []
    shown = render(BotMessage.from_rasa({"text": "Hold.", "custom": {"type": "session_step"}}), 1)
    assert texts(shown) == ["Hold."]


def test_split_text_keeps_every_piece_within_the_limit():
    text = "one two three\nfour five\n\nsix " + "x" * 30
    pieces = split_text(text, 10)
    assert all(len(p) <= 10 for p in pieces)
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def pressed_message(text="Are you pregnant at the moment?", **extra):
    keyboard = {
        "inline_keyboard": [[{"text": "Yes", "callback_data": "/affirm"}, {"text": "No", "callback_data": "/deny"}]]
    }
    return {"message_id": 77, "chat": {"id": 5, "type": "private"}, "text": text, "reply_markup": keyboard, **extra}


def test_a_pressed_question_shows_the_answer_and_loses_its_keyboard():
    call = answered(pressed_message(), "/deny")
    assert call.method == "editMessageText"
    assert call.params["text"] == "Are you pregnant at the moment?\n\n✓ No"
    assert call.params["chat_id"] == 5 and call.params["message_id"] == 77 and "reply_markup" not in call.params
    bold = [{"type": "bold", "offset": 0, "length": 3}]
    assert answered(pressed_message(entities=bold), "/affirm").params["entities"] == bold


def test_a_press_that_matches_no_button_or_too_long_a_message_only_loses_the_keyboard():
    assert answered(pressed_message(), "#k:gone").method == "editMessageReplyMarkup"
    assert answered(pressed_message(text="x" * 4095), "/deny").method == "editMessageReplyMarkup"
    assert answered(pressed_message(text=None), "/deny").params == {"chat_id": 5, "message_id": 77}
