"""The widget and a hostile host page leave each other alone: styles, globals, keys."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.integration.browser.chat_page import Chat
from tests.integration.browser.conftest import screenshot

STYLE_OF = """selector => {
  const root = document.querySelector('psoas-coach-widget').shadowRoot;
  const s = getComputedStyle(root.querySelector(selector));
  return {fontSize: s.fontSize, color: s.color, fontFamily: s.fontFamily, display: s.display,
          border: s.borderTopStyle, visibility: s.visibility};
}"""


def test_widget_works_and_looks_right_on_a_hostile_page(new_page, servers):
    page = new_page()
    page.goto(f"{servers.listed_origin}/hostile.html")
    chat = Chat(page)
    expect(chat.launcher).to_be_visible()  # despite `button { display: none !important }`
    assert page.locator("psoas-coach-widget").count() == 1  # the tag twice, one widget
    launcher = page.evaluate(STYLE_OF, ".pc-launcher")
    assert launcher["fontSize"] == "16px" and launcher["color"] == "rgb(255, 255, 255)"
    assert "monospace" not in launcher["fontFamily"]
    chat.launcher.click()
    expect(chat.panel).to_be_visible()
    expect(chat.input).to_be_visible()  # despite `textarea { visibility: hidden !important }`
    expect(chat.session).to_be_hidden()  # despite `[hidden] { display: block !important }`
    log = page.evaluate(STYLE_OF, ".pc-log")
    assert log["border"] == "none" and log["fontSize"] == "16px"

    chat.wait_connected()  # its own socket.io client, not window.io
    expect(chat.bot.first).to_be_visible()
    chat.input.press_sequentially("hi")
    chat.input.press("Enter")
    expect(chat.user).to_have_count(1)
    chat.wait_answered()  # the greeting takes two bubbles, which may still be arriving
    assert page.evaluate("window.hostKeys") == []  # the host's shortcuts never saw the typing
    screenshot(page, "widget-on-hostile-page")


def test_widget_adds_one_global_and_no_styles_to_the_host_page(new_page, servers):
    page = new_page()
    page.goto(f"{servers.listed_origin}/hostile.html")
    expect(Chat(page).launcher).to_be_visible()
    added = page.evaluate("Object.keys(window).filter(k => !window.globalsBefore.includes(k))")
    host_globals = {"globalsBefore", "io", "amdCalls", "define", "hostKeys"}
    assert set(added) - host_globals == {"PsoasCoach"}
    assert page.evaluate("window.io") == "the host's own io"
    assert page.evaluate("window.amdCalls") == 0
    assert page.evaluate("document.styleSheets.length") == 1  # only the host's own <style>
    host_text = page.evaluate("getComputedStyle(document.getElementById('host-text')).color")
    assert host_text == "rgb(255, 0, 0)"  # the host's rules still apply to the host
    assert page.evaluate("getComputedStyle(document.getElementById('host-button')).display") == "none"
