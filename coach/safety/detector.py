"""Finds safety-relevant facts in one message, with their context.

The vocabulary (symptom concepts, conditions, constraints) comes from the knowledge base;
this module only knows how to match it and how to read negation, time, third parties and
hypotheticals around each match.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Tuple

from spacy.matcher import PhraseMatcher

from coach import settings
from coach.kb.loader import KnowledgeBase
from coach.safety import context as ctx
from coach.safety.findings import CLEARANCE, CLINICIAN_LIMIT, Finding, FindingKind, parse_key
from coach.safety.text import TypoFixer, blank_english, make_doc

if TYPE_CHECKING:  # loaded by whoever builds the detector; spaCy work needs no scikit-learn
    from coach.safety.reader import LearnedReader

# Match labels are "<kind>:<id>", e.g. "concept:saddle_numbness", "condition:knee_pain",
# "exercise:rear_foot_elevated_hip_flexor_stretch" (a stretch named, for symptoms told about it).
# Pain words an injury episode needs (one of them, about the user).
PAIN_CONCEPTS = frozenset({"back_pain", "hip_pain", "groin_pain", "leg_pain", "sharp_pain", "warning_pain", "limp"})
# Not a stretch's mild pull: sharp, stabbing, pinching or shooting pain, or tingling or numbness
# (IS1 in docs/rules.md). Not plain back pain: a back "getting really sore from squats" is a sore
# back (CI1), not a stretch to stop.
LOCAL_WARNINGS = frozenset(
    {("concept", "warning_pain"), ("concept", "tingling_numbness"), ("concept", "sharp_pain")}
)  # fmt: skip
SYSTEMIC_WARNINGS = frozenset(
    {("concept", "dizzy"), ("concept", "nausea"), ("concept", "palpitations"), ("concept", "near_faint")}
)
# A plain "it hurts" counts only in the very sentence that names the stretch.
SAME_SENTENCE_ONLY = frozenset({("concept", "sharp_pain")})
PLAIN_PAIN_EXPLAINED_BY = frozenset(
    {("condition", "osteoarthritis"), ("condition", "knee_pain"), ("concept", "familiar_pain")}
)
PINCH_EXPLAINED_BY = ("condition", "hip_impingement")
PINCH_WORDS = frozenset({"sharp", "pinch", "pinches", "pinched", "pinching", "sharp pain"})
NERVE_SIGNS = frozenset(
    {"tingling_numbness", "leg_weakness", "foot_drop", "both_legs_symptoms", "spreading_numbness", "saddle_numbness",
     "legs_giving_way", "rapid_weakness"}
)  # fmt: skip
STRAIN_MECHANISM = re.compile(
    r"\b(kick|kicking|kicked|sprint|sprinting|sprinted|lift my (knee|leg)|lifting my (knee|leg))\b"
)
IMPROVING = re.compile(
    r"\b(better than it was|getting better|easing|eased|settling|settled|improving|improved|much better)\b"
)
EXACT = "="  # a phrase written "=legs" matches that exact word form, not its lemma
# An injury episode (CI21) is read up to this many days back: the first days DEFER, later ones
# that still hurt to walk on are a referral (the condition's time rule says which).
ACUTE_DAYS = 42


# "every time I stop exercising", "two weeks without exercise": not a stretch being done.
NOT_DOING_IT = re.compile(
    r"\b(stop|stopped|stopping|quit|quitting|without|skip|skipped|skipping|no)\s+(my |any |the )?$"
)


class Detector:
    def __init__(self, kb: KnowledgeBase, reader: Optional[LearnedReader] = None):
        self.reader = reader  # the learned reader's suspicion rides along with the rules' findings
        phrases: Dict[str, List[str]] = {}
        for concept in kb.concepts.values():
            phrases[f"concept:{concept.id}"] = concept.phrases
        for condition in kb.conditions.values():
            phrases[f"condition:{condition.id}"] = condition.phrases
        for constraint in kb.constraints.values():
            phrases[f"constraint:{constraint.id}"] = constraint.phrases
        for exercise in kb.exercises.values():
            phrases[f"exercise:{exercise.id}"] = [exercise.name, *exercise.aliases]
        # "The knee has settled, kneeling doesn't bother me": a limit said to have gone.
        for kind, entries in (("condition", kb.conditions.values()), ("constraint", kb.constraints.values())):
            for entry in entries:
                if entry.lifted_by:
                    phrases[f"lifted:{kind}.{entry.id}"] = entry.lifted_by
        self.implies = {c.id: c.implies for c in kb.concepts.values() if c.implies}
        # Combo groups are matched like phrases under labels "group:<kind>:<id>:<combo>:<group>".
        self.combos: Dict[str, List[Tuple[int, int, int, bool]]] = {}
        combo_entries: List[Tuple[str, Any]] = [("concept", c) for c in kb.concepts.values()]
        combo_entries += [("condition", c) for c in kb.conditions.values()]
        combo_entries += [("constraint", c) for c in kb.constraints.values()]
        for kind, with_combos in combo_entries:
            for c_i, combo in enumerate(with_combos.combos):
                self.combos.setdefault(f"{kind}:{with_combos.id}", []).append(
                    (c_i, len(combo.groups), combo.window, combo.scope == "sentence")
                )
                for g_i, terms in enumerate(combo.groups):
                    phrases[f"group:{kind}:{with_combos.id}:{c_i}:{g_i}"] = terms
        # Procedure words by stem ("cholecyst" + "ectomy"): the stem names the condition.
        self.procedure_stems = sorted(
            ((stem, c.id) for c in kb.conditions.values() for stem in c.procedure_stems), key=lambda sc: -len(sc[0])
        )
        self.timed_conditions = {c.id for c in kb.conditions.values() if c.time_rule}
        self.unless = {
            f"{kind}:{e.id}": {w.lower() for w in e.unless}
            for kind, entries in (("concept", kb.concepts.values()), ("condition", kb.conditions.values()))
            for e in entries
            if e.unless
        }
        self.unless_in_sentence = {
            f"concept:{c.id}": {w.lower() for w in c.unless_in_sentence}
            for c in kb.concepts.values()
            if c.unless_in_sentence
        }
        self.asked_in_questions = {c.id for c in kb.concepts.values() if c.asked_in_questions}
        # Who can clear or refuse: the first group of the clearance's own combos (knowledge/safety.yml).
        clearance = kb.concepts.get(CLEARANCE)
        self.clinicians = {w.lower() for combo in (clearance.combos if clearance else []) for w in combo.groups[0]}
        self.historical = {c.id for c in kb.concepts.values() if c.historical}
        self.injuries = {c.id for c in kb.concepts.values() if c.injury}
        self.self_reference = {c.id for c in kb.concepts.values() if c.self_reference}
        self.episodes_now = {c.id for c in kb.concepts.values() if c.history_after_days}
        self.durations = {c.id: c.from_duration for c in kb.concepts.values() if c.from_duration}
        vocabulary = {w for plist in phrases.values() for p in plist for w in p.lower().lstrip(EXACT).split()}
        vocabulary |= {stem for stem, _ in self.procedure_stems}
        self.fixer = TypoFixer(vocabulary)
        # Phrases match on lemmas ("hurts" = "hurt"); a term written "=legs" matches those exact
        # words, for the few places where the form carries the meaning (both legs, not one leg).
        self.matcher = PhraseMatcher(blank_english().vocab, attr="LEMMA")
        self.exact_matcher = PhraseMatcher(blank_english().vocab, attr="LOWER")
        for label, plist in phrases.items():
            lemma = [make_doc(p) for p in plist if not p.startswith(EXACT)]
            exact = [make_doc(p[len(EXACT) :]) for p in plist if p.startswith(EXACT)]
            if lemma:
                self.matcher.add(label, lemma)
            if exact:
                self.exact_matcher.add(label, exact)

    def detect(self, text: str, today: Optional[date] = None) -> List[Finding]:
        today = today or settings.today()
        doc = make_doc(text, self.fixer)
        strings = self.matcher.vocab.strings  # type: ignore[attr-defined]  # spaCy's stub omits it
        raw = [(strings[label], start, end) for label, start, end in [*self.matcher(doc), *self.exact_matcher(doc)]]
        combos = self._combos(doc, raw)
        procedures = self._procedures(doc)
        spans = _longest_first([m for m in raw if not m[0].startswith("group:")] + list(combos) + procedures)
        findings: List[Finding] = list(_age_findings(doc.text)) + list(_pregnancy_weeks(doc.text))
        findings += self._readings(doc, today)
        for label, start, end in spans:
            kind, ident = parse_key(label)
            if label in self.unless and _cancelled(doc, ctx.clause_bounds(doc, start, end), self.unless[label]):
                continue
            sentence_words = self.unless_in_sentence.get(label)
            if sentence_words and _cancelled(doc, ctx.sentence_bounds(doc, start, end), sentence_words):
                continue
            if kind == "concept" and ident in self.injuries and ctx.figurative(doc, start):
                continue  # "felt like I'd been hit by a bus": a comparison, not an accident
            if (kind == "condition" or ident in self.injuries) and ctx.near_miss(doc, start):
                continue  # "nearly breaking my back", "I almost had surgery": it did not happen
            c = ctx.read(doc, start, end, today)
            if kind == "concept" and ident in self.asked_in_questions and ctx.in_question(doc, start, end):
                c = ctx.as_hypothetical(c)
            if kind == "concept" and ident in self.self_reference:
                c = ctx.Context(negated=c.negated, days_ago=c.days_ago)  # "my hips": the user's, whoever came before
            checkable = ident in self.injuries or ident in self.episodes_now
            if kind == "concept" and checkable and not c.resolved and ctx.checked_since(doc, start, end):
                c = ctx.with_resolved(c)  # already assessed: RF3's exception asks instead of sending to A&E
            if (
                kind == "concept"
                and ident in self.episodes_now
                and not c.resolved
                and ctx.told_as_history(doc, start, end)
            ):
                c = ctx.with_resolved(c)  # a pattern or something being looked into: asked about, not 999
            timed = ident in self.timed_conditions if kind == "condition" else ident in self.episodes_now
            if timed and c.days_ago is None:
                c = ctx.with_days_ago(c, ctx.days_ago_nearby(doc, start, end, today))
            terms = combos.get((label, start, end))
            if terms and not c.negated:
                c = ctx.with_negation(c, ctx.any_term_negated(doc, terms))
            if ident in self.historical and kind == "concept":
                c = ctx.with_days_ago(c, None)  # a cancer history never ages into "past"
            findings.append(
                _finding(kind, ident, doc[start:end].text, doc[start].idx, doc[end - 1].idx + len(doc[end - 1].text), c)
            )
        findings = _over_in_the_same_breath(findings, doc.text)
        findings += self._implied(findings)
        findings += self._episodes(doc, findings, today)
        findings += self._in_a_stretch(doc, findings)
        return findings + self._lasting(findings) + self.suspicion(text)

    def _readings(self, doc, today: date) -> List[Finding]:
        """Measurements at a worrying level, read in context like a phrase ("my son's temp was 39"
        is his): a fever reading is a fever and an illness to get over first (PQ6) unless a rule
        says more; a resting blood pressure at PAR-Q+'s 160/90 or over is a condition not under
        control (PQ1, PQ3)."""
        findings = []
        fever: Tuple[Tuple[FindingKind, str], ...] = (("concept", "fever"), ("condition", "temporary_illness"))
        pressure: Tuple[Tuple[FindingKind, str], ...] = (("condition", "uncontrolled_condition"),)
        for spans, meanings in ((_fever_readings(doc.text), fever), (_high_pressure_readings(doc.text), pressure)):
            for start_char, end_char in spans:
                span = doc.char_span(start_char, end_char, alignment_mode="expand")
                if span is None:
                    continue
                c = ctx.read(doc, span.start, span.end, today)
                findings += [_finding(kind, ident, span.text, start_char, end_char, c) for kind, ident in meanings]
        return findings

    def suspicion(self, text: str) -> List[Finding]:
        """The learned reader's outcome for the whole message, when it has one to add, and the
        limits it proposes as a precaution; the words that weighed most are each one's `text`, for
        the explanation (coach/safety/reader.py)."""
        if self.reader is None:
            return []
        suspicion = self.reader.suspect(text)
        found = (
            [
                Finding(
                    kind="suspicion",
                    id=suspicion.outcome,
                    text=", ".join(suspicion.words),
                    end=len(text),
                    probability=suspicion.probability,
                )
            ]
            if suspicion
            else []
        )
        found += [
            Finding(kind="precaution", id=p.outcome, text=", ".join(p.words), end=len(text), probability=p.probability)
            for p in self.reader.precautions(text)
        ]
        return found

    def _implied(self, findings: List[Finding]) -> List[Finding]:
        """A concept that stands for a condition ("my physio said no stretching yet" -> PQ5)."""
        # A faint told as history still stands for the PAR-Q+ dizziness question (PQ2).
        implied = [
            replace(f, kind="condition", id=self.implies[f.id], resolved=f.resolved and f.id not in self.episodes_now)
            for f in findings
            if f.kind == "concept" and f.id in self.implies
        ]
        # A clearance denied ("my doctor said it's not safe to exercise yet") is a clinician's limit (PQ5).
        limit = self.implies.get(CLINICIAN_LIMIT)
        implied += [
            replace(f, kind="condition", id=limit, negated=False)
            for f in findings
            if limit
            and f.kind == "concept"
            and f.id == CLEARANCE
            and f.negated
            and not (f.third_party or f.hypothetical)
            and f.text.lower().split()[0] in self.clinicians  # the clinician said no; "nobody" names no one
        ]
        return implied

    def _episodes(self, doc, findings: List[Finding], today: date) -> List[Finding]:
        """CI21 read across the message: a new injury of the last few days. Either an injury event
        ("did my back in", "something went pop") with pain, told with a time in the last week or
        none at all (a story told now is about now); or walking or standing that hurts since a
        time in the last week ("since yesterday every step hurts")."""
        mine = [f for f in findings if f.kind == "concept" and f.about_user_now]
        about = {f.id for f in mine}
        if STRAIN_MECHANISM.search(doc.text):
            return []  # a strain from a kick or a sprint is CI17's (muscle_strain), by CI21's own precedence
        days = ctx.days_ago(doc, 0, len(doc), today)
        recent = days is not None and days <= ACUTE_DAYS
        hurting = about & PAIN_CONCEPTS
        event = next((f for f in mine if f.id == "acute_onset"), None)
        # The event path needs the injury to matter now: walking or standing hurts, or a sharp,
        # tearing kind of pain that is not already easing ("it's better than it was" is CI1).
        matters = "walking_impact" in about or ("warning_pain" in about and not IMPROVING.search(doc.text))
        if about & NERVE_SIGNS:
            return []  # numb feet, a weak leg: a nerve problem for RF1/RF2 to judge, not a sprain
        # Walking or standing that the injury now stops is pain enough ("wrenched my back, can't
        # even stand up straight"), though no pain word is said.
        if event is not None and (hurting or "walking_impact" in about) and matters and (days is None or recent):
            return [Finding("condition", "acute_injury", event.text, event.start, event.end, days_ago=days or 0.0)]
        impact = next((f for f in mine if f.id == "walking_impact"), None)
        if impact is not None and hurting and recent:
            return [Finding("condition", "acute_injury", impact.text, impact.start, impact.end, days_ago=days)]
        return []

    def when(self, text: str, today: Optional[date] = None) -> Optional[float]:
        """How many days ago the whole message says something happened ("about 8 weeks ago",
        "in March", "last year"), or None: the answer to a "when was that?" question."""
        doc = make_doc(text, self.fixer)
        return ctx.days_ago(doc, 0, len(doc), today or settings.today())

    def _in_a_stretch(self, doc, findings: List[Finding]) -> List[Finding]:
        """A warning symptom told in the same sentence as a stretch, pose or exercise position, or
        in the sentence right after it, happened in that stretch (IS1s, IS2s)."""
        starts = _sentence_starts(doc)
        where = [
            f
            for f in findings
            if f.about_user_now
            and (f.id == "stretch_context" or f.kind == "exercise")
            and not NOT_DOING_IT.search(doc.text[max(0, f.start - 24) : f.start])
        ]
        if not where:
            return []
        scenes = {_sentence_of(starts, f.start) for f in where}
        # A plain "it hurts" in a message about known arthritis, knee trouble or a familiar pain is
        # that condition (its own exclusions, CI5/CI18), not a stretch to stop; sharp, pinching or
        # shooting pain still is.
        explained = any(f.about_user_now and (f.kind, f.id) in PLAIN_PAIN_EXPLAINED_BY for f in findings)
        # A pinch at the front of the hip in deep bending is how impingement (FAI) shows itself:
        # CI10 leaves those stretches out; it is not a new warning.
        pinch_explained = any(f.about_user_now and (f.kind, f.id) == PINCH_EXPLAINED_BY for f in findings)
        found = []
        for concept, symptoms in (
            ("stretch_local_symptom", LOCAL_WARNINGS),
            ("stretch_systemic_symptom", SYSTEMIC_WARNINGS),
        ):
            hit = next(
                (
                    f
                    for f in findings
                    if (f.kind, f.id) in symptoms
                    and f.about_user_now
                    and not f.resolved
                    and not (explained and (f.kind, f.id) in SAME_SENTENCE_ONLY)
                    and not (pinch_explained and (f.id == "sharp_pain" or f.text.lower() in PINCH_WORDS))
                    and _near(_sentence_of(starts, f.start), scenes, wide=(f.kind, f.id) not in SAME_SENTENCE_ONLY)
                ),
                None,
            )
            if hit is not None:
                found.append(Finding("concept", concept, hit.text, hit.start, hit.end, days_ago=hit.days_ago))
        return found

    def _lasting(self, findings: List[Finding]) -> List[Finding]:
        """Concepts implied by how long another has lasted (pain not settling after ~6 weeks, RF9)."""
        extra = []
        present = {f.id for f in findings if f.kind == "concept" and f.about_user_now}
        for concept, rule in self.durations.items():
            if present & set(rule.unless):
                continue  # "for years, same as always": the familiar kind is not a red flag
            for f in findings:
                if (
                    f.kind == "concept"
                    and f.id in rule.of
                    and f.about_user_now
                    and (f.duration_days or 0) >= rule.min_days
                ):
                    extra.append(Finding("concept", concept, f.text, f.start, f.end, duration_days=f.duration_days))
                    break
        return extra

    def _combos(self, doc, raw: List[Tuple[str, int, int]]) -> Dict[Tuple[str, int, int], List[Tuple[int, int]]]:
        """A combo matches when every group has a term inside one clause and one window.
        Returns each match with the spans of its terms (negation is read before each term)."""
        by_group: Dict[Tuple[str, int, int], List[Tuple[int, int]]] = {}
        for label, start, end in raw:
            if label.startswith("group:"):
                _, kind, ident, combo_no, group_no = label.split(":")
                by_group.setdefault((f"{kind}:{ident}", int(combo_no), int(group_no)), []).append((start, end))
        found: Dict[Tuple[str, int, int], List[Tuple[int, int]]] = {}
        for concept, combos in self.combos.items():
            for c_i, n_groups, window, whole_sentence in combos:
                anchors = by_group.get((concept, c_i, 0), [])
                bounds = ctx.sentence_bounds if whole_sentence else ctx.clause_bounds
                for a_start, a_end in anchors:
                    left, right = bounds(doc, a_start, a_end)
                    span = [(a_start, a_end)]
                    for g_i in range(1, n_groups):
                        near = [
                            (s, e)
                            for s, e in by_group.get((concept, c_i, g_i), [])
                            if left <= s and e <= right and max(e, a_end) - min(s, a_start) <= window
                        ]
                        if not near:
                            break
                        span.append(min(near, key=lambda se: abs(se[0] - a_start)))
                    else:
                        found[(concept, min(s for s, _ in span), max(e for _, e in span))] = span
        return found

    def _procedures(self, doc) -> List[Tuple[str, int, int]]:
        """Operations named by their medical word ("laparoscopic cholecystectomy", "laminectomy",
        "arthroplasty"), misspelt or not: the suffix says it is a procedure, the stem where."""
        found = []
        for i, token in enumerate(doc):
            word = token.lower_
            if len(word) < 8 or not PROCEDURE_SUFFIX.search(word):
                continue
            condition = next((cid for stem, cid in self.procedure_stems if stem in word), "recent_surgery")
            found.append((f"condition:{condition}", i, i + 1))
        return found


# Surgical suffixes: -ectomy (removal), -otomy/-ostomy (cutting, an opening), -plasty (repair or
# replacement), -pexy (fixing in place), -rrhaphy (stitching), -desis (fusion), -scopic/-scopy
# (keyhole), with the misspellings people type ("hysterectomey", "cholecystecomy").
PROCEDURE_SUFFIX = re.compile(
    r"(?:e[ck]t?o?m|otom|ostom)(?:y|ie|ies|ey)$|(?:plast(?:y|ies)|pexy|rrhaphy|desis)$|(?:arthro|laparo|hystero)scop(?:y|ic|ies)$"
)

# "I'm 79", "aged 14", "63 years old" — but not "I'm 14 weeks pregnant" or "I'm 14 stone".
_AGE = ctx.AGE_NOW
_EARLIER_AGE = ctx.EARLIER_AGE
OLDER_ADULT_AGE = 65
AGE_50 = 50  # first-ever back pain over ~50 is an RF7 risk modifier (combined, never alone)
MINOR_AGE = 16


# "I'm 27 weeks", "nearly 30 weeks by the way": weeks said of oneself, in pregnancy's range.
_WEEKS_ALONG = re.compile(
    r"\b(?:i'?m|i am|at|nearly|almost|about|around|now)\s+(?:nearly |almost |about |around |now )?(\d{1,2})\s*(?:weeks|wks)\b(?!\s*(?:ago|post|after|since|later|out|of|in|old))"
)


# "It registered at 103.2 degrees", "temp of 39.4", "38.5C": a fever told as a reading. A reading
# needs a body-temperature word close before it, and a room, the weather or water nearby makes
# it something else ("the hot yoga room was 105 degrees").
_READING = re.compile(r"\b(\d{2,3}(?:\.\d{1,2})?)\s*(?:°|º|degrees?|deg)?\s*(c|f|celsius|fahrenheit)?\b")
_BODY_TEMPERATURE = re.compile(r"\b(?:temp|temps|temperature|thermometer|fever|registered|my temp)\b")
_NOT_BODY = re.compile(
    r"\b(?:room|studio|outside|weather|heat wave|sun|summer|water|bath|oven|degrees out|forecast|humid|humidity)\b"
)
FEVER_C = (38.0, 43.0)
FEVER_F = (100.4, 108.0)


def _finding(kind: FindingKind, ident: str, text: str, start: int, end: int, c: ctx.Context) -> Finding:
    """A finding at these characters, with what its context says (whose, when, denied...)."""
    return Finding(
        kind=kind,
        id=ident,
        text=text,
        start=start,
        end=end,
        negated=c.negated,
        third_party=c.third_party,
        hypothetical=c.hypothetical,
        resolved=c.resolved,
        days_ago=c.days_ago,
        duration_days=c.duration_days,
    )


# "168/105", "160 over 95": a blood pressure reading when a word for blood pressure is near it.
_PRESSURE_READING = re.compile(r"\b(\d{2,3})\s*(?:/|over)\s*(\d{2,3})\b")
_BLOOD_PRESSURE = re.compile(r"\b(?:blood pressure|bp|pressure|hypertension|monitor|mmhg|reading|readings)\b")
# PAR-Q+'s follow-up to its heart question: a resting pressure of 160/90 or more, with or without
# medication, is a reason to check with a doctor first.
HIGH_PRESSURE = (160, 90)


def _high_pressure_readings(text: str) -> Iterable[Tuple[int, int]]:
    """Character spans of blood pressure readings at or over PAR-Q+'s 160/90."""
    for match in _PRESSURE_READING.finditer(text):
        systolic, diastolic = int(match.group(1)), int(match.group(2))
        plausible = 70 <= systolic <= 260 and 40 <= diastolic <= 160 and systolic > diastolic
        around = text[max(0, match.start() - 80) : match.end() + 12]
        if (
            plausible
            and _BLOOD_PRESSURE.search(around)
            and (systolic >= HIGH_PRESSURE[0] or diastolic >= HIGH_PRESSURE[1])
        ):
            yield match.start(), match.end()


