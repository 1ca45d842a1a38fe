"""The widget embedded in the demo host page on another origin, used as a person would:
keyboard, conversation, a paced session with a red flag in the middle, reload, reconnect."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.integration.browser.chat_page import Chat
from tests.integration.browser.conftest import screenshot

RED_FLAG = "I suddenly can't feel my groin and I wet myself"
# The countdown as a person would watch it: (phase, shown seconds) every 20 ms for 0.6 s.
SAMPLE_COUNTDOWN = """async () => {
  const root = document.querySelector('psoas-coach-widget').shadowRoot, samples = [];
  for (let i = 0; i < 30; i++) {
    samples.push([root.querySelector('.pc-session').dataset.phase,
                  root.querySelector('.pc-countdown-value').textContent]);
    await new Promise(done => setTimeout(done, 20));
  }
  return samples;
}"""


def _open_demo(new_page, servers, **options):
    page = new_page(**options)
    page.goto(f"{servers.listed_origin}/demo.html")
    chat = Chat(page)
    expect(chat.launcher).to_be_visible()
    return page, chat


def test_keyboard_only_open_chat_tab_through_and_close(new_page, servers, kb):
    page, chat = _open_demo(new_page, servers)
    expect(chat.panel).to_be_hidden()
    chat.tab_to("pc-launcher")
    page.keyboard.press("Enter")
    expect(chat.panel).to_be_visible()
    expect(chat.launcher).to_have_attribute("aria-expanded", "true")
    assert chat.active() == "TEXTAREA"  # straight into the message box
    chat.wait_connected()
    greeting = chat.bot.first
    expect(greeting).to_contain_text("not a doctor")  # the coach introduces itself, once

    page.keyboard.type("hi")
    page.keyboard.press("Enter")
    chat.wait_answered()
    page.keyboard.type("I can't kneel")
    page.keyboard.press("Enter")
    card = chat.of_type("recommendation").locator(".pc-card")
    expect(card).to_be_visible()
    left_out = card.locator(".pc-card-left-out li")
    for exercise_id in ("half_kneeling_hip_flexor_stretch", "low_lunge_twist"):  # by their names in the KB
        expect(left_out.filter(has_text=kb.exercises[exercise_id].name)).to_contain_text("you said you can't kneel")
    picks = card.locator(".pc-card-list").first.locator("strong")
    expect(picks.first).to_be_visible()
    expect(picks.filter(has_text=re.compile("kneeling|lunge", re.IGNORECASE))).to_have_count(0)

    # Back from the message box: the newest message's buttons, then the log itself.
    page.keyboard.press("Shift+Tab")
    assert chat.active() == "pc-reply"
    question = page.evaluate("() => document.querySelector('psoas-coach-widget').shadowRoot.activeElement.textContent")
    page.keyboard.press("Enter")
    expect(chat.user.last).to_have_text(f"You: {question}")
    explanation = chat.of_type("exercise")
    expect(explanation).to_be_visible()
    chat.tab_to("pc-log")
    screenshot(page, "widget-keyboard-conversation")

    page.keyboard.press("Escape")
    expect(chat.panel).to_be_hidden()
    expect(chat.launcher).to_have_attribute("aria-expanded", "false")
    assert chat.active() == "pc-launcher"  # focus returns where it was


def test_paced_session_countdown_cues_pause_resume_then_red_flag(new_page, servers):
    page, chat = _open_demo(new_page, servers)
    chat.launcher.click()
    chat.wait_connected()
    expect(chat.bot.first).to_be_visible()
    chat.say("I can't kneel")
    chat.of_type("recommendation").get_by_role("button", name="Start a guided session").click()

    # Keyboard users keep their place: focus moves to each new question's answers.
    first_question = chat.page.locator(".pc-msg-question").first
    expect(first_question.get_by_role("button", name="Yes", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(first_question.get_by_role("button", name="No", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(chat.page.locator(".pc-msg-question").nth(1).get_by_role("button", name="Yes", exact=True)).to_be_focused()
    assert chat.answer_screening("No") >= 3

    # The coach paces it (COACH_TIME_SCALE=0.02: a 30 s hold lasts 0.6 s); the page counts down.
    expect(chat.session).to_have_attribute("data-state", "running")
    expect(chat.session).to_have_attribute("data-phase", re.compile("hold|halfway"))
    samples = page.evaluate(SAMPLE_COUNTDOWN)
    holds = [int(value) for phase, value in samples if phase in ("hold", "halfway") and value]
    assert holds and all(0 <= s <= 30 for s in holds), samples
    assert any(p == q and int(a or 0) > int(b or 0) for (p, a), (q, b) in zip(samples, samples[1:], strict=False)), (
        samples
    )
    halfway = chat.page.locator('.pc-msg-bot[data-phase="halfway"]').first
    expect(halfway).to_be_visible()
    expect(chat.polite).to_contain_text(halfway.locator(".pc-msg-text").inner_text())  # read to screen readers
    expect(chat.page.locator('.pc-msg-bot[data-phase="switch_sides"]').first).to_be_visible()
    screenshot(page, "widget-session-running")

    chat.session.get_by_role("button", name="Pause").click()
    expect(chat.session).to_have_attribute("data-state", "paused")
    frozen, steps = chat.countdown.inner_text(), chat.steps()
    page.wait_for_timeout(1200)  # 60 coach seconds: any running step would have moved on
    assert (chat.countdown.inner_text(), chat.steps()) == (frozen, steps)
    screenshot(page, "widget-session-paused")

    chat.session.get_by_role("button", name="Resume").click()
    expect(chat.session).to_have_attribute("data-state", "running")
    expect(chat.of_type("session_step").nth(steps + 2)).to_be_attached()  # cues flow again

    chat.say(RED_FLAG)
    alert = chat.page.locator(".pc-msg-alert-danger").last
    expect(alert).to_be_visible()
    first_paragraph = alert.locator(".pc-msg-text").inner_text().split("\n\n")[0]
    expect(chat.banner).to_be_visible()
    expect(chat.banner.locator(".pc-banner-action")).to_have_text(first_paragraph)  # the action first
    expect(chat.alert).to_contain_text(first_paragraph[:40])  # assertive announcement
    expect(chat.session).to_be_hidden()
    steps = chat.steps()
    page.wait_for_timeout(1500)  # 75 coach seconds: longer than any hold or rest
    assert chat.steps() == steps, "session cues kept coming after the red flag"
    screenshot(page, "widget-red-flag-banner")


def test_reload_keeps_the_conversation_and_the_server_remembers(new_page, servers):
    page, chat = _open_demo(new_page, servers)
    chat.launcher.click()
    expect(chat.bot.first).to_contain_text("not a doctor")
    chat.say("I can't kneel")
    expect(chat.of_type("recommendation")).to_have_count(1)
    session_id = page.evaluate("localStorage.getItem('psoas-coach.session-id')")

    page.reload()
    expect(chat.panel).to_be_visible()  # reopened as it was
    expect(chat.user.filter(has_text="I can't kneel")).to_have_count(1)
    expect(chat.of_type("recommendation")).to_have_count(1)
    chat.wait_connected()
    chat.say("suggest a stretch")
    expect(chat.of_type("recommendation")).to_have_count(2)
    # Same conversation on the server: it still knows this person can't kneel.
    expect(chat.of_type("recommendation").last.locator(".pc-card-left-out")).to_contain_text("Half-kneeling")
    expect(chat.bot.filter(has_text="not a doctor")).to_have_count(1)  # no second greeting
    assert page.evaluate("localStorage.getItem('psoas-coach.session-id')") == session_id
    screenshot(page, "widget-after-reload")


def test_reconnects_and_rejoins_its_conversation_after_the_socket_drops(new_page, servers):
    page = new_page()
    sockets = []

    def through(ws):
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r"/socket\.io/"), through)
    page.goto(f"{servers.listed_origin}/demo.html")
    chat = Chat(page)
    chat.launcher.click()
    expect(chat.bot.first).to_contain_text("not a doctor")
    assert len(sockets) == 1

    sockets[0].close()  # the connection drops, as on a flaky network
    expect(chat.status).to_have_attribute("data-state", "disconnected")
    chat.wait_connected()
    assert len(sockets) == 2
    # Replies go to the conversation's room: they only arrive if the new socket rejoined it.
    chat.say("I can't kneel")
    expect(chat.of_type("recommendation")).to_have_count(1)


def test_a_site_that_is_not_listed_cannot_open_the_socket(new_page, servers):
    page = new_page()
    page.goto(f"{servers.unlisted_origin}/demo.html")
    chat = Chat(page)
    chat.launcher.click()
    expect(chat.status).to_have_attribute("data-state", "disconnected")
    page.wait_for_timeout(2000)  # socket.io keeps retrying; none gets through
    expect(chat.status).to_have_attribute("data-state", "disconnected")
    expect(chat.bot).to_have_count(0)
    screenshot(page, "widget-unlisted-origin")


# fetch() from the host page, as the browser judges CORS: only a listed site may read answers.
FETCH = """async url => {
  try { const r = await fetch(url, {credentials: 'include'}); return r.status; }
  catch (e) { return 'blocked'; }
}"""


def test_the_browser_lets_only_a_listed_site_read_the_coachs_answers(new_page, servers):
    for origin, expected in ((servers.listed_origin, 200), (servers.unlisted_origin, "blocked")):
        page = new_page()
        page.goto(f"{origin}/demo.html")
        for path in ("/webhooks/web/config.json", "/socket.io/?EIO=4&transport=polling"):
            assert page.evaluate(FETCH, f"{servers.url}{path}") == expected, (origin, path)
