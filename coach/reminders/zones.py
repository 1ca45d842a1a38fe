"""Which time zone a move names: "I've moved to Toronto", "my time zone is Europe/Paris",
"I'm in Canada now". A city, a zone or a one-zone country names one zone (find_zone); a country
with several zones names a choice, asked with buttons. Pure data and functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from coach.reminders.schedule import find_zone

# Countries with several zones: the zones people live in, west to east, with the words a button
# shows. The user's own words pick the country; the kb's emergency-number entries name the same
# countries ("the US", "Canada", "Australia").
MULTI_ZONE_COUNTRIES: Dict[str, Tuple[Tuple[str, str], ...]] = {
    "Canada": (
        ("Pacific (Vancouver)", "America/Vancouver"),
        ("Mountain (Edmonton)", "America/Edmonton"),
        ("Central (Winnipeg)", "America/Winnipeg"),
        ("Eastern (Toronto)", "America/Toronto"),
        ("Atlantic (Halifax)", "America/Halifax"),
        ("Newfoundland (St. John's)", "America/St_Johns"),
    ),
    "the US": (
        ("Hawaii (Honolulu)", "Pacific/Honolulu"),
        ("Alaska (Anchorage)", "America/Anchorage"),
        ("Pacific (Los Angeles)", "America/Los_Angeles"),
        ("Mountain (Denver)", "America/Denver"),
        ("Arizona (Phoenix)", "America/Phoenix"),
        ("Central (Chicago)", "America/Chicago"),
        ("Eastern (New York)", "America/New_York"),
    ),
    "Australia": (
        ("Western (Perth)", "Australia/Perth"),
        ("Northern Territory (Darwin)", "Australia/Darwin"),
        ("South Australia (Adelaide)", "Australia/Adelaide"),
        ("Queensland (Brisbane)", "Australia/Brisbane"),
        ("Eastern (Sydney, Melbourne)", "Australia/Sydney"),
    ),
    "Brazil": (
        ("Amazonas (Manaus)", "America/Manaus"),
        ("Brasília (São Paulo, Rio)", "America/Sao_Paulo"),
    ),
    "Mexico": (
        ("Pacific (Tijuana)", "America/Tijuana"),
        ("Central (Mexico City)", "America/Mexico_City"),
        ("Southeast (Cancún)", "America/Cancun"),
    ),
}
COUNTRY_WORDS: Dict[str, str] = {
    "canada": "Canada",
    "us": "the US", "usa": "the US", "u.s": "the US", "u.s.a": "the US", "united states": "the US",
    "the states": "the US", "america": "the US", "united states of america": "the US",
    "australia": "Australia", "oz": "Australia", "aus": "Australia",
    "brazil": "Brazil", "brasil": "Brazil", "mexico": "Mexico",
}  # fmt: skip


@dataclass(frozen=True)
class Named:
    """What a message names: one zone, or a country whose zones are to be chosen from."""

    zone: Optional[str] = None
    country: Optional[str] = None  # a country with several zones (MULTI_ZONE_COUNTRIES)

    @property
    def choices(self) -> Tuple[Tuple[str, str], ...]:
        return MULTI_ZONE_COUNTRIES.get(self.country or "", ())


def multi_zone_country(text: str) -> Optional[str]:
    """The several-zone country a message names ("I'm in Canada now"), None if none."""
    words = re.findall(r"[a-z]+(?:\.[a-z]+)*", (text or "").lower()[:200])
    for size in (4, 3, 2, 1):
        for i in range(len(words) - size + 1):
            phrase = " ".join(words[i : i + size])
            if phrase in COUNTRY_WORDS:
                if phrase == "us" and not _us_as_country(text):
                    continue
                return COUNTRY_WORDS[phrase]
    return None


def _us_as_country(text: str) -> bool:
    """ "us" is a country only as "US" in capitals or after "the", "in", "to" ("in the us")."""
    return bool(re.search(r"\bUS\b", text or "") or re.search(r"\b(?:the|in|to)\s+us\b", text or "", re.IGNORECASE))


def named_in(text: str) -> Named:
    """One zone when the words name one (a zone, a city, a one-zone country, UTC+2), else a
    several-zone country to choose in, else nothing."""
    zone = find_zone(text)
    country = multi_zone_country(text)
    if country is not None and (zone is None or zone not in {z for _title, z in MULTI_ZONE_COUNTRIES[country]}):
        # "Canada" alone is a choice; "Toronto, Canada" names its zone. A city the zone
        # database knows in another country ("Perth" in "Perth, Australia" is fine) is ignored.
        if zone is None or not _city_named(text, zone):
            return Named(country=country)
    return Named(zone=zone) if zone else Named()


def _city_named(text: str, zone: str) -> bool:
    city = zone.rsplit("/", 1)[-1].replace("_", " ").lower()
    return city in (text or "").lower() or zone.lower() in (text or "").lower()


def in_country(zone: Optional[str], country: str) -> bool:
    """True when a zone is one of a several-zone country's (moving within it asks nothing)."""
    return zone is not None and zone in {z for _, z in MULTI_ZONE_COUNTRIES.get(country, ())}
