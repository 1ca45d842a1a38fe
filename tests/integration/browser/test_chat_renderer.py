"""The one renderer (web/coach-chat.js) against every docs/api.md payload, in real Chromium.

Through a stand-in socket (pages/renderer.html) so payloads no conversation produces today
(an image, an urgent message after an emergency, hostile text from a compromised server) are
covered too; the conversation tests drive the same code through the real servers.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.integration.browser.chat_page import Chat
from tests.integration.browser.conftest import screenshot

HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script><b>bold</b>'
EMERGENCY_TEXT = "Call the emergency number now: first paragraph.\n\nSecond paragraph with more detail."


def _renderer(new_page, servers):
    page = new_page()
    page.goto(f"{servers.listed_origin}/renderer.html")
    chat = Chat(page)
    chat.wait_connected()
    return page, chat


def _push(page, data):
    page.evaluate("data => window.push(data)", data)


def _sent(page):
    return [data for event, data in page.evaluate("window.sent") if event == "user_uttered"]


def test_recommendation_card_lists_picks_and_what_was_left_out_and_why(new_page, servers):
    page, chat = _renderer(new_page, servers)
    _push(
        page,
        {
            "text": "Here's what I'd suggest.",
            "quick_replies": [{"title": "Start a guided session", "payload": "/start_session"}],
            "custom": {
                "type": "recommendation",
                "exercises": [
                    {"id": "hip_flexor_bed_stretch", "name": "Hip flexor bed stretch", "reason": "No kneeling."}
                ],
                "excluded": [{"id": "half_kneeling_hip_flexor_stretch", "reason": "you said you can't kneel"}],
                "safety": {"type": "safety", "decision": "modify", "outcome": "EXCLUDE", "urgency": None},
            },
        },
    )
    card = chat.of_type("recommendation").locator(".pc-card")
    expect(card.locator("li").first).to_contain_text("Hip flexor bed stretch")
    expect(card.locator("li").first).to_contain_text("No kneeling.")
    left_out = card.locator(".pc-card-left-out li")
    expect(left_out).to_have_text(["Half kneeling hip flexor stretch: you said you can't kneel"])
    expect(chat.banner).to_be_hidden()  # a recommendation's own safety decision is no alert
    chat.bot.get_by_role("button", name="Start a guided session").click()
    assert _sent(page)[-1]["message"] == "/start_session"
    expect(chat.user.last).to_have_text("You: Start a guided session")


def test_exercise_explanation_marks_an_excluded_stretch(new_page, servers):
    page, chat = _renderer(new_page, servers)
    for excluded in (False, True):
        _push(
            page,
            {
                "text": "Half kneeling hip flexor stretch. Steps...",
                "custom": {"type": "exercise", "id": "half_kneeling_hip_flexor_stretch", "excluded": excluded},
            },
        )
    explanations = chat.of_type("exercise")
    expect(explanations).to_have_count(2)
    expect(explanations.nth(0).locator(".pc-tag")).to_have_count(0)
    expect(explanations.nth(1).locator(".pc-tag")).to_be_visible()
    expect(explanations.nth(1)).to_have_class(re.compile(r"\bpc-msg-excluded\b"))


def test_emergency_is_pinned_action_first_and_a_milder_alert_does_not_replace_it(new_page, servers):
    page, chat = _renderer(new_page, servers)
    emergency = {"type": "safety", "decision": "stop", "outcome": "EMERGENCY", "urgency": "emergency", "flags": ["RF1"]}
    _push(page, {"text": EMERGENCY_TEXT, "custom": emergency})
    expect(chat.banner).to_be_visible()
    expect(chat.banner.locator("p").first).to_have_text("Call the emergency number now: first paragraph.")
    expect(chat.banner.locator("p").first).to_have_class("pc-banner-action")
    expect(chat.alert).to_contain_text("Call the emergency number now")  # assertive, at once
    expect(chat.polite).not_to_contain_text("Call the emergency number now")
    urgent = {**emergency, "outcome": "URGENT", "urgency": "urgent"}
    _push(page, {"text": "Please see a doctor today.", "custom": urgent})
    expect(chat.banner.locator("p").first).to_have_text("Call the emergency number now: first paragraph.")
    expect(chat.of_type("safety").last).to_have_class(re.compile(r"\bpc-msg-alert-warning\b"))
    screenshot(page, "renderer-emergency-banner")
    page.reload()  # pinned for the rest of the conversation
    expect(chat.banner.locator("p").first).to_have_text("Call the emergency number now: first paragraph.")


def test_screening_question_buttons_answer_with_their_payload(new_page, servers):
    page, chat = _renderer(new_page, servers)
    _push(
        page,
        {
            "text": "Are you pregnant at the moment?",
            "quick_replies": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
            "custom": {"type": "screening_question", "id": "screen_pregnancy", "options": ["yes", "no"]},
        },
    )
    group = chat.of_type("screening_question").get_by_role("group", name="Your answer")
    group.get_by_role("button", name="No").click()
    assert _sent(page)[-1] == {
        "message": "/deny",
        "session_id": page.evaluate("localStorage['psoas-coach.session-id']"),
    }
    expect(group.get_by_role("button", name="Yes")).to_be_disabled()  # the question is answered


def test_session_step_counts_down_pauses_and_ends(new_page, servers):
    page, chat = _renderer(new_page, servers)
    step = {"type": "session_step", "exercise_id": "glute_bridge", "side": None, "phase": "hold", "rep": 1}
    # The server's time scale (0.02 in tests): 5000 coach seconds last 100 real seconds.
    _push(page, {"text": "Hold.", "custom": {**step, "seconds": 5000, "pace": "server"}})
    expect(chat.session).to_have_attribute("data-state", "running")
    expect(chat.session.locator(".pc-session-exercise")).to_have_text("Glute bridge")
    first = int(chat.countdown.inner_text().replace(":", ""))
    page.wait_for_timeout(300)
    assert int(chat.countdown.inner_text().replace(":", "")) < first  # it counts down by itself
    chat.session.get_by_role("button", name="Pause").click()
    assert _sent(page)[-1]["message"] == "/pause"
    _push(page, {"text": "Paused.", "custom": {**step, "seconds": 5000, "paused": True}})
    expect(chat.session).to_have_attribute("data-state", "paused")
    frozen = chat.countdown.inner_text()
    assert frozen == "83:20"  # resuming restarts the step, so a pause shows its full length
    page.wait_for_timeout(300)
    assert chat.countdown.inner_text() == frozen
    chat.session.get_by_role("button", name="Resume").click()
    assert _sent(page)[-1]["message"] == "/resume"
    chat.session.get_by_role("button", name="Stop").click()
    assert _sent(page)[-1]["message"] == "/stop_session"
    _push(page, {"text": "Done.", "custom": {**step, "phase": "done", "seconds": 0, "stopped": True}})
    expect(chat.session).to_have_attribute("data-state", "ended")
    expect(chat.session.get_by_role("button", name="Pause")).to_be_hidden()


def test_image_is_shown_with_alt_text_and_unsafe_urls_are_not(new_page, servers):
    page, chat = _renderer(new_page, servers)
    chart = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    _push(
        page,
        {
            "text": "Your week: 3 sessions.",
            "image": chart,
            "custom": {"type": "progress", "alt": "Bar chart: 3 sessions"},
        },
    )
    _push(page, {"text": "Without alt.", "image": chart})
    _push(page, {"text": "Bad image.", "image": "javascript:alert(1)"})
    images = chat.log.locator("img")
    expect(images).to_have_count(2)
    expect(images.nth(0)).to_have_attribute("alt", "Bar chart: 3 sessions")
    expect(images.nth(1)).to_have_attribute("alt", "Without alt.")


def test_export_files_are_download_links_and_other_urls_are_not(new_page, servers):
    page, chat = _renderer(new_page, servers)
    _push(
        page,
        {
            "text": "Here's everything I know about you.",
            "custom": {
                "type": "export",
                "revoked": 0,
                "files": [
                    {
                        "name": "psoas-coach-data.json",
                        "media_type": "application/json",
                        "url": "/webhooks/downloads/abc123/psoas-coach-data.json",
                        "expires_at": "2026-12-01T11:00:00+00:00",
                    },
                    {
                        "name": "psoas-coach-summary.pdf",
                        "media_type": "application/pdf",
                        "url": "/webhooks/downloads/abc123/psoas-coach-summary.pdf",
                        "expires_at": "2026-12-01T11:00:00+00:00",
                    },
                    {"name": "evil", "media_type": "text/html", "url": "javascript:alert(1)"},
                    {"name": "elsewhere", "media_type": "text/html", "url": "https://example.org/phish"},
                ],
            },
        },
    )
    links = chat.log.locator("a.pc-download")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_attribute("download", "psoas-coach-data.json")
    assert links.nth(1).get_attribute("href").endswith("/webhooks/downloads/abc123/psoas-coach-summary.pdf")
    expect(links.nth(1)).to_have_text("Download the summary (PDF)")


def test_hostile_server_text_is_shown_as_text_never_as_html(new_page, servers):
    page, chat = _renderer(new_page, servers)
    _push(
        page,
        {
            "text": HOSTILE,
            "quick_replies": [{"title": HOSTILE, "payload": "/x"}],
            "custom": {
                "type": "recommendation",
                "exercises": [{"id": "x", "name": HOSTILE, "reason": HOSTILE}],
                "excluded": [{"id": "y", "reason": HOSTILE}],
            },
        },
    )
    message = chat.of_type("recommendation")
    expect(message.locator(".pc-msg-text")).to_have_text(HOSTILE)
    expect(message.get_by_role("button")).to_have_text(HOSTILE)
    assert message.locator("img, script, b").count() == 0
    assert page.evaluate("window.pwned") is None


def test_malformed_payloads_are_ignored_without_breaking_the_chat(new_page, servers):
    page, chat = _renderer(new_page, servers)
    for junk in (None, "text", 42, [], {}, {"custom": "x"}, {"text": None, "quick_replies": "no"}):
        _push(page, junk)
    _push(page, {"custom": {"type": "recommendation", "exercises": [None, 3, {"id": "glute_bridge"}], "excluded": "x"}})
    _push(page, {"custom": {"type": "session_step", "phase": "hold", "seconds": "soon"}})
    expect(chat.of_type("recommendation").locator("li")).to_have_text(["Glute bridge"])
    _push(page, {"text": "Still here."})
    expect(chat.bot.last).to_have_text("Coach: Still here.")


def test_a_safety_stop_retires_earlier_buttons_but_a_new_step_does_not(new_page, servers):
    page, chat = _renderer(new_page, servers)
    step = {"type": "session_step", "exercise_id": "glute_bridge", "side": None, "phase": "hold", "seconds": 30}
    _push(
        page, {"text": "Hold.", "quick_replies": [{"title": "That hurts", "payload": "/report_pain"}], "custom": step}
    )
    _push(page, {"text": "Halfway.", "custom": {**step, "phase": "halfway", "cue": "halfway", "seconds": 15}})
    hurts = chat.log.get_by_role("button", name="That hurts")
    expect(hurts).to_be_enabled()  # still there to press mid-hold
    _push(page, {"text": "Stop now.", "custom": {"type": "safety", "decision": "stop", "outcome": "STOP-STRETCH"}})
    expect(hurts).to_be_disabled()
    expect(chat.session).to_be_hidden()
    expect(chat.alert).to_contain_text("Stop now.")  # a stop is announced assertively
