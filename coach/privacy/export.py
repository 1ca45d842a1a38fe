"""'Export my data': everything about one user as JSON (coach/privacy/export.schema.json) and a
one-page PDF a physio can read (fpdf2), both built from the same document.

The PDF uses fpdf2's built-in Helvetica, so it needs no font file; text outside Latin-1 (curly
quotes, emoji someone typed as a country) is put in its nearest Latin-1 form, never dropped
silently (unknown characters become '?'). It is kept to one page: long lists end with "and N
more (see the JSON file)".
"""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, cast

from coach.kb.schema import Outcome

if TYPE_CHECKING:
    from coach.service import Coach

SCHEMA_PATH = Path(__file__).with_name("export.schema.json")
FORMAT = "psoas-coach-export"
JSON_NAME = "psoas-coach-data.json"
PDF_NAME = "psoas-coach-summary.pdf"


def schema() -> Dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _iso(moment: Optional[datetime]) -> Optional[str]:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()


def build(coach: Coach, user_id: str, now: Optional[datetime] = None) -> Dict[str, Any]:
    """The export document. `coach` is the turn's view: SQL for a user who said yes, the
    conversation for one who did not."""
    kb = coach.kb
    now = now or datetime.now(timezone.utc)
    profile = coach.profiles.get(user_id)
    consent = coach.privacy.consent(user_id) if coach.memory is None else None
    questions = {q.id: q.question for q in kb.screening}
    screenings = [
        {
            "taken_at": _iso(s.taken_at),
            "outcome": s.outcome,
            "answers": [
                {
                    "id": qid,
                    "question": questions.get(qid, qid),
                    "answer": None if a is None else ("yes" if a else "no"),
                }
                for qid, a in s.answers.items()
            ],
        }
        for s in coach.profiles.screenings(user_id)
    ]
    decision = coach.standing(user_id)
    exclusions = [
        {"id": ex_id, "name": kb.exercises[ex_id].name, "reason": reason}
        for ex_id, reason in sorted(decision.excluded.items())
        if ex_id in kb.exercises
    ]
    events = coach.profiles.safety_events(user_id)
    decisions = [
        {
            "at": _iso(e.created_at),
            "outcome": e.outcome,
            "rule_ids": list(e.rule_ids),
            "excluded": list(e.excluded),
            "in_session": bool(e.in_session),
        }
        for e in events
    ]
    pain = [
        {
            "at": d["at"],
            "rule_ids": d["rule_ids"],
            "in_session": d["in_session"],
            "stretch": next((x for x in d["excluded"] if x in profile.avoid), None),
        }
        for d in decisions
        if d["outcome"] == Outcome.STOP_STRETCH.value
    ]
    sessions: List[Dict[str, Any]] = []
    ratings: List[Dict[str, Any]] = []
    session = coach.sessions.get(user_id)
    if session is not None:
        updated = getattr(coach.sessions, "updated_at", lambda _u: None)(user_id)
        sessions.append(
            {
                "updated_at": _iso(updated),
                "status": session.status,
                "exercises": list(dict.fromkeys(s.exercise_id for s in session.steps if s.phase == "hold")),
                "holds_done": [
                    {"exercise_id": h["exercise_id"], "side": h.get("side"), "rep": int(h.get("rep") or 1)}
                    for h in session.completed_holds
                ],
                "rating": session.rating,
            }
        )
        if session.rating is not None:
            ratings.append({"rating": session.rating, "session_updated_at": _iso(updated)})
    return {
        "format": FORMAT,
        "version": 1,
        "exported_at": now.astimezone(timezone.utc).isoformat(),
        "user_id": user_id,
        "consent": {"given": consent is not None, "granted_at": _iso(consent.granted_at) if consent else None},
        "profile": {
            "limitations": [
                {"id": c, "label": kb.constraints[c].label, "guessed": c in profile.precautions}
                for c in profile.constraints
                if c in kb.constraints
            ],
            "conditions": [
                {
                    "id": n.id,
                    "label": kb.conditions[n.id].label,
                    "noted_on": n.noted_on,
                    "days_ago": n.days_ago,
                    "cleared": n.cleared,
                }
                for n in profile.conditions.values()
                if n.id in kb.conditions
            ],
            "country": profile.country,
            "preferred_stretches": [p for p in profile.preferred if p in kb.exercises],
            "hold_adjust_seconds": int(profile.hold_adjust),
            "minutes_available": profile.minutes_available,
            "goals": list(profile.goals),
            "alert": (
                {
                    "rule_id": profile.alert.rule_id,
                    "title": kb.red_flags[profile.alert.rule_id].title,
                    "outcome": profile.alert.outcome,
                }
                if profile.alert and profile.alert.rule_id in kb.red_flags
                else None
            ),
            "referrals": [
                {"rule_id": r, "title": kb.red_flags[r].title} for r in profile.referrals if r in kb.red_flags
            ],
            "avoided_stretches": [{"id": k, "reason": v} for k, v in profile.avoid.items() if k in kb.exercises],
        },
        "screenings": screenings,
        "exclusions": exclusions,
        "safety_decisions": decisions,
        "sessions": sessions,
        "pain_reports": pain,
        "ratings": ratings,
        "records": other_records(coach, user_id),
    }