def _fever_readings(text: str) -> Iterable[Tuple[int, int]]:
    """Character spans of temperature readings at fever level."""
    for match in _READING.finditer(text):
        value, unit = float(match.group(1)), (match.group(2) or "")[:1]
        before = text[max(0, match.start() - 80) : match.start()]
        around = text[max(0, match.start() - 80) : match.end() + 40]
        if not _BODY_TEMPERATURE.search(before) or _NOT_BODY.search(around):
            continue
        celsius = FEVER_C[0] <= value <= FEVER_C[1] and unit != "f"
        fahrenheit = FEVER_F[0] <= value <= FEVER_F[1] and unit != "c"
        if celsius or fahrenheit:
            yield match.start(1), match.end()


def _pregnancy_weeks(text: str) -> Iterable[Finding]:
    for match in _WEEKS_ALONG.finditer(text):
        if 4 <= int(match.group(1)) <= 42:
            yield Finding("concept", "pregnant", match.group(0), start=match.start(), end=match.end())


def _age_findings(text: str) -> Iterable[Finding]:
    """Age is a risk modifier (RF7, RF8, PQ7): a number, so it is read here, not from phrases."""
    for match in _AGE.finditer(text):
        if _EARLIER_AGE.search(text[max(0, match.start() - 30) : match.start()]):
            continue  # "I started lifting when I was 13 years old": an age then, not now
        age = int(match.group(1) or match.group(2))
        if AGE_50 <= age <= 110:
            yield Finding("concept", "age_50_plus", match.group(0), start=match.start(), end=match.end())
        if OLDER_ADULT_AGE <= age <= 110:
            yield Finding("concept", "older_adult", match.group(0), start=match.start(), end=match.end())
        elif age < MINOR_AGE and age >= 5:
            yield Finding("condition", "under_16", match.group(0), start=match.start(), end=match.end())


