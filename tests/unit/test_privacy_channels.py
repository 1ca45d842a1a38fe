"""The export payload on channels: Telegram uploads its files, voice never reads a link aloud."""

from __future__ import annotations

from connectors.render import BotMessage
from connectors.render.speech import spoken_text
from connectors.render.telegram import document, export_tokens

EXPORT = {
    "type": "export",
    "revoked": 0,
    "files": [
        {"name": "psoas-coach-data.json", "media_type": "application/json",
         "url": "https://coach.example/webhooks/downloads/tok_1-A/psoas-coach-data.json"},
        {"name": "psoas-coach-summary.pdf", "media_type": "application/pdf",
         "url": "/webhooks/downloads/tok2/psoas-coach-summary.pdf"},
        {"name": "other.pdf", "url": "/webhooks/downloads/tok3/renamed.pdf"},
    ],
}  # fmt: skip


def test_telegram_uploads_the_files_of_an_export():
    message = BotMessage(text="Here's your data.", custom=EXPORT)
    assert export_tokens(message) == [("tok_1-A", "psoas-coach-data.json"), ("tok2", "psoas-coach-summary.pdf")]
    assert export_tokens(BotMessage(text="hi", custom={"type": "faq"})) == []
    call = document(42, "psoas-coach-summary.pdf", b"%PDF-1.4")
    assert call.method == "sendDocument" and call.params == {"chat_id": 42}
    assert call.files == {"document": ("psoas-coach-summary.pdf", b"%PDF-1.4")}


def test_links_are_not_read_aloud():
    text = (
        "Here's everything I know about you: the full data /webhooks/downloads/abc/psoas-coach-data.json and "
        "a summary https://coach.example/webhooks/downloads/def/psoas-coach-summary.pdf. The links work until 11:00."
    )
    spoken = spoken_text(text)
    assert "webhooks" not in spoken and "http" not in spoken and "abc" not in spoken
    assert spoken.startswith("Here's everything I know about you: the full data and a summary.")
