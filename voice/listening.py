"""Which grammar to listen with, from the last bot payload (docs/api.md).

- `screening_question`: its options only ("yes" / "no" get the yes / no / not sure grammar).
  Every answer is read back before it is sent (voice/confirm.py).
- `session_step` (any phase but `done`, paused or not): the session controls, plus the
  message's own buttons (the halfway check-in: "front of my hip", "lower back"...). If that
  grammar is not confident, the domain language model gets a try, so "I can't feel my legs"
  said during a hold is still heard.
- a message with buttons: the button titles first, then free speech.
- otherwise: free speech (the domain language model).
A message without payload or buttons ("Thanks, noted") keeps the current expectation, so a
session stays a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

from connectors.render import BotMessage, Button
from voice.grammars import number_words, spoken_words
from voice.recogniser import FREE, SESSION, YES_NO_SEARCH, Recogniser

ANSWER = "answer"  # a screening question is open
IN_SESSION = "session"
CHOICES = "choices"
FREE_SPEECH = "free"


@dataclass(frozen=True)
class Expectation:
    kind: str = FREE_SPEECH
    question: str = ""  # the question's text, for the read-back
    options: List[str] = field(default_factory=list)  # what the coach offered, in its words
    buttons: List[Button] = field(default_factory=list)
    question_id: str = ""

    @property
    def yes_no(self) -> bool:
        """A yes/no question (its options may add "unsure": the coach's "Not sure" button)."""
        values = {o.lower().replace("_", " ") for o in self.options}
        return {"yes", "no"} <= values <= {"yes", "no", "not sure", "unsure"}

    def searches(self, recogniser: Recogniser) -> List[str]:
        """The searches to try, most constrained first."""
        if self.kind == ANSWER:
            if self.yes_no:
                return [YES_NO_SEARCH]
            options = recogniser.options_search(self.titles())
            return [options] if options else [FREE]
        if self.kind == IN_SESSION:
            extra = recogniser.options_search(b.title for b in self.buttons)
            return [SESSION] + ([extra] if extra else []) + [FREE]
        if self.kind == CHOICES:
            options = recogniser.options_search(self.titles())
            return ([options] if options else []) + [FREE]
        return [FREE]

    @property
    def numbers(self) -> bool:
        """Number buttons (3, 5, 7, 9 for "from 0 to 10"): any number up to ten may be said."""
        return bool(self.buttons) and all(b.title.strip().isdigit() for b in self.buttons)

    def titles(self) -> List[str]:
        """What the user may say: the buttons' titles (the options' values when there are none)."""
        if not self.buttons:
            return list(self.options)
        return [b.title for b in self.buttons] + ([str(n) for n in range(11)] if self.numbers else [])

    def button_for(self, heard: str) -> Optional[Button]:
        """The button whose title was said, so the loop sends what a tap would. For number
        buttons, a number without a button is sent the way the buttons are ("8 out of 10")."""
        for button in self.buttons:
            if " ".join(spoken_words(button.title)) == heard:
                return button
        if self.numbers:
            said = next((n for n in range(11) if number_words(n) == heard), None)
            if said is not None:
                first = self.buttons[0]
                tail = first.payload[len(first.title) :] if first.payload.startswith(first.title) else ""
                return Button(str(said), f"{said}{tail}")
        return None


def expectation_after(message: BotMessage, current: Expectation) -> Expectation:
    """What to listen for once `message` has been said."""
    custom = message.custom or {}
    kind = message.kind
    if kind == "screening_question":
        options = [str(o) for o in custom.get("options") or []] or [b.title for b in message.buttons]
        return Expectation(ANSWER, message.text or "", options, list(message.buttons), str(custom.get("id", "")))
    if kind == "session_step":
        if custom.get("phase") == "done":
            return Expectation(FREE_SPEECH)
        return Expectation(IN_SESSION, buttons=list(message.buttons))
    if kind == "input_error":
        return current
    if message.buttons:
        return Expectation(CHOICES, buttons=list(message.buttons))
    if kind is None and current.kind in (IN_SESSION, ANSWER):
        return current  # "Thanks, noted. Carry on when you're ready." changes nothing
    return Expectation(FREE_SPEECH)
