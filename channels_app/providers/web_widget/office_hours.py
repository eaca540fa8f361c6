"""Office hours of a widget, written by an admin one rule per line:

    mon-fri 09:00-18:00
    sat 09:00-13:00
    seg,qua 14:00-16:00 19:00-21:00

Days in English or Portuguese (`mon`…`sun`, `seg`…`dom`), ranges (`mon-fri`) and lists (`mon,wed`);
one or more `HH:MM-HH:MM` intervals per line, `24:00` allowed as an end. No lines means always
open. Times are in the widget's time zone.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

DAYS = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "seg": 0, "ter": 1, "qua": 2, "qui": 3, "sex": 4, "sab": 5, "sáb": 5, "dom": 6,
}  # fmt: skip
_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


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
        line = raw.strip().lower()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 2:
            raise InvalidOfficeHours(
                _("Line %(n)s: write days, then hours, e.g. “mon-fri 09:00-18:00”.") % {"n": number}
            )
        days = _days(parts[0], number)
        intervals = [_interval(part, number) for part in parts[1:]]
        for day in days:
            slots.setdefault(day, []).extend(intervals)
    return OfficeHours(slots={d: tuple(sorted(v)) for d, v in slots.items()}, time_zone=time_zone)


def _days(spec: str, number: int) -> list[int]:
    days: list[int] = []
    for part in spec.split(","):
        if "-" in part:
            first, _sep, last = part.partition("-")
            if first not in DAYS or last not in DAYS:
                raise InvalidOfficeHours(_("Line %(n)s: unknown day in “%(spec)s”.") % {"n": number, "spec": part})
            start, end = DAYS[first], DAYS[last]
            days += list(range(start, end + 1)) if start <= end else [*range(start, 7), *range(0, end + 1)]
        elif part in DAYS:
            days.append(DAYS[part])
        else:
            raise InvalidOfficeHours(_("Line %(n)s: unknown day “%(spec)s”.") % {"n": number, "spec": part})
    return days


def _interval(spec: str, number: int) -> tuple[int, int]:
    match = _INTERVAL.match(spec)
    if not match:
        raise InvalidOfficeHours(
            _("Line %(n)s: “%(spec)s” is not an interval like 09:00-18:00.") % {"n": number, "spec": spec}
        )
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60 or end <= start:
        raise InvalidOfficeHours(
            _("Line %(n)s: “%(spec)s” must end after it starts, within one day.") % {"n": number, "spec": spec}
        )
    return start, end
