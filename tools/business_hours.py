"""Is IT's service desk open now, and when will a ticket be picked up?

Freshservice business hours name days (``service_desk_hours.monday.beginning_of_workday =
"8:00 am"``), Rails-style time zones ("Eastern Time (US & Canada)") and holidays. This turns them
into answers an employee asking at 2 a.m. can use: "closed now; picked up from 8:00 tomorrow".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Rails (ActiveSupport) zone names Freshservice uses, mapped to IANA; IANA names pass through.
RAILS_ZONES = {
    "Eastern Time (US & Canada)": "America/New_York",
    "Central Time (US & Canada)": "America/Chicago",
    "Mountain Time (US & Canada)": "America/Denver",
    "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Arizona": "America/Phoenix",
    "Alaska": "America/Juneau",
    "Hawaii": "Pacific/Honolulu",
    "London": "Europe/London",
    "Edinburgh": "Europe/London",
    "Dublin": "Europe/Dublin",
    "Lisbon": "Europe/Lisbon",
    "Paris": "Europe/Paris",
    "Berlin": "Europe/Berlin",
    "Amsterdam": "Europe/Amsterdam",
    "Madrid": "Europe/Madrid",
    "Rome": "Europe/Rome",
    "Stockholm": "Europe/Stockholm",
    "Warsaw": "Europe/Warsaw",
    "Zagreb": "Europe/Zagreb",
    "Athens": "Europe/Athens",
    "Istanbul": "Europe/Istanbul",
    "Moscow": "Europe/Moscow",
    "Dubai": "Asia/Dubai",
    "Chennai": "Asia/Kolkata",
    "Kolkata": "Asia/Kolkata",
    "Mumbai": "Asia/Kolkata",
    "New Delhi": "Asia/Kolkata",
    "Singapore": "Asia/Singapore",
    "Beijing": "Asia/Shanghai",
    "Hong Kong": "Asia/Hong_Kong",
    "Tokyo": "Asia/Tokyo",
    "Seoul": "Asia/Seoul",
    "Sydney": "Australia/Sydney",
    "Melbourne": "Australia/Melbourne",
    "Auckland": "Pacific/Auckland",
    "Brasilia": "America/Sao_Paulo",
    "Buenos Aires": "America/Argentina/Buenos_Aires",
    "Mexico City": "America/Mexico_City",
    "UTC": "UTC",
}


def zone(name: str | None) -> ZoneInfo:
    """A ZoneInfo for a Rails or IANA zone name; UTC when unknown."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(RAILS_ZONES.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_clock(text: str) -> time:
    """'8:00 am', '6:30 pm', '18:00' → time."""
    match = re.fullmatch(r"\s*(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?\s*", text.lower())
    if not match:
        raise ValueError(f"not a time of day: {text!r}")
    hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if meridiem:
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    return time(hour, minute)


class Window(BaseModel):
    start: time
    end: time


class OfficeHours(BaseModel):
    """A week of opening windows in one zone, with holidays closed all day."""

    name: str = "Business hours"
    time_zone: str = "UTC"
    days: dict[str, Window]  # missing day = closed
    holidays: set[date] = set()
    always_open: bool = False

    @classmethod
    def from_freshservice(cls, data: Mapping[str, Any] | Any) -> OfficeHours:
        """Build from a Freshservice business-hours object (dict or model)."""
        get = data.get if isinstance(data, Mapping) else lambda k, d=None: getattr(data, k, d)
        hours = get("service_desk_hours") or {}
        days: dict[str, Window] = {}
        for day in DAYS:
            window = hours.get(day) if isinstance(hours, Mapping) else getattr(hours, day, None)
            if not window:
                continue
            w = window if isinstance(window, Mapping) else window.__dict__
            days[day] = Window(start=parse_clock(w["beginning_of_workday"]), end=parse_clock(w["end_of_workday"]))
        holidays = set()
        for holiday in get("list_of_holidays") or []:
            raw = holiday.get("holiday_date") if isinstance(holiday, Mapping) else getattr(holiday, "holiday_date", None)
            if raw:
                holidays.add(date.fromisoformat(str(raw)[:10]))
        always = bool(days) and all(d in days and days[d].start == time(0) and days[d].end >= time(23, 59) for d in DAYS)
        return cls(name=get("name") or "Business hours", time_zone=get("time_zone") or "UTC",
                   days=days, holidays=holidays, always_open=always)

    def _window_on(self, day: date) -> Window | None:
        if day in self.holidays:
            return None
        return self.days.get(DAYS[day.weekday()])

    def is_open(self, at: datetime) -> bool:
        if self.always_open:
            return True
        local = at.astimezone(zone(self.time_zone))
        window = self._window_on(local.date())
        return window is not None and window.start <= local.time() < window.end

    def next_open(self, at: datetime) -> datetime:
        """When the desk is next open (``at`` itself if open now), in the desk's zone."""
        tz = zone(self.time_zone)
        local = at.astimezone(tz)
        if self.is_open(at):
            return local
        for offset in range(0, 22):
            day = local.date() + timedelta(days=offset)
            window = self._window_on(day)
            if window is None:
                continue
            opens = datetime.combine(day, window.start, tzinfo=tz)
            if opens > local or (offset == 0 and local.time() < window.start):
                return opens
        raise ValueError("no opening in the next three weeks; check the business-hours configuration")

    def describe_week(self) -> str:
        """The opening hours in one line for an employee: 'Monday to Friday 08:00–18:00 (London time)'.
        Consecutive days with the same window are joined; what the IT team configured, never a constant."""
        if self.always_open:
            return "24/7"
        runs: list[tuple[int, int, Window]] = []
        for index, day in enumerate(DAYS):
            window = self.days.get(day)
            if window is None:
                continue
            if runs and runs[-1][1] == index - 1 and runs[-1][2] == window:
                runs[-1] = (runs[-1][0], index, window)
            else:
                runs.append((index, index, window))
        if not runs:
            return "no opening hours configured"
        parts = []
        for first, last, window in runs:
            days = DAYS[first].capitalize() + (f" to {DAYS[last].capitalize()}" if last > first else "")
            parts.append(f"{days} {window.start:%H:%M}–{window.end:%H:%M}")
        label = self.time_zone if "time" in self.time_zone.lower() else f"{self.time_zone} time"
        return ", ".join(parts) + f" ({label})"

    def describe_next_open(self, at: datetime) -> str:
        """'now', 'today at 8:00 AM', 'tomorrow at 8:00 AM' or 'Monday 1 Dec at 8:00 AM' (desk time)."""
        if self.is_open(at):
            return "now"
        opens = self.next_open(at)
        local_today = at.astimezone(zone(self.time_zone)).date()
        clock = opens.strftime("%I:%M %p").lstrip("0")
        zone_label = opens.tzname() or self.time_zone
        if opens.date() == local_today:
            return f"today at {clock} {zone_label}"
        if opens.date() == local_today + timedelta(days=1):
            return f"tomorrow at {clock} {zone_label}"
        return f"{opens.strftime('%A')} {opens.day} {opens.strftime('%b')} at {clock} {zone_label}"