# Tables the sections above already give in people's terms (or that are the export itself).
SECTIONED = {"user_profiles", "screenings", "safety_events", "guided_sessions", "conversations", "consents",
             "data_exports"}  # fmt: skip


def other_records(coach: Coach, user_id: str) -> Dict[str, List[Dict[str, Any]]]:
    """Every row about the user in any other table of ours (progress, reminders, ...), as stored,
    so the export holds everything the coach knows even of tables added after this module."""
    if coach.memory is not None:
        return {}  # a user who did not say yes has no rows
    from sqlalchemy import select

    from coach.store.privacy import USER_COLUMN, user_tables

    records: Dict[str, List[Dict[str, Any]]] = {}
    with coach.engine.connect() as conn:
        for table in user_tables():
            if table.name in SECTIONED:
                continue
            rows = conn.execute(select(table).where(table.c[USER_COLUMN] == user_id)).mappings()
            found = [{k: _plain(v) for k, v in row.items()} for row in rows]
            if found:
                records[table.name] = found
    return records


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return None  # binary blobs (a chart image) are not data about the person
    if isinstance(value, (str, int, float, bool, list, dict)) or value is None:
        return value
    return str(value)


def has_content(document: Dict[str, Any]) -> bool:
    p = document["profile"]
    return any(
        [
            p["limitations"],
            p["conditions"],
            p["country"],
            p["preferred_stretches"],
            p["hold_adjust_seconds"],
            p["minutes_available"],
            p["goals"],
            p["alert"],
            p["referrals"],
            p["avoided_stretches"],
            document["screenings"],
            document["safety_decisions"],
            document["sessions"],
        ]
    )


def to_json(document: Dict[str, Any]) -> bytes:
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")


# -- the one-page PDF ----------------------------------------------------------------------------
_LATIN1 = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2026": "..."}


def latin1(text: str) -> str:
    text = "".join(_LATIN1.get(ch, ch) for ch in str(text))
    text = unicodedata.normalize("NFKC", text)
    return text.encode("latin-1", "replace").decode("latin-1")


def _date(value: Optional[str]) -> str:
    if not value:
        return "-"
    try:
        return datetime.fromisoformat(value).strftime("%d %b %Y")
    except ValueError:
        return value


