"""Time phrases people use: how long they have ("only 5 minutes", "half an hour") and when
something happened ("two weeks ago", "last year", "in 2015").

One source for both the NLU and the coach: `scripts/sync_nlu.py` writes these patterns into
`data/nlu/time_phrases.yml` as Rasa regexes (entities `duration` and `time_ago`), and
`minutes_in` reads the same phrases when planning a session. Pure regex, no spaCy, so the
action server can use it without loading a language model.
"""

from __future__ import annotations

import re
from typing import Optional

NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "couple": 2,
    "few": 3,
    "several": 4,
}
_WORDS = "|".join(sorted((w for w in NUMBER_WORDS if w not in ("a", "an")), key=len, reverse=True))
# "5", "2.5", "five", "twenty five", "a couple of", "a few". A bare "a"/"an" only where it
# cannot be "wait a minute": "an hour", "a week ago".
_NUMBER = rf"(?:\d+(?:[.,]\d+)?|(?:{_WORDS})(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?)"
_SOME = rf"(?:(?:a\s+)?(?:couple|few)(?:\s+of)?|{_NUMBER})"
_SESSION_UNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?)"
_PAST_UNIT = r"(?:days?|nights?|weeks?|wks?|months?|mths?|years?|yrs?|decades?)"

DURATION = (
    r"\b(?:"
    r"half\s+an?\s+hour|an\s+hour(?:\s+and\s+a\s+half)?|(?:a\s+)?quarter\s+of\s+an\s+hour|"
    rf"{_SOME}(?:\s*(?:-|to|or)\s*{_NUMBER})?\s*{_SESSION_UNIT}|"
    r"\d+\s*[mh]"
    r")\b(?!\s+(?:ago|back)\b)"  # "3 hours ago" is when, not how long
)

TIME_AGO = (
    r"\b(?:"
    rf"(?:{_SOME}|an?)\s+{_PAST_UNIT}\s+(?:ago|back|before)|"
    r"(?:last|this\s+past)\s+(?:week|month|year|summer|winter|spring|autumn|fall|christmas|night|weekend)|"
    r"(?:ages|decades|years|months|weeks|days)\s+ago|"
    r"yesterday|earlier\s+(?:today|this\s+(?:week|month|year))|"
    r"(?:since|from)\s+(?:this\s+morning|yesterday|last\s+[a-z]+)|"
    r"(?:in|back\s+in)\s+(?:19|20)\d\d"
    r")\b"
)

_DURATION_RE = re.compile(DURATION, re.IGNORECASE)


def minutes_in(text: str) -> Optional[float]:
    """Minutes in the first duration phrase of `text` ("10-15 mins" -> 10: plan for the least)."""
    match = _DURATION_RE.search(text or "")
    if not match:
        return None
    phrase = match.group(0).lower()
    if phrase.startswith("half"):
        return 30.0
    if phrase.endswith("and a half"):
        return 90.0
    if "quarter" in phrase:
        return 15.0
    amount = 1.0 if phrase.startswith("an hour") else _amount(phrase)
    unit_match = re.search(r"[a-z]+$", phrase)
    unit = unit_match.group(0) if unit_match else "minutes"
    return amount * (1 / 60 if unit.startswith("s") else 60 if unit.startswith("h") else 1)


def _amount(phrase: str) -> float:
    number = re.match(r"\d+(?:[.,]\d+)?", phrase)
    if number:
        return float(number.group(0).replace(",", "."))
    values = []
    for word in re.findall(r"[a-z]+", phrase):
        if word in ("to", "or"):
            break  # a range: plan for its lower end
        if word in NUMBER_WORDS:
            values.append(NUMBER_WORDS[word])
    if len(values) > 1 and values[0] >= 20 and values[1] < 10:
        return float(values[0] + values[1])  # "twenty five"
    return float(values[-1] if values[0] == 1 else values[0])  # "a couple of" -> 2
