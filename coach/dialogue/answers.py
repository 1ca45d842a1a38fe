"""Reads a typed reply to a yes/no-style question: yes, no or not sure, in the forms people use.

Order matters: "I don't think so" is a no, "I don't know" is not sure, and both contain a
negation; a reply that says yes and no ("yes and no", "yes but not now") is not sure.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Optional


class YesNo(str, Enum):
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


def _words(*phrases: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b")


# Negative phrases that contain an uncertain-looking word ("think", "know", "aware").
_FIRM_NO = _words(
    r"(?:i )?don'?t think so",
    r"not that i(?:'m| am)? (?:know|aware|remember)\w*",
    r"not as far as i know",
    r"i don'?t believe so",
    r"definitely not",
    r"of course not",
    r"not at all",
    r"no way",
    r"nope",
    r"nah+",
    r"never",
    r"no+",
    r"not really",
    r"negative",
    r"none",
    r"nothing",
    r"i (?:don'?t|do not|haven'?t|have not|am not|'m not|wasn'?t|didn'?t|can'?t say i (?:do|have))",
    r"(?:it|they|that) (?:isn'?t|is not|aren'?t|wasn'?t|hasn'?t|doesn'?t)",
    r"not (?:any ?more|now|lately|at the moment|currently|yet)",
    r"(?:haven'?t|hasn'?t|have not|has not)",
    r"no ?(?:one|body) has",
    r"n",
)
_UNSURE = _words(
    r"not (?:really )?sure",
    r"unsure",
    r"(?:i )?(?:don'?t|do not|dont) know",
    r"dunno",
    r"idk",
    r"no idea",
    r"not certain",
    r"uncertain",
    r"maybe",
    r"perhaps",
    r"possibly",
    r"might (?:be|have|do)",
    r"could be",
    r"(?:can'?t|cannot|don'?t) (?:remember|recall|tell)",
    r"hard to say",
    r"yes and no",
    r"not sure",
)
# Said firmly, these are a no whatever else the reply holds ("definitely not").
_STRONG_NO = _words(
    r"not a bit", r"definitely not", r"of course not", r"certainly not", r"absolutely not", r"not at all", r"no way"
)
# A partial yes is a yes: for a safety question, "a bit" or "sometimes" must count.
_PARTIAL_YES = _words(
    r"a (?:bit|little)",
    r"slightly",
    r"sometimes",
    r"occasionally",
    r"now and (?:then|again)",
    r"kind of",
    r"sort of",
    r"kinda",
    r"sorta",
    r"somewhat",
    r"a touch",
)
_YES = _words(
    r"y(?:es|ess+|eah?|ep|up|a|ea|eh|s)?",
    r"sure",
    r"definitely",
    r"absolutely",
    r"of course",
    r"correct",
    r"right",
    r"true",
    r"affirmative",
    r"i (?:do|have|am|did|think so|guess so|believe so)",
    r"(?:it|they|that) (?:is|are|does|has|was)",
    r"uh[- ]?huh",
    r"ok(?:ay)?",
    r"yh",
    r"aye",
    r"certainly",
    r"indeed",
    r"i'?m afraid so",
    r"unfortunately",
    r"still",
)


# "ok cool. and no, heart's fine": an acknowledgement first is not the answer.
_ACKNOWLEDGEMENT = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|cool|great|thanks|thank you|ta|right|alright|got it|fair enough|lovely|nice|sure thing)[\s,.!]*)+"
    r"(?:and\s+|but\s+|so\s+)?(?=\w)"
)


def yes_no(text: str) -> Optional[YesNo]:
    """yes / no / unsure for a typed reply, or None when it says none of these."""
    t = re.sub(r"[\u2019`]", "'", (text or "").lower()).strip()
    rest = _ACKNOWLEDGEMENT.sub("", t)
    if rest and rest != t:
        t = rest  # the words after the acknowledgement are the answer
    if not t:
        return None
    if _STRONG_NO.search(t):
        return YesNo.NO
    firm_no = bool(_FIRM_NO.search(t))
    unsure = bool(_UNSURE.search(t))
    yes = bool(_YES.search(t) or _PARTIAL_YES.search(t))
    if unsure and not (firm_no and _words(r"(?:i )?don'?t think so", r"not that i\w*").search(t)):
        return YesNo.UNSURE
    if firm_no and yes:
        # "no, not at all" vs "yes and no": a leading answer word decides, otherwise unsure.
        first = t.split()[0].strip(",.!") if t.split() else ""
        if _FIRM_NO.fullmatch(first):
            return YesNo.NO
        if _YES.fullmatch(first):
            return YesNo.YES
        return YesNo.UNSURE
    if firm_no:
        return YesNo.NO
    if yes:
        return YesNo.YES
    return None