class _Page:
    """A single A4 page; lines past the bottom are counted, not printed, and summed up at the end."""

    def __init__(self, title: str):
        from fpdf import FPDF

        self.pdf = FPDF(format="A4", unit="mm")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(16, 14, 16)
        self.pdf.add_page()
        self.pdf.set_title(latin1(title))
        self.bottom = 297 - 14
        self.left_out = 0

    def room(self, height: float) -> bool:
        return self.pdf.get_y() + height <= self.bottom

    def heading(self, text: str) -> None:
        if not self.room(12):
            self.left_out += 1
            return
        self.pdf.ln(2)
        self.pdf.set_font("Helvetica", "B", 11)
        self.pdf.cell(0, 6, latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("Helvetica", "", 9)

    def line(self, text: str, bold: bool = False) -> bool:
        self.pdf.set_font("Helvetica", "B" if bold else "", 9)
        # fpdf2 declares one union for every `output=`; with "LINES" it is the wrapped lines.
        lines = cast(List[str], self.pdf.multi_cell(0, 4.4, latin1(text), dry_run=True, output="LINES"))
        if not self.room(4.4 * len(lines) + 6):
            self.left_out += 1
            return False
        self.pdf.multi_cell(0, 4.4, latin1(text), new_x="LMARGIN", new_y="NEXT")
        return True

    def items(self, texts: List[str], empty: str, limit: int) -> None:
        if not texts:
            self.line(empty)
            return
        for text in texts[:limit]:
            self.line(f"- {text}")
        if len(texts) > limit:
            self.line(f"... and {len(texts) - limit} more (see the JSON file)")

    def output(self) -> bytes:
        if self.left_out:
            self.pdf.set_y(self.bottom - 5)
            self.pdf.set_font("Helvetica", "I", 8)
            self.pdf.cell(0, 5, "More in the JSON file.", new_x="LMARGIN", new_y="NEXT")
        return bytes(self.pdf.output())


def to_pdf(document: Dict[str, Any], disclaimer: str) -> bytes:
    """One page: who, consent, screening answers with dates, exclusions and why, conditions and
    limits, sessions and ratings, pain reports."""
    page = _Page("Psoas Coach: summary for a physiotherapist")
    pdf = page.pdf
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 8, "Psoas Coach: summary for a physiotherapist", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    consent = document["consent"]
    page.line(
        f"User: {document['user_id']}    Exported: {_date(document['exported_at'])}    "
        + (
            f"Stored with consent since {_date(consent['granted_at'])}"
            if consent["given"]
            else "Not stored: from one conversation only"
        )
    )
    page.line(disclaimer)
    profile = document["profile"]

    page.heading("Limitations and conditions")
    told = [f"Limitation: {x['label']}" for x in profile["limitations"]]
    for c in profile["conditions"]:
        when = f"told {_date(c['noted_on'])}"
        if c["days_ago"] is not None:
            when += f", about {round(c['days_ago'])} days before"
        cleared = {True: "; stable and cleared for exercise", False: "; not cleared", None: ""}[c["cleared"]]
        told.append(f"Condition: {c['label']} ({when}{cleared})")
    if profile["alert"]:
        told.append(f"Warning sign in force: {profile['alert']['title']} ({profile['alert']['rule_id']})")
    told += [f"Referred for: {r['title']} ({r['rule_id']})" for r in profile["referrals"]]
    page.items(told, "None told.", 8)

    page.heading("Safety screening answers")
    screenings = document["screenings"]
    if not screenings:
        page.line("No screening answered.")
    for s in screenings[-2:]:
        page.line(f"{_date(s['taken_at'])}: outcome {s['outcome']}", bold=True)
        answers = [f"{a['question']} {(a['answer'] or 'not answered').upper()}" for a in s["answers"]]
        page.items(answers, "No answers.", 8)

    page.heading("Stretches left out, and why")
    left_out = [f"{x['name']}: {x['reason']}" for x in document["exclusions"]]
    left_out += [f"{x['id'].replace('_', ' ')}: {x['reason']}" for x in profile["avoided_stretches"]]
    page.items(left_out, "None: every stretch in the library suits what was told.", 8)

    page.heading("Sessions and ratings")
    sessions = [
        f"{_date(s['updated_at'])}: {s['status']}, {len(s['holds_done'])} holds done"
        + (f", rated {s['rating']}/10" if s["rating"] is not None else "")
        + (f" ({', '.join(e.replace('_', ' ') for e in s['exercises'])})" if s["exercises"] else "")
        for s in document["sessions"]
    ]
    page.items(sessions, "No guided session yet.", 4)
    prefs = []
    if profile["hold_adjust_seconds"]:
        prefs.append(f"Holds adjusted by {profile['hold_adjust_seconds']:+d} s from ratings")
    if profile["minutes_available"]:
        prefs.append(f"Time available: about {profile['minutes_available']:g} minutes")
    if profile["preferred_stretches"]:
        prefs.append("Rated well: " + ", ".join(p.replace("_", " ") for p in profile["preferred_stretches"]))
    page.items(prefs, "No preferences learnt yet.", 3)

    page.heading("Pain reports")
    pain = [
        f"{_date(p['at'])}: stopped {(p['stretch'] or 'a stretch').replace('_', ' ')}"
        + (" during a session" if p["in_session"] else "")
        + f" ({', '.join(p['rule_ids'])})"
        for p in document["pain_reports"]
    ]
    page.items(pain, "None reported.", 5)
    return page.output()
