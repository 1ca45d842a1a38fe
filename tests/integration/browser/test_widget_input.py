"""Bad input in the browser: the page uses the server's limit and wording, sends nothing the
server would refuse, and shows whatever anyone types as text, never as HTML."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from connectors.socketio import MAX_MESSAGE_CHARS, problem_with
from tests.integration.browser.chat_page import Chat
from tests.integration.browser.conftest import screenshot

INJECTION = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


def _ready_chat(new_page, servers):
    page = new_page()
    page.goto(f"{servers.listed_origin}/demo.html")
    chat = Chat(page)
    chat.launcher.click()
    chat.wait_connected()
    expect(chat.bot.first).to_be_visible()
    return page, chat


def test_page_and_server_agree_on_the_message_limit(new_page, servers):
    page, chat = _ready_chat(new_page, servers)
    served = requests.get(f"{servers.url}/webhooks/web/config.json", timeout=10).json()
    assert page.evaluate("PsoasCoach.config.max_message_chars") == served["max_message_chars"] == MAX_MESSAGE_CHARS

    too_long = "x" * (MAX_MESSAGE_CHARS + 1)
    chat.input.fill(too_long)
    expect(chat.counter).to_have_text(f"{MAX_MESSAGE_CHARS + 1} / {MAX_MESSAGE_CHARS}")
    chat.input.press("Enter")
    expect(chat.note).to_have_text(problem_with(too_long))  # the server's own words
    expect(chat.user).to_have_count(0)  # nothing sent
    expect(chat.input).to_have_value(too_long)  # nothing lost either

    # Exactly at the limit, counted as the server counts (an emoji is one character, not two).
    at_limit = "\U0001f9d8" * MAX_MESSAGE_CHARS
    chat.input.fill(at_limit)
    expect(chat.counter).to_have_text(f"{MAX_MESSAGE_CHARS} / {MAX_MESSAGE_CHARS}")
    chat.input.press("Enter")
    expect(chat.user).to_have_count(1)
    chat.wait_answered()
    expect(chat.of_type("input_error")).to_have_count(0)  # and the server accepted it


def test_a_huge_paste_is_refused_clearly_and_the_socket_stays_up(new_page, servers):
    page, chat = _ready_chat(new_page, servers)
    huge = "my hips hurt " * 20_000
    chat.input.fill(huge)
    chat.input.press("Enter")
    expect(chat.note).to_have_text(problem_with(huge))
    chat.input.fill("hi")
    chat.input.press("Enter")
    expect(chat.note).to_be_hidden()
    chat.wait_answered()
    chat.wait_connected()


def test_empty_input_says_what_to_do_and_sends_nothing(new_page, servers):
    page, chat = _ready_chat(new_page, servers)
    for blank in ("", "   ", "\n\n\t"):
        chat.input.fill(blank)
        chat.input.press("Enter")
        expect(chat.note).to_have_text(problem_with(blank))
    page.locator(".pc-send").click()
    expect(chat.note).to_be_visible()
    expect(chat.user).to_have_count(0)


def test_unicode_and_injection_are_sent_and_shown_as_typed(new_page, servers):
    page, chat = _ready_chat(new_page, servers)
    unicode_text = "Ça tire 🧘‍♀️ 髋部很紧 — مرحبا"
    chat.say_and_wait_for_an_answer(unicode_text)  # the coach answered something
    expect(chat.user.last.locator(".pc-msg-text")).to_have_text(unicode_text)
    chat.say_and_wait_for_an_answer(INJECTION)
    expect(chat.user.last.locator(".pc-msg-text")).to_have_text(INJECTION)
    assert chat.log.locator("img, script").count() == 0
    assert page.evaluate("window.pwned") is None
    screenshot(page, "widget-injection-as-text")
