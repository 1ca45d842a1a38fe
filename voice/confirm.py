"""Which heard answers are read back before the coach acts on them, and how.

Why: a recogniser hears "can" for "can't" and loses negation ("I can't kneel" came out as
"i kneel" with a domain language model), and a yes/no grammar turns any sound into "yes" or
"no". Sending that unchecked would store the opposite of what the user said in their safety
profile, and the coach would offer kneeling stretches to someone who can't kneel. So before
sending an answer that changes safety, the loop says what it understood ("I heard: you can't
kneel. Is that right?") and sends it only on "yes"; on "no" it asks again.

What is read back:
- every answer to a screening question (yes/no, the options of a clarifying question, "none
  of these" on the red-flag checklist; a red flag picked from the checklist is an alarm);
- free speech naming something the coach's safety detector listens for: words of the
  conditions, limitations and symptoms in knowledge/ (voice/grammars.py builds the list).

What is never delayed:
- an alarm: a heard sentence that names an emergency, crisis or urgent red flag with no
  negation in it ("I can't feel my legs", "chest pain") is sent at once. A misheard alarm costs
  a false alarm the user corrects in one sentence; a read-back would delay emergency advice,
  and pushed session cues would keep coming while we waited. An alarm phrase said with a
  negation ("I don't have chest pain") clears rather than raises, so it is read back.
- session controls (pause, stop, that hurts): they only ever stop or slow things down.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence

from voice.grammars import YES_NO, Built, meaning
from voice.listening import ANSWER, Expectation
from voice.recogniser import SESSION, Heard

SEND = "send"
RED_FLAG_CHECK = "red_flag_check"  # the checklist's screening_question id (docs/api.md)
READ_BACK = "read_back"
NEGATIONS = {
    "no", "not", "never", "none", "nothing", "without", "neither", "nor", "don't", "doesn't", "didn't",
    "haven't", "hasn't", "hadn't", "isn't", "aren't", "wasn't", "weren't", "won't", "nope",
}  # fmt: skip
# "can't" is not here: "I can't breathe" and "I can't feel my legs" raise alarms.
SECOND_PERSON = {
    "i": "you", "i'm": "you're", "i've": "you've", "i'd": "you'd", "i'll": "you'll", "my": "your",
    "me": "you", "mine": "yours", "myself": "yourself", "we": "you", "our": "your", "us": "you",
}  # fmt: skip
AFTER_I = {"am": "are", "was": "were"}


@dataclass(frozen=True)
class Decision:
    action: str  # SEND or READ_BACK
    reason: str  # said in logs and tests: "alarm", "screening answer", "safety words: kneel"


class SafetyCheck:
    def __init__(self, built: Built):
        self.safety_words = set(built.safety_words)
        self.alarms = built.alarms

    def is_alarm(self, text: str) -> bool:
        words = text.split()
        if NEGATIONS & set(words):
            return False
        return any(
            all(any(_contains(words, alt.split()) for alt in group) for group in pattern) for pattern in self.alarms
        )

    def names_safety(self, text: str) -> bool:
        """A sentence (three words or more) naming something safety-related, or an alarm."""
        return self.is_alarm(text) or (len(text.split()) >= 3 and bool(self.safety_words_in(text)))

    def safety_words_in(self, text: str) -> List[str]:
        return [w for w in text.split() if w in self.safety_words]

    def decide(self, heard: Heard, expectation: Expectation) -> Decision:
        if self.is_alarm(heard.text):
            return Decision(SEND, "alarm: never delayed")
        if expectation.question_id == RED_FLAG_CHECK and not NEGATIONS & set(heard.text.split()):
            return Decision(SEND, "alarm: a red flag picked from the checklist")  # "none of these" is read back
        if expectation.kind == ANSWER:
            return Decision(READ_BACK, "screening answer")
        if heard.search == SESSION:
            return Decision(SEND, "session control")
        words = self.safety_words_in(heard.text)
        if words:
            return Decision(READ_BACK, "safety words: " + ", ".join(words))
        return Decision(SEND, "nothing safety-related")


def _contains(words: Sequence[str], phrase: Sequence[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(list(words[i : i + n]) == list(phrase) for i in range(len(words) - n + 1))


def second_person(text: str) -> str:
    """'i can't kneel' -> 'you can't kneel', 'i am pregnant' -> 'you are pregnant'."""
    out: List[str] = []
    for i, word in enumerate(text.split()):
        if i and text.split()[i - 1] == "i" and word in AFTER_I:
            out.append(AFTER_I[word])
        else:
            out.append(SECOND_PERSON.get(word, word))
    return " ".join(out)


def read_back(heard: Heard, expectation: Expectation) -> str:
    """What the loop says to check it understood."""
    answer = meaning(heard.text) if heard.text in {p for ps in YES_NO.values() for p in ps} else None
    if expectation.kind == ANSWER and expectation.yes_no and answer:
        question = expectation.question.strip()
        return (
            f'I heard "{answer}" to: {question} Is that right?' if question else f'I heard "{answer}". Is that right?'
        )
    return f"I heard: {second_person(heard.text)}. Is that right?"