def _sentence_starts(doc) -> List[int]:
    """Character offsets where sentences start (after . ! ? or a line break)."""
    starts = [0]
    for token in doc:
        if token.lower_ in ctx.SENTENCE_BREAKS and token.i + 1 < len(doc):
            starts.append(doc[token.i + 1].idx)
    return starts


def _sentence_of(starts: List[int], char: int) -> int:
    return bisect_right(starts, char) - 1


def _near(sentence: int, scenes, wide: bool) -> bool:
    """The same sentence as a stretch scene, or (wide) the sentence before or after it."""
    return sentence in scenes or wide and bool({sentence - 1, sentence + 1} & scenes)


def _over_in_the_same_breath(findings: List[Finding], text: str) -> List[Finding]:
    """A condition told together with its own ending ("my first run after having flu", "out of
    commission for two weeks with covid") is over: the user's word that lifts it later
    (`lifted_by`) also tells it as past when it comes in the same message."""
    ends: Dict[str, int] = {}
    for f in findings:
        if f.kind == "lifted" and f.id.startswith("condition.") and not (f.negated or f.third_party or f.hypothetical):
            ends.setdefault(f.id.partition(".")[2], f.end)
    if not ends:
        return findings

    def over(f: Finding) -> bool:
        # Told again after the ending with "still" or "now" ("better now but still a fever"), it is not.
        if f.id not in ends:
            return False
        if f.start <= ends[f.id]:
            return True
        stop = re.search(r"[.!?]", text[f.end :])
        said_after = text[ends[f.id] : f.end + (stop.start() if stop else len(text))]
        return not STILL_NOW & set(re.findall(r"[a-z]+", said_after))

    return [replace(f, resolved=True) if f.kind == "condition" and over(f) else f for f in findings]


STILL_NOW = frozenset({"still", "now", "today", "again", "currently", "tonight"})


def _longest_first(matches: Iterable[Tuple[str, int, int]]) -> List[Tuple[str, int, int]]:
    """Drops a match nested inside a longer one of the same kind ("hip replacement" inside
    "anterior hip replacement"), so the most specific condition wins."""
    ordered = sorted(set(matches), key=lambda m: (-(m[2] - m[1]), m[1]))
    kept: List[Tuple[str, int, int]] = []
    for label, start, end in ordered:
        kind = label.split(":")[0]
        nested = any(
            k.split(":")[0] == kind
            and (kind != "concept" or k == label)  # symptom concepts combine, so keep all of them
            and s <= start
            and end <= e
            and (e - s) > (end - start)
            for k, s, e in kept
        )
        if not nested:
            kept.append((label, start, end))
    return sorted(kept, key=lambda m: m[1])


def _cancelled(doc, bounds: Tuple[int, int], words) -> bool:
    """One of the words that cancel a match stands within the bounds (its clause, or its sentence)."""
    left, right = bounds
    return any(t.lower_ in words or t.lemma_.lower() in words for t in doc[left:right])
