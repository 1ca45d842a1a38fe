"""Reads the context around a matched phrase: is it negated, someone else's, hypothetical, old?

A NegEx-style approach: cues are looked for *before* the match inside its clause, because
that is where English puts them ("no numbness", "my dad had…", "what if it pinches").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Optional, Tuple

from spacy.tokens import Doc

from coach import time_phrases

HARD_BREAKS = {".", "!", "?", ";", "\n", ":", "but", "however", "although", "though", "except", "whereas", "yet"}
# A comma or "and" ends a clause only when a new subject follows ("no fever, my legs are weak").
SUBJECT_STARTERS = {
    "i",
    "my",
    "it",
    "its",
    "the",
    "now",
    "then",
    "also",
    "he",
    "she",
    "they",
    "we",
    "im",
    "i'm",
    "me",
    "this",
    "that",
    "there",
    # a question after a comma is a new clause: "I get pins and needles, what should I do?"
    "what",
    "how",
    "which",
    "why",
    "should",
    "could",
    "would",
    "can",
    "any",
    "anyone",
    "is",
}
SOFT_BREAKS = {",", "and", "&", "-", "so", "because", "cos", "cause", "since", "plus", "lol", "haha", "tbh", "btw"}

NEGATION_CUES = {
    "no",
    "not",
    "never",
    "without",
    "nor",
    "neither",
    "none",
    "nothing",
    "zero",
    "deny",
    "denies",
    "nope",
    "nah",
}
# "don't know", "no idea", "not sure": look like negations but negate nothing that follows.
PSEUDO_NEGATION_NEXT = {
    "like",  # "nothing like my usual pain"
    "know",
    "sure",
    "idea",
    "understand",
    "wonder",
    "only",
    "just",
    "matter",
    "clue",
    "joke",
    "kidding",
    "lie",
    "lying",
    "exaggerate",
    "exaggerating",
    "help",
    "stop",
    # Pain that "never lets up", "never eases", "never ends" is constant: affirmed, not denied.
    "let",
    "ease",
    "end",
    "quit",
}
NEGATION_WINDOW = 7
# After the phrase: "numbness is gone", "that cleared up", "fine now". Kept strict: "clearing the
# gutters" or "are these ok?" must not erase a symptom.
RESOLVED_WORDS = {
    "gone", "resolve", "resolved", "disappear", "disappeared", "heal", "healed", "recover", "recovered", "pain-free",
}  # fmt: skip
RESOLVED_PAIRS = {
    ("clear", "up"),
    ("cleared", "up"),
    ("go", "away"),
    ("went", "away"),
    ("fine", "now"),
    ("better", "now"),
    ("ok", "now"),
    ("okay", "now"),
    ("settle", "down"),
    ("settled", "down"),
    ("all", "good"),
    ("pain", "free"),
    ("no", "problems"),
    ("no", "trouble"),
    ("fine", "since"),
}
RESOLVED_WINDOW = 6

FIRST_PERSON = {"i", "me", "my", "myself", "mine", "i'm", "im", "i've", "i'd", "i'll"}
THIRD_PARTY = {
    "dad",
    "father",
    "mum",
    "mom",
    "mother",
    "mummy",
    "mommy",
    "wife",
    "husband",
    "partner",
    "friend",
    "mate",
    "brother",
    "sister",
    "son",
    "daughter",
    "grandma",
    "grandmother",
    "granny",
    "gran",
    "nan",
    "nana",
    "grandad",
    "granddad",
    "grandpa",
    "grandfather",
    "uncle",
    "aunt",
    "auntie",
    "cousin",
    "colleague",
    "coworker",
    "boss",
    "he",
    "she",
    "they",
    "his",
    "her",
    "their",
    "him",
    "family",
    "someone",
    "somebody",
    "client",
    "clients",
    "patient",
    "patients",
    "student",
    "students",
    "member",
    "members",
    "athlete",
    "athletes",
    "kid",
    "child",
    "boyfriend",
    "girlfriend",
    "neighbour",
    "neighbor",
    "flatmate",
    "roommate",
    "parents",
    "parent",
    "fiance",
    "fiancee",
    "bf",
    "gf",
    "hubby",
}
FIRST_PERSON_OBJECTS = {"me", "myself"}
REPORTING_VERBS = {
    "say",
    "said",
    "tell",
    "told",
    "think",
    "reckon",
    "diagnose",
    "confirm",
    "suspect",
    "believe",
    "call",
}
# What a hospital's "they" does to the person telling: not someone else's health.
CLINICIAN_ACTIONS = {"put", "operate", "remove", "insert", "fit", "fix", "replace", "perform", "stitch", "inject",
                     "drain", "admit", "discharge", "x-ray", "scan", "find", "found", "give", "gave", "do", "did",
                     "take", "took"}  # fmt: skip
HYPOTHETICAL_CUES = {"if", "suppose", "supposing", "hypothetically", "imagine", "case", "whether", "theory", "theories"}
HYPOTHETICAL_PHRASES = (
    ("what", "happen"),
    ("signs", "of"),
    ("symptom", "of"),
    ("sign", "of"),
    ("risk", "of"),
    ("chance", "of"),
    ("when", "should"),
    ("is", "it", "normal"),
    ("can", "stretching"),
    ("could", "stretching"),
    ("can", "this"),
    ("could", "this"),
    ("will", "this"),
    ("what", "would"),
    ("would", "you", "tell"),
    ("just", "curious"),
    ("what", "do", "you", "do", "if"),
    ("how", "do", "you", "handle"),
)

# How many: shared with the time phrases; "some" and "many" only mean an amount here.
NUMBER_WORDS = {**time_phrases.NUMBER_WORDS, "some": 3, "many": 10}
UNIT_DAYS = {
    "minute": 0.0,
    "hour": 0.04,
    "day": 1,
    "night": 1,
    "week": 7,
    "wk": 7,
    "fortnight": 14,
    "month": 30,
    "year": 365,
    "yr": 365,
    "decade": 3650,
}
RELATIVE_DAYS = {
    "today": 0,
    "tonight": 0,
    "yesterday": 1,
    "recently": 14,
    "currently": 0,
    "now": 0,
    "childhood": 9000,
    "kid": 9000,
    "teenager": 7000,
    "teen": 7000,
    "ages": 1500,
    "ago": None,
}
YEAR = re.compile(r"^(19[5-9]\d|20[0-4]\d)$")
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
# "may" and "march" are also verbs, "jan" a name: only a month after one of these or before a year.
AMBIGUOUS_MONTHS = {"may", "march", "mar", "jan", "jun", "sep", "dec", "oct", "nov", "aug", "apr"}
MONTH_LEAD_INS = {"in", "since", "last", "early", "late", "mid", "of", "from", "back", "until", "till", "on", "end"}


WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
WEEKDAYS.update({"mon": 0, "tues": 1, "weds": 2, "thurs": 3, "fri": 4, "sat": 5, "sun": 6})
WEEKDAY_LEAD_INS = {"on", "since", "last", "this", "from"}


def _weekday_days(tokens, i: int, today: date) -> Optional[float]:
    """Days since the weekday named ("on Saturday" = the last Saturday; "last Friday's run")."""
    word = tokens[i].rstrip("'s")
    day = WEEKDAYS.get(word)
    if day is None:
        return None
    if len(word) <= 4 and not (i > 0 and tokens[i - 1] in WEEKDAY_LEAD_INS):
        return None  # "sat", "sun", "fri" alone are other words
    back = (today.weekday() - day) % 7
    if back == 0 and not (i > 0 and tokens[i - 1] == "this"):
        back = 7 if i > 0 and tokens[i - 1] == "last" else 0
    return float(back)


def _month_days(tokens, i: int, today: date) -> Optional[float]:
    """Days since the month named at tokens[i] ("in March" = the last March before today)."""
    month = MONTHS.get(tokens[i])
    if month is None:
        return None
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    year = int(nxt) if YEAR.match(nxt) else None
    if tokens[i] in AMBIGUOUS_MONTHS and year is None and not (i > 0 and tokens[i - 1] in MONTH_LEAD_INS):
        return None
    if year is None:
        year = today.year if month <= today.month else today.year - 1
    when = date(year, month, 15)
    return float(max(0, (today - when).days))


@dataclass(frozen=True)
class Context:
    negated: bool = False
    third_party: bool = False
    hypothetical: bool = False
    resolved: bool = False
    days_ago: Optional[float] = None
    duration_days: Optional[float] = None  # "for 2 months": how long it has been going on


def clause_bounds(doc: Doc, start: int, end: int) -> Tuple[int, int]:
    """Token range of the clause holding doc[start:end]."""
    left = start
    while left > 0 and not _breaks_before(doc, left):
        left -= 1
    right = end
    while right < len(doc) and not _breaks_before(doc, right):
        right += 1
    return left, right


def _breaks_before(doc: Doc, i: int) -> bool:
    """True when a new clause starts at token i (the break token belongs to the old clause)."""
    prev = doc[i - 1].lower_ if i > 0 else ""
    if prev in HARD_BREAKS:
        return True
    if prev in SOFT_BREAKS and doc[i].lower_ in SUBJECT_STARTERS:
        return True
    return False


def read(doc: Doc, start: int, end: int, today: date) -> Context:
    left, right = clause_bounds(doc, start, end)
    negative_form = doc[start].lemma_.lower() in NEGATION_CUES  # "no table", "no proper bed"
    return Context(
        negated=not negative_form and _negated(doc, left, start),
        third_party=_family_history(doc, left, start, end, right) or _third_party(doc, left, start, end, right),
        hypothetical=_hypothetical(doc, left, start) or _future(doc, left, start, end, right),
        resolved=_resolved(doc, end, right),
        days_ago=days_ago(doc, left, right, today),
        duration_days=duration_days(doc, left, right),
    )


def with_negation(c: Context, negated: bool) -> Context:
    return replace(c, negated=negated)


def as_hypothetical(c: Context) -> Context:
    return replace(c, hypothetical=True)


QUESTION_OPENERS = {"is", "can", "could", "would", "should", "will", "am", "do", "does", "may", "are"}


def in_question(doc: Doc, start: int, end: int) -> bool:
    """The words sit in a yes/no question ("is it ok to exercise with…?"). A question that tells
    something on the way ("what's best now that I've been released by my doctor?") still tells it."""
    left, _ = sentence_bounds(doc, start, end)
    return doc[left].lower_ in QUESTION_OPENERS


def with_resolved(c: Context) -> Context:
    return replace(c, resolved=True)


def with_days_ago(c: Context, days: Optional[float]) -> Context:
    return replace(c, days_ago=days)


SENTENCE_BREAKS = {".", "!", "?", "\n"}


def sentence_bounds(doc: Doc, start: int, end: int) -> Tuple[int, int]:
    left = start
    while left > 0 and doc[left - 1].lower_ not in SENTENCE_BREAKS:
        left -= 1
    right = end
    while right < len(doc) and doc[right - 1].lower_ not in SENTENCE_BREAKS:
        right += 1
    return left, right


def days_ago_nearby(doc: Doc, start: int, end: int, today: date) -> Optional[float]:
    """When a clause gives no time ("the op went well"), the sentence may ("...on the 27th of
    March"), and failing that the message ("Post hip replacement, week 3. ...")."""
    left, right = sentence_bounds(doc, start, end)
    near = days_ago(doc, left, right, today, strict=True)
    return near if near is not None else days_ago(doc, 0, len(doc), today, strict=True)


def any_term_negated(doc: Doc, terms) -> bool:
    """For a combo ("legs … weakness"): a cue before any of its terms, not counting the words
    of its other terms ("can't pee" must not read as negated by its own "can't")."""
    own = {i for s, e in terms for i in range(s, e)}
    for s, e in terms:
        left, _ = clause_bounds(doc, s, e)
        if _negated(doc, left, s, skip=own):
            return True
    return False


SUPERLATIVE_WORDS = {"so", "such", "this", "worse", "more", "like"}


def _superlative_after(doc: Doc, cue: int, start: int) -> bool:
    """A "never" before a degree word, up to the finding: a comparison with every earlier time."""
    return any(t.lower_ in SUPERLATIVE_WORDS for t in doc[cue + 1 : min(start + 1, cue + 5)])


# "not long before", "wasn't long until", "not long after", "not long ago": time, not denial.
LONG_BEFORE = {"before", "until", "till", "after", "ago", "since"}
INTERJECTION_CUES = {"no", "nope", "nah"}
ANSWER_PUNCTUATION = {",", "!", ".", "...", "…", ";", "?"}


def _interjection(doc: Doc, i: int) -> bool:
    """A bare "no," / "nope!" answers or rebuts what came before it; it negates nothing after it."""
    return doc[i].lower_ in INTERJECTION_CUES and i + 1 < len(doc) and doc[i + 1].text in ANSWER_PUNCTUATION


def _negated(doc: Doc, left: int, start: int, skip=frozenset()) -> bool:
    for i in range(start - 1, max(left, start - NEGATION_WINDOW) - 1, -1):
        if i in skip:
            continue
        lemma = doc[i].lemma_.lower()
        if lemma in NEGATION_CUES or doc[i].lower_ == "n't":
            if _negates_wellbeing(doc, i):
                continue  # "wasn't feeling too good - tired and fluey": the unwellness is affirmed
            if any(t.lower_ == "why" for t in doc[max(left, i - 3) : i]):
                continue  # "why can I not do my cardiac rehab on my own?" asks about it, has it
            nxt = doc[i + 1].lemma_.lower() if i + 1 < len(doc) else ""
            nxt2 = doc[i + 2].lemma_.lower() if i + 2 < len(doc) else ""
            if _interjection(doc, i):
                continue  # "Well, no, really, I want to die": an answer to something before, not a denial
            if doc[i].lower_ == "not" and i > 0 and doc[i - 1].lower_ == "than":
                continue  # "more often than not, during balancing poses": a frequency, affirmed
            if i + 1 < len(doc) and doc[i + 1].lower_ == "long" and nxt2 in LONG_BEFORE:
                continue  # "it wasn't long before a crunching began", "not long after": it happened
            if nxt in PSEUDO_NEGATION_NEXT or nxt2 in PSEUDO_NEGATION_NEXT and nxt in {"be", "really", "even", "a"}:
                continue
            if lemma == "no" and "reason" in (nxt, nxt2) or lemma == "no" and nxt == "warning":
                continue  # "for no apparent reason my back gave out": the cause is denied, not the pain
            if lemma == "never" and _superlative_after(doc, i, start):
                continue  # "I've never been in so much pain", "never felt pain like it": the worst yet, affirmed
            return True
    return False


FAMILY_HISTORY = re.compile(
    r"\b(in|runs in|run in) (my|the|our) family\b|\bfamily history\b|\bhereditary\b|\bgenetic\b"
)
CHECKED = re.compile(
    r"\b(checked me (out|over)|got (it )?checked|been checked|x-?rays? (was|were|came back) (clear|fine|normal)|"
    r"no (fractures?|breaks?|broken bones?)|nothing (was )?broken|didn'?t break anything|wasn'?t broken|"
    r"ruled out a (fracture|break)|(doctor|gp|a&e|er|hospital) said (it was|it's) (fine|ok|okay|nothing))\b"
)


# A faint or a tight chest told as a pattern or as being looked into, not as happening now:
# "I sometimes get a tight chest walking uphill, it goes when I stop", "fainted twice this year,
# the doctors are still looking into it" (PAR-Q+ questions, not RF4's emergency).
TOLD_AS_HISTORY = re.compile(
    r"\b(sometimes|occasionally|now and then|every so often|from time to time|twice|three times|a few times|"
    r"several times|couple of times|once before|when i (walk|go|climb) (uphill|up hill|up the stairs|upstairs)|"
    r"goes (off |away )?when i stop|settles when i (stop|rest)|"
    r"(doctors?|docs|gp|cardiologist|neurologist|consultant)( are| is)?( still)? (looking into|investigating|"
    r"running tests|doing tests)|being investigated|under investigation|"
    r"not (got|having|feeling) it (now|right now|at the moment)|(fine|ok|okay) (right )?now)\b"
)
HAPPENING_NOW = re.compile(r"\b(right now|at the moment|as we speak|just now)\b(?! though)")


def told_as_history(doc: Doc, start: int, end: int) -> bool:
    left, right = sentence_bounds(doc, start, end)
    sentence = doc[left:right].text.lower()
    following = doc[right : min(len(doc), right + 40)].text.lower()  # "... Not got it now though."
    said = sentence + " " + following
    if not TOLD_AS_HISTORY.search(said):
        return False
    return not (
        HAPPENING_NOW.search(sentence)
        and not re.search(r"\b(not|fine|ok|okay)\b[^.]*\b(right now|at the moment)", said)
    )


def _family_history(doc: Doc, left: int, start: int, end: int, right: int) -> bool:
    """'a family history of hip problems', 'knee replacements in my family', 'runs in the family':
    a cue right after the phrase, or before it in its clause, makes it family history."""
    return bool(
        FAMILY_HISTORY.search(doc[left:end].text) or FAMILY_HISTORY.search(doc[start : min(right, end + 6)].text)
    )


# Seen by an emergency doctor, said anywhere in a story ("the ER doctor told me it'd be worse
# the next day"): whatever order the story is told in, the injury has been assessed.
SEEN_IN_EMERGENCY = re.compile(
    r"\b((er|a&e|a and e|emergency room|hospital|urgent care) (doctors?|docs?|nurses?|staff) (told|said|checked|sent|gave)|"
    r"(doctors?|docs?) (at|in) (the )?(er|a&e|hospital|emergency room|urgent care) (told|said|checked|sent|gave)|"
    # An X-ray's verdict or a visit to an injury clinic anywhere in the story: it has been looked at.
    r"x-?rays? (was|were|came back|showed) (clear|fine|normal|nothing)|had x-?rays?( taken)?|"
    r"(went|been|go) to (the )?(minor injuries|urgent care|a&e|er|walk-in)( clinic| unit| centre| center)?)\b"
)


def checked_since(doc: Doc, start: int, end: int) -> bool:
    """Already assessed ('ER checked me out, no fractures'; 'lucky I didn't break anything'), said
    in the same sentence or the next one, or an emergency doctor's verdict anywhere in the story:
    history to ask about (RF3's exception), not an emergency."""
    left, right = sentence_bounds(doc, start, end)
    _, after = sentence_bounds(doc, right, min(len(doc), right + 1)) if right < len(doc) else (right, right)
    return bool(CHECKED.search(doc[left:after].text) or SEEN_IN_EMERGENCY.search(doc.text.lower()))


# "Felt like I'd been hit by a bus", "as if someone had run me over": a feeling, not an injury.
FIGURATIVE_BEFORE = re.compile(
    r"\b(like|as if|as though)( (i|you|i'?ve|you'?ve|i'?d|you'?d|i had|you had|someone|somebody|it|it'?d|it had)"
    r"( had| has| have)?)?( been| got| was| were| just)?\s*$"
)


NEAR_MISS = {"nearly", "almost"}


def near_miss(doc: Doc, start: int) -> bool:
    """ "It's nearly breaking my back", "I almost fell": an injury that did not happen."""
    return start > 0 and doc[start - 1].lower_ in NEAR_MISS


def figurative(doc: Doc, start: int) -> bool:
    """The words just before an injury phrase say it is a comparison ('like I've been hit by a bus')."""
    return bool(FIGURATIVE_BEFORE.search(doc[max(0, start - 6) : start].text.lower()))


WELLBEING = {"good", "well", "great", "right", "myself", "brilliant", "100", "100%", "normal", "fine", "best", "top"}


def _negates_wellbeing(doc: Doc, i: int) -> bool:
    """'not feeling (too) good', "haven't been well": the negation is of feeling well."""
    ahead = [t.lemma_.lower() for t in doc[i + 1 : i + 5]]
    return "feel" in ahead[:3] and any(w in WELLBEING for w in ahead) or (ahead[:2] in (["be", "well"], ["well"]))


def _third_party(doc: Doc, left: int, start: int, end: int, right: int) -> bool:
    """The nearest person mentioned before the phrase decides whose symptom it is, unless the
    user is the one it happens to ("my uncle is hurting me"). A clause that names nobody
    belongs to the person the message was last about ("My mum is 80. Bad hip, arthritis.")."""
    if doc[start].lower_ in {"he", "she", "he's", "she's"} or any(t.lower_ in {"him", "her"} for t in doc[start:end]):
        return True  # the phrase names its own person: "he fell", "she's slipped", "help getting him up"
    if any(t.lower_ in FIRST_PERSON_OBJECTS for t in doc[end : min(right, end + 3)]):
        return False
    # "my elderly mother", "our pregnant daughter": the word describes the person named after it.
    if start > 0 and doc[start - 1].lower_ in POSSESSIVES:
        following = [t.lower_ for t in doc[end : min(right, end + 2)]]
        if any(w in THIRD_PARTY and w not in PRONOUNS_ONLY for w in following):
            return True
    for i in range(start - 1, -1, -1):
        word = doc[i].lower_
        if word == "mine" and i > 0 and doc[i - 1].lower_ == "of":
            continue  # "a friend of mine fell": the "mine" belongs to the friend named before it
        if word in FIRST_PERSON:
            if word == "i" and _aside(doc, i, start):
                continue  # "he has always (as long as I can remember) walked with a limp": the user only recalls
            if i < left and _reported_to_user(doc, i):
                continue  # "I have a client who..." names the user only as the one asking
            return False
        if word in THIRD_PARTY or doc[i].lemma_.lower() in THIRD_PARTY:
            if _quoted_old_friend(doc, i):
                continue  # "my 'old friend' had come back": the user's own returning condition
            if i + 1 < start and doc[i + 1].lemma_.lower() in REPORTING_VERBS:
                continue  # "they said it was a fracture": reported speech about the user
            if word == "they" and _clinician_action_after(doc, i, start):
                continue  # "they put in two stents", "they also had to do a laparotomy": what the doctors did to the user
            if word in PRONOUNS_ONLY and _clinician_antecedent(doc, i):
                continue  # "saw the surgeon. He feels that confirms his diagnosis of arthritis": the clinician's words about the user
            if i < left and word in PRONOUNS_ONLY and not _named_before(doc, i):
                return False  # a bare "she" two sentences back with nobody introduced: not enough
            return True
    # "family history of cancer", "runs in the family"
    clause = [t.lower_ for t in doc[left:start]]
    return "family" in clause or "history" in clause and "family" in [t.lower_ for t in doc]


def _clinician_action_after(doc: Doc, i: int, start: int) -> bool:
    """The verb after "they", over the small words between ("they also had to do", "they then took out"),
    up to the phrase's own first word ("they put a pacemaker in": the match starts at "put")."""
    for j in range(i + 1, min(start + 1, i + 5)):
        lemma = doc[j].lemma_.lower()
        if lemma in CLINICIAN_ACTIONS:
            return True
        if lemma not in ACTION_FILLERS:
            return False
    return False


def _clinician_antecedent(doc: Doc, i: int) -> bool:
    """The person a pronoun stands for is a clinician: the nearest person named before it is one,
    and nobody else came up before that ("I saw the consultant and he said my hip is arthritic";
    not "he was fine, but the nurse never noted it, so he was prescribed…")."""
    for j in range(i - 1, -1, -1):
        word = doc[j].lower_
        if word in CLINICIANS:
            return not any(t.lower_ in THIRD_PARTY for t in doc[:j])
        if word in THIRD_PARTY and word not in PRONOUNS_ONLY:
            return False
    return False


CLINICIANS = {"doctor", "doc", "gp", "surgeon", "consultant", "physio", "physiotherapist", "therapist", "specialist",
              "midwife", "obstetrician", "ob", "cardiologist", "oncologist", "rheumatologist", "nurse", "chiropractor",
              "osteopath", "orthopaedist", "orthopedist", "radiologist", "dr", "dr."}  # fmt: skip


def _aside(doc: Doc, i: int, start: int) -> bool:
    """'I' as the one remembering or guessing ("as I can remember", "I think"), not the one it happens to."""
    following = [t.lemma_.lower() for t in doc[i + 1 : min(start, i + 3)]]
    return bool(following) and (
        following[0] in ASIDE_VERBS or following[:2] in (["can", "remember"], ["can", "recall"])
    )


ASIDE_VERBS = {"remember", "recall", "think", "guess", "believe", "suppose", "reckon", "know"}


def _quoted_old_friend(doc: Doc, i: int) -> bool:
    quotes = {"'", "\u2018", "\u2019", '"', "\u201c", "\u201d"}
    if doc[i].lower_ != "friend" or i < 1 or doc[i - 1].lower_ != "old":
        return False
    before = doc[i - 2].text if i >= 2 else ""
    after = doc[i + 1].text if i + 1 < len(doc) else ""
    return before in quotes or after in quotes


ACTION_FILLERS = {"also", "then", "just", "eventually", "finally", "later", "had", "have", "to", "'d", "would", "will"}
PRONOUNS_ONLY = {"he", "she", "they", "his", "her", "their", "him"}
POSSESSIVES = {"my", "our", "his", "her", "their"}


def _reported_to_user(doc: Doc, i: int) -> bool:
    """'I have a client', 'I teach a student', 'I'm asking for my mum': the 'I' introduces someone else."""
    window = [t.lower_ for t in doc[i : i + 6]]
    return any(w in INTRODUCED for w in window)


def _named_before(doc: Doc, i: int) -> bool:
    return any(t.lower_ in THIRD_PARTY and t.lower_ not in PRONOUNS_ONLY for t in doc[:i])


INTRODUCED = {"client", "clients", "student", "students", "patient", "patients", "mum", "mom", "dad", "mother", "father",
              "husband", "wife", "partner", "friend", "son", "daughter", "uncle", "aunt", "grandma", "grandad"}  # fmt: skip


def _hypothetical(doc: Doc, left: int, start: int) -> bool:
    lemmas = [t.lemma_.lower() for t in doc[left:start]]
    # "you can imagine how I felt when...": a figure of speech that tells what happened.
    told = [w for k, w in enumerate(lemmas) if not (w == "imagine" and lemmas[max(0, k - 2) : k] == ["you", "can"])]
    if any(w in HYPOTHETICAL_CUES for w in told):
        return True
    return any(_contains(lemmas, phrase) for phrase in HYPOTHETICAL_PHRASES)


# Something still to come is not something that happened: "I'm about to have a knee replacement",
# "waiting for hip surgery", "my op is next month", "to prevent needing surgery".
FUTURE_BEFORE = (
    ("about", "to"), ("go", "to", "have"), ("go", "to", "need"), ("will", "have"), ("will", "need"), ("would", "need"),
    ("might", "need"), ("may", "need"), ("might", "have"), ("could", "need"), ("wait", "for"), ("waiting", "for"),
    ("waiting", "list"), ("book", "in"), ("book", "for"), ("schedule", "for"), ("due", "to", "have"), ("plan", "to", "have"),
    ("hope", "to", "have"), ("consider",), ("considering",), ("prevent",), ("avoid",), ("delay",), ("put", "off"),
    ("recommend",), ("recommended",), ("suggest",), ("candidate", "for"), ("need", "a"), ("need", "an"),
    ("need", "to", "have"), ("before", "my"), ("ahead", "of"), ("prior", "to"), ("pre",), ("pre-op",), ("prehab",),
    ("go", "in", "to", "get"), ("go", "in", "for"), ("down", "the", "line"), ("want", "to", "avoid"),
)  # fmt: skip
FUTURE_AFTER = {"tomorrow", "soon", "upcoming"}
FUTURE_AFTER_PAIRS = {("next", "week"), ("next", "month"), ("next", "year"), ("coming", "up"), ("in", "the", "new")}


def _future(doc: Doc, left: int, start: int, end: int, right: int) -> bool:
    before = [t.lemma_.lower() for t in doc[left:start]]
    if any(_contains(before, phrase) for phrase in FUTURE_BEFORE):
        return True
    after = [t.lower_ for t in doc[end:right]]
    if any(w in FUTURE_AFTER for w in after):
        return True
    if any(tuple(after[i : i + 2]) in FUTURE_AFTER_PAIRS for i in range(len(after))):
        return True
    # "in 2 weeks" (time to come) but not "in 2015" or "in the past 2 weeks"
    for i in range(len(after) - 2):
        if (
            after[i] == "in"
            and (after[i + 1].isdigit() or after[i + 1] in NUMBER_WORDS)
            and after[i + 2].rstrip("s") in UNIT_DAYS
        ):
            return True
    return False


def _contains(seq, phrase) -> bool:
    n = len(phrase)
    return any(tuple(seq[i : i + n]) == phrase for i in range(len(seq) - n + 1))


ANAPHORA = {"it", "it's", "its", "that", "that's", "which", "this"}


def _resolved(doc: Doc, end: int, right: int) -> bool:
    # "I had sciatica but it's gone now": the next clause may resolve the phrase when it refers
    # back to it; "my groin is numb but the back pain has gone" must not.
    if (
        0 < right < len(doc)
        and doc[right - 1].lower_ in {"but", "though", "although"}
        and doc[right].lower_ in ANAPHORA
    ):
        _, right = clause_bounds(doc, right, right + 1)
    window = [t for t in doc[end : min(right, end + RESOLVED_WINDOW + 3)] if t.lower_ != "-"]  # "pain-free"
    words = [t.lower_ for t in window]
    lemmas = [t.lemma_.lower() for t in window]

    def denied(i: int) -> bool:  # "isn't going away", "hasn't cleared up", "never settled"
        return any(w in NEGATION_CUES or w == "n't" for w in lemmas[max(0, i - 3) : i])

    if any((w in RESOLVED_WORDS or lemmas[i] in RESOLVED_WORDS) and not denied(i) for i, w in enumerate(words)):
        return True
    return any(
        (pair in RESOLVED_PAIRS) and not denied(i)
        for seq in (words, lemmas)
        for i, pair in enumerate(zip(seq, seq[1:], strict=False))
    )


def days_ago(doc: Doc, left: int, right: int, today: date, strict: bool = False) -> Optional[float]:
    """How long ago the clause says something happened; None when it gives no time. `strict`
    (looking beyond the phrase's own clause) ignores "now"/"currently", which describe the
    present of another clause ("I had a knee replacement, my hips are tight now")."""
    tokens = [t.lower_ for t in doc[left:right]]
    lemmas = [t.lemma_.lower() for t in doc[left:right]]
    then = _age_then_days(doc, left, right)
    if then is not None:
        return then
    for i, lemma in enumerate(lemmas):
        unit = lemma.rstrip("s") if lemma not in UNIT_DAYS else lemma
        if unit in UNIT_DAYS:
            amount = _amount_before(tokens, i)
            window_start = _window_start(tokens, i)
            if window_start is not None:
                # "twice in the last few months", "within the past year": some time inside that window,
                # perhaps lately; read as recent (at most a month), the cautious side for every rule.
                plural = tokens[i] != unit and tokens[i].endswith("s")
                return min((amount or (2.0 if plural else 1.0)) * UNIT_DAYS[unit] / 2, WINDOW_RECENT_DAYS)
            if _is_duration(tokens, i):
                if amount is not None and "since" in tokens[i + 1 : i + 5]:
                    return amount * UNIT_DAYS[unit]  # "painful for 12 years now, since a bad fall": the fall began it
                continue  # "for 3 years", "over the last few months", "28 weeks pregnant": ongoing, not past
            if amount is not None and tokens[i + 1 : i + 2] == ["old"] and BABY_WORDS & set(tokens[max(0, i - 5) : i]):
                return amount * UNIT_DAYS[unit]  # "the baby is 3 weeks old": the birth was 3 weeks ago
            following = tokens[i + 1] if i + 1 < len(tokens) else ""
            if (
                unit == "day"
                and following == "after"
                and i > 0
                and tokens[i - 1] == "the"
                and not any(YEAR.match(t) for t in tokens)
            ):
                return UNIT_DAYS[unit]  # "it is 6am, the day after my knee surgery": now is a day after it
            if amount is None and following.isdigit() and unit in ("day", "week") and tokens[i] == unit:
                return float(following) * UNIT_DAYS[unit]  # "week 3" after an operation, "day 10 post-op"
            if amount is not None:
                # "3 weeks ago", "2 weeks post-op", "since 2 weeks"; a bare "33 weeks" is not a time in the past
                if i + 1 < len(tokens) and tokens[i + 1] in AGO_AFTER:
                    if strict and tokens[i + 1] == "later":
                        continue  # "a few hours later", told in another sentence: the story's time, not ours
                    return amount * UNIT_DAYS[unit]
                continue
            if i > 0 and tokens[i - 1] in {"last", "past", "previous"}:
                if unit == "night" and tokens[i - 1] == "last":
                    return LAST_NIGHT_DAYS  # within the last day: "since last night" is still today's episode
                return UNIT_DAYS[unit]
            if i > 0 and tokens[i - 1] in {"this"}:
                return THIS_PERIOD.get(unit, 0)  # "this year" is months ago on average, "this week" days
            if tokens[i] != unit and tokens[i] != lemma or tokens[i].endswith("s"):
                return UNIT_DAYS[unit] * 2  # "years ago", "for weeks": a plural with no number means a few
        weekday_days = _weekday_days(tokens, i, today)
        if weekday_days is not None:
            return weekday_days
        month_days = _month_days(tokens, i, today)
        if month_days is not None:
            return month_days
        if YEAR.match(tokens[i]):
            return max(0, (today.year - int(tokens[i])) * 365)
        if tokens[i] in {"morning", "afternoon", "evening"} and i > 0 and tokens[i - 1] in {"this", "since"}:
            return 0
        # "when I was younger" dates its own clause only: beyond it ("numb foot, tingly bum - surgery
        # wasn't a worry when I was younger") it says nothing about the other symptoms.
        if (
            not strict
            and tokens[i] == "when"
            and tokens[i + 1 : i + 3] in (["i", "was"], ["i", "were"])
            and i + 3 < len(tokens)
        ):
            nxt = tokens[i + 3]
            if nxt.isdigit() or nxt in {"young", "younger", "little", "a", "at", "in", "still", "pregnant"}:
                return 3650.0  # "when I was 19", "when I was a kid": long ago
        if tokens[i] in ("recovery", "rehab", "rehabilitation") and (
            tokens[i + 1 : i + 2] in (["program"], ["programme"], ["plan"])
            or tokens[max(0, i - 2) : i] in (["aid", "my"], ["during", "my"], ["still", "in"], ["in", "my"])
        ):
            return 14.0  # "my back surgery recovery programme", "to aid my recovery": still in it
        if tokens[i] in RECOVERING and tokens[i + 1 : i + 2] in (["from"], ["after"]):
            return 14.0  # "recovering from my op", "healing after surgery": recent, though no date is said
        if tokens[i] == "just" and tokens[i + 1 : i + 2] in (["had"], ["got"], ["come"]):
            return 3.0  # "just had surgery"; "just sitting" is not a time
        if tokens[i] == "while" and i > 0 and tokens[i - 1] == "a" and tokens[i + 1 : i + 2] in (["ago"], ["back"]):
            return 200.0  # "a while ago"; a bare "while running" is not a time
        relative = RELATIVE_DAYS.get(tokens[i])
        if relative is not None:
            if strict and tokens[i] in ("now", "currently"):
                continue
            return float(relative)
    return None


# An age said of oneself ("I'm 40", "a 67 -year old man"); EARLIER_AGE before it makes it an age then.
AGE_NOW = re.compile(
    r"\b(?:i'?m|i am|aged?|age)\s+(\d{1,3})\b(?!\s*(?:weeks?|wks?|months?|days?|stone|st\b|kg|kilos?|lbs?|pounds?|"
    r"km|kms|miles?|minutes?|mins?|hours?|hrs?|cm|ft|feet|inches|%|x\b|times))"
    r"|\b(\d{1,3})\s*-?\s*(?:years?[\s-]+old|yrs?[\s-]+old|y/?o\b|year-old)"
)
EARLIER_AGE = re.compile(
    r"\b(?:when i was|since i was|at the age of|from the age of|as a|back when i was|until i was)\s*$"
)
AGE_THEN = re.compile(r"\b(?:at the age of|at age|aged|when i was)\s+(\d{1,2})\b")


def current_age(text: str) -> Optional[int]:
    """The age the message gives for the user now, if it gives one."""
    for match in AGE_NOW.finditer(text):
        if EARLIER_AGE.search(text[max(0, match.start() - 30) : match.start()]):
            continue
        before = text[max(0, match.start() - 12) : match.start()]
        if re.search(r"\b(at|aged?)\s*$", before) or match.group(0).startswith(("age", "aged")):
            continue  # "at age 18", "aged 18": an age then, when something happened
        return int(match.group(1) or match.group(2))
    return None


def _age_then_days(doc: Doc, left: int, right: int) -> Optional[float]:
    """ "ACL reconstruction at the age of 18" from someone who says they are 40: 22 years ago. With
    no age of now in the message, the age then dates nothing."""
    then = AGE_THEN.search(doc[left:right].text.lower())
    if then is None:
        return None  # the usual case: no age then, so the whole message is not read for an age now
    now = current_age(doc.text.lower())
    if now is None or now < int(then.group(1)):
        return None
    return max(180.0, (now - int(then.group(1))) * 365.0)


WINDOW_RECENT_DAYS = 30.0
LAST_NIGHT_DAYS = 0.5
BABY_WORDS = {"baby", "newborn", "son", "daughter", "twins", "little", "one"}


def _window_start(tokens, i: int) -> Optional[int]:
    """Where "in the last few months" / "within the past 2 weeks" begins, if the unit ends one."""
    for j in range(i - 1, max(-1, i - 5), -1):
        if tokens[j] in {"last", "past"}:
            lead = tokens[max(0, j - 2) : j]
            if lead in (["in", "the"], ["within", "the"]):
                return j - 2
            return None
    return None


THIS_PERIOD = {"day": 0, "night": 0, "week": 3, "month": 15, "year": 180, "decade": 1800}
RECOVERING = {"recovering", "recover", "recuperating", "healing", "convalescing"}
DURATION_BEFORE = {"for", "over", "past", "last", "recent", "these"}
DURATION_AFTER = {"pregnant", "gone", "along", "now", "straight", "running", "long"}
AGO_AFTER = {
    "ago",
    "back",
    "before",
    "earlier",
    "post",
    "postpartum",
    "post-op",
    "postop",
    "out",
    "since",
    "after",
    "later",
}


def duration_days(doc: Doc, left: int, right: int) -> Optional[float]:
    """'for about 2 months', 'over the last 6 weeks', 'for weeks': the longest duration in the clause."""
    tokens = [t.lower_ for t in doc[left:right]]
    lemmas = [t.lemma_.lower() for t in doc[left:right]]
    longest = None
    for i, lemma in enumerate(lemmas):
        unit = lemma.rstrip("s") if lemma not in UNIT_DAYS else lemma
        if unit in UNIT_DAYS and _is_duration(tokens, i) and tokens[i + 1 : i + 2] != ["pregnant"]:
            amount = _amount_before(tokens, i) or 2.0
            longest = max(longest or 0.0, amount * UNIT_DAYS[unit])
    return longest


def _is_duration(tokens, i) -> bool:
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    if after in AGO_AFTER:
        return False
    if after in DURATION_AFTER:
        return True
    has_amount = _amount_before(tokens, i) is not None
    before = [
        t
        for t in tokens[max(0, i - 4) : i]
        if t not in {"the", "a", "few", "couple", "of"} and not t.isdigit() and t not in NUMBER_WORDS
    ]
    # "last week" is a point in time; "the last 3 weeks" / "for weeks" is a stretch of time
    return bool(before) and before[-1] in DURATION_BEFORE and (has_amount or before[-1] != "last")


def _amount_before(tokens, i) -> Optional[float]:
    for back in (1, 2, 3):
        j = i - back
        if j < 0:
            return None
        word = tokens[j]
        if word.isdigit():
            return float(word)
        if word in NUMBER_WORDS:
            return float(NUMBER_WORDS[word])
        if word not in {
            "of",
            "a",
            "couple",
            "few",
            "than",
            "more",
            "about",
            "around",
            "over",
            "under",
            "nearly",
            "almost",
            "like",
        }:
            return None
    return None
