"""The scripted conversations each simulated user holds, one set per bot.

The coach's are what its users do (issue 11): a screening before a guided session and the
session's controls, a recommendation that changes with a limitation, and questions the
knowledge base answers. The starter bot's are what `rasa init`'s own stories cover.
"""

from __future__ import annotations

from typing import Dict, List

SCREENING_QUESTIONS = 8  # knowledge/screening.yml: a first session asks each once

COACH: Dict[str, List[str]] = {
    "screening and session control": [
        "hi",
        "let's start a session",
        *["no"] * SCREENING_QUESTIONS,
        "ready",
        "pause",
        "resume",
        "how long is left?",
        "skip",
        "stop",
    ],
    "recommendation": [
        "my hip flexors are tight from sitting all day",
        "I can't kneel",
        "how do I do the bed stretch?",
        "can you make it easier?",
        "thanks",
    ],
    "questions (FAQ)": [
        "what is the psoas?",
        "how long should I hold each stretch?",
        "how often should I stretch?",
        "should I stretch before or after a run?",
        "are you a bot?",
        "bye",
    ],
}

STARTER: Dict[str, List[str]] = {
    "happy path": ["hello", "I am great", "bye"],
    "sad path, cheered up": ["hi", "I'm sad", "yes", "thanks, bye"],
    "sad path, not cheered up": ["hey there", "not good", "no", "goodbye"],
    "bot challenge": ["good morning", "are you a bot?", "I am feeling very good", "see you later"],
}
