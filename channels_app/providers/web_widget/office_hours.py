"""Office hours of a widget, written by an admin one rule per line:

    mon-fri 09:00-18:00
    sat 09:00-13:00
    seg,qua 14:00-16:00 19:00-21:00
    segunda a sexta-feira 09:00-12:00 13:00-18:00
    Sábado 09:00-13:00

Days in English or Portuguese, short or long, in any case and with or without accents (`mon`,
`monday`, `seg`, `segunda`, `segunda-feira`, `terça`, `terca`, `sábado`…), ranges (`mon-fri`,
`segunda a sexta`, `mon to fri`) and lists (`mon,wed`, `seg e qua`); then one or more
`HH:MM-HH:MM` intervals, `24:00` allowed as an end. No lines means always open. Times are in
the widget's time zone. The text is stored as the admin wrote it and read by this parser.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

_WEEK = (
    ("mon", "monday", "seg", "segunda"),
    ("tue", "tues", "tuesday", "ter", "terca"),
    ("wed", "wednesday", "qua", "quarta"),
    ("thu", "thur", "thurs", "thursday", "qui", "quinta"),
    ("fri", "friday", "sex", "sexta"),
    ("sat", "saturday", "sab", "sabado"),
    ("sun", "sunday", "dom", "domingo"),
)
# Day names without accents (see _fold) → weekday, Monday 0.
DAYS = {name: weekday for weekday, names in enumerate(_WEEK) for name in names}
_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-"})
_FEIRA = re.compile(r"[\s-]*feira\b")  # "segunda-feira", "segunda feira" → "segunda"
_RANGE_WORDS = re.compile(r"\s+(?:a|até|ate|to|through|thru|until)\s+")  # "seg a sex" → "seg-sex"
_LIST_WORDS = {"e", "and"}  # "seg e qua" → "seg,qua"


def _fold(text: str) -> str:
    """Lower case, without accents: "Sábado" → "sabado", "TERÇA" → "terca"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class InvalidOfficeHours(ValueError):
    pass


@dataclass(frozen=True)
class OfficeHours:
    # weekday (Monday 0) → ((start minute, end minute), ...)
    slots: dict[int, tuple[tuple[int, int], ...]]
    time_zone: str

    def is_open(self, at: datetime) -> bool:
        if not self.slots:
            return True
        local = at.astimezone(ZoneInfo(self.time_zone))
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.slots.get(local.weekday(), ()))


def parse(text: str, time_zone: str) -> OfficeHours:
    """Raises InvalidOfficeHours with a message naming the line that is wrong."""
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidOfficeHours(_("Unknown time zone %(zone)s.") % {"zone": time_zone}) from exc
    slots: dict[int, list[tuple[int, int]]] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip().lower().translate(_DASHES)
        if not line or line.startswith("#"):
            continue
        first_digit = re.search(r"\d", line)  # days are words, hours start with a digit
        day_text, hour_text = (line[: first_digit.start()], line[first_digit.start() :]) if first_digit else (line, "")
        if not day_text.strip() or not hour_text.strip():
            raise InvalidOfficeHours(
                _("Line %(n)s: write days, then hours, e.g. “mon-fri 09:00-18:00”.") % {"n": number}
            )
        days = _days(day_text, number)
        intervals = [_interval(part, number) for part in _words(re.sub(r"\s*-\s*", "-", hour_text))]
        for day in days:
            slots.setdefault(day, []).extend(intervals)
    return OfficeHours(slots={d: tuple(sorted(v)) for d, v in slots.items()}, time_zone=time_zone)


def _words(text: str) -> list[str]:
    """Items separated by commas, semicolons or spaces, without "e"/"and" between them."""
    return [word for word in re.split(r"[\s,;]+", text) if word and word not in _LIST_WORDS]


def _day(name: str, number: int, spec: str) -> int:
    day = DAYS.get(_fold(name))
    if day is None:
        if spec == name:
            raise InvalidOfficeHours(_("Line %(n)s: unknown day “%(spec)s”.") % {"n": number, "spec": spec})
        raise InvalidOfficeHours(_("Line %(n)s: unknown day in “%(spec)s”.") % {"n": number, "spec": spec})
    return day


def _days(text: str, number: int) -> list[int]:
    text = _RANGE_WORDS.sub("-", f" {_FEIRA.sub('', text)} ")
    days: list[int] = []
    for part in _words(re.sub(r"\s*-\s*", "-", text.strip())):
        if "-" in part:
            first, _sep, last = part.partition("-")
            start, end = _day(first, number, part), _day(last, number, part)
            days += list(range(start, end + 1)) if start <= end else [*range(start, 7), *range(0, end + 1)]
        else:
            days.append(_day(part, number, part))
    return days


def _minutes(value: str, spec: str, number: int, *, end: bool) -> int:
    hours, _sep, minutes = value.partition(":")
    total = int(hours) * 60 + int(minutes)
    if int(hours) > 23 and not (end and total == 24 * 60) or int(minutes) > 59:
        raise InvalidOfficeHours(
            _("Line %(n)s: “%(time)s” in “%(spec)s” is not a time of day; use 00:00 to 23:59, or 24:00 as an end.")
            % {"n": number, "time": value, "spec": spec}
        )
    return total


def _interval(spec: str, number: int) -> tuple[int, int]:
    match = _INTERVAL.match(spec)
    if not match:
        raise InvalidOfficeHours(
            _("Line %(n)s: “%(spec)s” is not an interval like 09:00-18:00.") % {"n": number, "spec": spec}
        )
    first, _sep, last = spec.partition("-")
    start = _minutes(first, spec, number, end=False)
    end = _minutes(last, spec, number, end=True)
    if end <= start:
        raise InvalidOfficeHours(
            _("Line %(n)s: “%(spec)s” must end after it starts, within one day.") % {"n": number, "spec": spec}
        )
    return start, end
