"""Every sentence a chat channel says on its own, without the coach: where the conversation
went, a button that no longer works, a message it cannot read. None of them may say anything
about a person's health: the privacy pointers are posted where others can read them."""

from __future__ import annotations

# Posted in a Telegram group or Slack channel after the coach answered in a private chat.
SENT_PRIVATELY_TELEGRAM = "I've sent you a private message."
SENT_PRIVATELY_SLACK = "I've sent you a direct message."

# Posted in the group when the coach may not write to the person first (Telegram only lets a
# bot message someone who has opened a chat with it).
OPEN_PRIVATE_CHAT_TELEGRAM = (
    "I keep conversations about hips and stretching private. Open a chat with me here: "
    "https://t.me/{bot}?start=hi and press Start."
)
OPEN_PRIVATE_CHAT_SLACK = (
    "I keep conversations about hips and stretching private, but I couldn't open a direct message "
    "with you. Find me under Apps in the sidebar and write to me there."
)

# Shown under a question once its button was pressed (the buttons are then removed).
ANSWERED = "✓ {choice}"

# A button whose stored payload is unknown or expired.
BUTTON_EXPIRED = "That button has expired. Tell me in a few words what you'd like, or say hi to start again."
BUTTON_EXPIRED_SHORT = "That button has expired."

# A photo, sticker, voice note or location: the coach only reads words.
TEXT_ONLY = "I can only read text messages. Tell me in words how your hips feel, or ask for a stretch."
