"""One renderer per channel over the payloads of docs/api.md.

Actions never format for a channel: they emit text, buttons and a `custom` payload. Each
channel turns that into its native form in one module here (Telegram inline keyboards,
Slack blocks, SSML for voice); the web page and the widget do the same in web/coach-chat.js.
A renderer reads the payload for structure and the text for people, and never invents
wording of its own for safety messages: those come from the knowledge base.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class BotMessage:
    """A bot message as every renderer sees it, whatever Rasa called its parts."""

    text: Optional[str] = None
    buttons: List[Button] = field(default_factory=list)
    custom: Dict[str, Any] = field(default_factory=dict)
    image: Optional[str] = None

    @property
    def kind(self) -> Optional[str]:
        """The payload type (`safety`, `recommendation`, `session_step`, ...), if any."""
        return self.custom.get("type") if self.custom else None

    @property
    def urgent(self) -> bool:
        """A safety message whose first paragraph is what to do now (call for help, get care):
        channels make it stand out and never put anything before it."""
        return self.kind == "safety" and self.custom.get("urgency") in URGENT

    @classmethod
    def from_rasa(cls, message: Dict[str, Any]) -> BotMessage:
        """Reads a message as Rasa passes it to `OutputChannel.send_response`."""
        raw_buttons = message.get("buttons") or message.get("quick_replies") or []
        buttons = [Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in raw_buttons if b.get("title")]
        custom = message.get("custom") if isinstance(message.get("custom"), dict) else {}
        return cls(text=message.get("text") or None, buttons=buttons, custom=custom or {}, image=message.get("image"))


URGENT = {"emergency", "urgent", "crisis"}

# Button payloads a platform cannot carry (Telegram's callback_data is at most 64 bytes) travel
# as this prefix plus a short key into the coach's store (coach/store/channels.py).
PAYLOAD_KEY_PREFIX = "#k:"


def stored_payload_key(data: Optional[str]) -> Optional[str]:
    """The key a pressed button's data stands for, or None when the data is the payload itself."""
    if isinstance(data, str) and data.startswith(PAYLOAD_KEY_PREFIX):
        return data[len(PAYLOAD_KEY_PREFIX) :]
    return None


def split_text(text: str, limit: int, size: Callable[[str], int] = len) -> List[str]:
    """Cuts text into pieces of at most `limit` (as `size` measures it), at blank lines if it
    can, then at line breaks, then at spaces; a piece never loses or reorders characters
    other than the separator it was cut at."""
    if size(text) <= limit:
        return [text]
    for separator in ("\n\n", "\n", " "):
        parts = text.split(separator)
        if len(parts) == 1:
            continue
        pieces: List[str] = []
        current = ""
        for part in parts:
            candidate = f"{current}{separator}{part}" if current else part
            if size(candidate) <= limit:
                current = candidate
                continue
            if current:
                pieces.append(current)
            current = part
        pieces.append(current)
        return [p for piece in pieces for p in split_text(piece, limit, size) if p.strip()]
    # One unbroken run longer than the limit: cut it by characters.
    pieces, current, used = [], "", 0
    for ch in text:
        if used + size(ch) > limit:
            pieces.append(current)
            current, used = "", 0
        current += ch
        used += size(ch)
    return pieces + [current]
