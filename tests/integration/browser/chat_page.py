"""What a person sees and does in the chat, as Playwright locators (they pierce the widget's
open shadow root, so the same helper drives the widget and the full page)."""

from __future__ import annotations

from typing import Optional

from playwright.sync_api import Locator, Page, expect

# The deepest focused element, through shadow roots (document.activeElement stops at the host).
ACTIVE_CLASS = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  return el ? (el.className || el.tagName) : null;
}"""


# A coach bubble after the person's latest message, in the widget's shadow root or the full page:
# the answer has begun, however many bubbles the greeting took and whenever they arrived.
ANSWERED = """() => {
  const host = document.querySelector('psoas-coach-widget');
  const root = host && host.shadowRoot ? host.shadowRoot : document;
  const mine = [...root.querySelectorAll('.pc-msg')].map(m => m.classList.contains('pc-msg-user'));
  const last = mine.lastIndexOf(true);
  return last >= 0 && mine.slice(last + 1).some(isUser => !isUser);
}"""


class Chat:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.locator(".pc-launcher")
        self.panel = page.locator(".pc-panel")
        self.status = page.locator(".pc-status")
        self.log = page.locator(".pc-log")
        self.input = page.locator(".pc-composer textarea")
        self.note = page.locator(".pc-note")
        self.counter = page.locator(".pc-counter")
        self.bot = page.locator(".pc-msg-bot")
        self.user = page.locator(".pc-msg-user")
        self.banner = page.locator(".pc-banner")
        self.session = page.locator(".pc-session")
        self.countdown = page.locator(".pc-countdown-value")
        self.polite = page.locator(".pc-announce-polite")
        self.alert = page.locator(".pc-announce-alert")

    def wait_answered(self) -> None:
        """Until the coach has answered the person's latest message."""
        self.page.wait_for_function(ANSWERED, timeout=15_000)

    def active(self) -> Optional[str]:
        return self.page.evaluate(ACTIVE_CLASS)

    def tab_to(self, css_class: str, limit: int = 40) -> None:
        """Presses Tab until the element with that class has focus, as a keyboard user would."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            if css_class in (self.active() or "").split():
                return
        raise AssertionError(f"Tab never reached .{css_class} (last focus: {self.active()})")

    def wait_connected(self) -> None:
        expect(self.status).to_have_attribute("data-state", "connected")

    def say(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def say_and_wait_for_an_answer(self, text: str) -> None:
        """Sends `text` and waits until at least one more coach message is shown: how many
        messages an answer takes (an answer and then the consent question, say) is the coach's
        business, not the widget's."""
        shown_before = self.bot.count()
        self.say(text)
        expect(self.bot.nth(shown_before)).to_be_attached()

    def bot_reply(self, containing: str) -> Locator:
        reply = self.bot.filter(has_text=containing).last
        expect(reply).to_be_visible()
        return reply

    def of_type(self, kind: str) -> Locator:
        return self.page.locator(f'.pc-msg-bot[data-type="{kind}"]')

    def steps(self) -> int:
        return self.of_type("session_step").count()

    def answer_screening(self, answer: str = "No") -> int:
        """Clicks `answer` on each screening question until the session starts; returns how many."""
        answered = 0
        while answered < 12:
            open_question = self.page.locator(".pc-msg-question .pc-reply:not([disabled])")
            step = self.of_type("session_step")
            expect(open_question.or_(step).first).to_be_visible()
            if step.count():
                return answered
            open_question.get_by_text(answer, exact=True).first.click()
            answered += 1
            expect(self.page.locator(".pc-msg-question .pc-used").nth(answered - 1)).to_be_attached()
        raise AssertionError("the screening never ended")
