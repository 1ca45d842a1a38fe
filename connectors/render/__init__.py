"""One renderer per channel over the payloads of docs/api.md.

Actions never format for a channel: they emit text, buttons and a `custom` payload. Each
channel turns that into its native form in one module here (Telegram inline keyboards,
Slack blocks, SSML for voice); the web page and the widget do the same in web/coach-chat.js.
A renderer reads the payload for structure and the text for people, and never invents
wording of its own for safety messages: those come from the knowledge base.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


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

    @classmethod
    def from_rasa(cls, message: Dict[str, Any]) -> BotMessage:
        """Reads a message as Rasa passes it to `OutputChannel.send_response`."""
        raw_buttons = message.get("buttons") or message.get("quick_replies") or []
        buttons = [Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in raw_buttons if b.get("title")]
        custom = message.get("custom") if isinstance(message.get("custom"), dict) else {}
        return cls(text=message.get("text") or None, buttons=buttons, custom=custom or {}, image=message.get("image"))
